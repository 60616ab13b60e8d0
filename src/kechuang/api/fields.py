"""Serializer fields with the ranges every input of their kind must keep (docs/reliability.md K5).

Every date and time the API takes goes through these fields, so the range (kechuang.core.dates) is
stated once; a date outside it is a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from kechuang.core.dates import in_range, out_of_range_message


class DateField(serializers.DateField):
    def to_internal_value(self, value: Any) -> dt.date:
        parsed = super().to_internal_value(value)
        if not in_range(parsed):
            raise serializers.ValidationError(out_of_range_message(), code="date_range")
        return parsed


class DateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value: Any) -> dt.datetime:
        parsed = super().to_internal_value(value)
        if not in_range(parsed):
            raise serializers.ValidationError(out_of_range_message(), code="date_range")
        return parsed
