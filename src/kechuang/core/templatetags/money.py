"""``{{ value|yuan }}`` → ``1,234.56``; ``{{ value|yuan_unit }}`` → ``1,234.56 元``; ``{{ bp|ratio }}`` → ``50%``;
``{{ value|wan }}`` → ``12.5 万元``; ``{% wan_range low high %}`` (formatting in ``core.money``)."""

from __future__ import annotations

from typing import Any

from django import template

from ..money import format_fen, format_range, format_wan, ratio_text, yuan_text

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


@register.filter
def wan(fen: int | None, empty: str = "面议") -> str:
    return format_wan(fen, empty=empty)


@register.simple_tag
def wan_range(low: int | None, high: int | None) -> str:
    return format_range(low, high)
