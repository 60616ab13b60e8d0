"""Serializer fields with the ranges every input of their kind must keep (docs/reliability.md K5).

A date such as 9999-12-31 is a valid ``date`` but no business date: one month later overflows, and the
database or a report may not hold it. Every date and time the API takes goes through these fields, so the
range is stated once; a date outside it is a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def _out_of_range() -> str:
    return str(
        _("日期须在 %(a)s 至 %(b)s 之间，请检查年份。") % {"a": EARLIEST.isoformat(), "b": LATEST.isoformat()}
    )


class DateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> dt.date:
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed <= LATEST:
            raise serializers.ValidationError(_out_of_range(), code="date_range")
        return parsed


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value: Any) -> dt.datetime:
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed.date() <= LATEST:
            raise serializers.ValidationError(_out_of_range(), code="date_range")
        return parsed
