"""The range every date a person or a program enters must keep (docs/reliability.md K5).

A date such as 9999-12-31 is a valid ``date`` but no business date: one month later overflows, and a
report or the database may not hold it. Form fields here and the API's serializer fields
(kechuang.api.fields) refuse anything outside ``EARLIEST``..``LATEST`` with a message naming the range.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def out_of_range_message() -> str:
    return str(
        _("日期须在 %(a)s 至 %(b)s 之间，请检查年份。") % {"a": EARLIEST.isoformat(), "b": LATEST.isoformat()}
    )


def in_range(value: dt.date | dt.datetime) -> bool:
    day = value.date() if isinstance(value, dt.datetime) else value
    return EARLIEST <= day <= LATEST


class DateField(forms.DateField):
    def to_python(self, value: Any) -> dt.date | None:
        parsed = super().to_python(value)
        if parsed is not None and not in_range(parsed):
            raise ValidationError(out_of_range_message(), code="date_range")
        return parsed


class DateTimeField(forms.DateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is not None and not in_range(parsed):
            raise ValidationError(out_of_range_message(), code="date_range")
        return parsed
