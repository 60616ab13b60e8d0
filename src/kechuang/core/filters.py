"""Filters every list shares (docs/reliability.md K5).

An id filter takes a whole number from 1 to the largest signed 64-bit integer; anything else (a huge
number, a fraction, ``1e999``) is a 400 naming the filter, never an integer overflow in the database
(SQLite refuses integers over 2⁶³ with an error, not an empty result).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    default_error_messages = {
        "invalid": _("请填写编号（正整数）。"),
        "min_value": _("编号应为正整数。"),
        "max_value": _("编号过大，不存在这样的记录。"),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]  # django-filter ships no types
    """Filter on a foreign key's id (``?organization=12``)."""

    field_class = IdField
