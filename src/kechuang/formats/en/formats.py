"""English formats: Django's, with ISO 8601 first among the input formats (see ../zh_Hans/formats.py)."""

from django.conf.locale.en.formats import *  # noqa: F403
from django.conf.locale.en.formats import DATE_INPUT_FORMATS as _DATES
from django.conf.locale.en.formats import DATETIME_INPUT_FORMATS as _DATETIMES

DATE_INPUT_FORMATS = ["%Y-%m-%d", *(f for f in _DATES if f != "%Y-%m-%d")]
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", *_DATETIMES]
