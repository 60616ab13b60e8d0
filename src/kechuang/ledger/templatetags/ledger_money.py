"""``{{ value|yuan }}`` → ``1,234.56``; ``{{ value|yuan_unit }}`` → ``1,234.56 元``; ``{{ bp|ratio }}`` → ``50%``."""

from __future__ import annotations

from typing import Any

from django import template

from ..money import format_fen, ratio_text, yuan_text

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    try:
        return yuan_text(value)
    except (TypeError, ValueError):
        return "—"


@register.filter
def yuan_unit(value: Any) -> str:
    try:
        return format_fen(value)
    except (TypeError, ValueError):
        return "—"


@register.filter
def ratio(value: Any) -> str:
    try:
        return ratio_text(int(value))
    except (TypeError, ValueError):
        return "—"
