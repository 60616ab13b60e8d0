"""Template helpers for the transfer pages: money in 万元, choice labels, status badges."""

from __future__ import annotations

from typing import Any

from django import template

from kechuang.core.money import format_range, format_wan

from ..choices import CooperationMode, IPKind

register = template.Library()

STATUS_COLORS = {
    "draft": "secondary",
    "submitted": "warning",
    "returned": "danger",
    "published": "success",
    "negotiating": "info",
    "transferred": "primary",
    "solved": "primary",
    "archived": "dark",
    "closed": "dark",
    "pending": "warning",
    "accepted": "success",
    "declined": "secondary",
    "withdrawn": "secondary",
}


@register.filter
def wan(fen: int | None, empty: str = "面议") -> str:
    return format_wan(fen, empty=empty)


@register.simple_tag
def wan_range(low: int | None, high: int | None) -> str:
    return format_range(low, high)


@register.filter
def mode_labels(values: list[str] | None) -> str:
    labels = dict(CooperationMode.choices)
    return "、".join(str(labels.get(v, v)) for v in values or [])


@register.filter
def ip_labels(values: list[str] | None) -> str:
    labels = dict(IPKind.choices)
    return "、".join(str(labels.get(v, v)) for v in values or [])


@register.filter
def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "secondary")


@register.filter
def kind_label(kind: str) -> str:
    from kechuang.transfer.selectors import search_kinds

    return str(search_kinds().get(kind, kind))


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if mapping else None
