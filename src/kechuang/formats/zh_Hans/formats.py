"""Simplified Chinese formats: Django's, with ISO 8601 first among the input formats.

A form field renders its value in the first input format, and ``<input type="date">`` only understands
``YYYY-MM-DD`` (``datetime-local`` only ``YYYY-MM-DDTHH:MM``): Django's zh_Hans list starts with
``%Y/%m/%d``, so a date input with a default showed empty (issue 14 item 11). Every format stays accepted.
"""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403
from django.conf.locale.zh_Hans.formats import DATE_INPUT_FORMATS as _DATES
from django.conf.locale.zh_Hans.formats import DATETIME_INPUT_FORMATS as _DATETIMES

DATE_INPUT_FORMATS = ["%Y-%m-%d", *(f for f in _DATES if f != "%Y-%m-%d")]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    *(f for f in _DATETIMES if f != "%Y-%m-%d %H:%M"),
]
