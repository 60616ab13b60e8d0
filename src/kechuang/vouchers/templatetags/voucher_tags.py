"""Small helpers for the voucher pages: status colours and category names."""

from __future__ import annotations

from typing import Any

from django import template

from ..choices import ServiceCategory

register = template.Library()

COLORS = {
    "draft": "secondary",
    "open": "success",
    "closed": "dark",
    "pending": "warning",
    "approved": "success",
    "rejected": "danger",
    "suspended": "dark",
    "submitted": "warning",
    "reviewed": "info",
    "granted": "success",
    "withdrawn": "secondary",
    "active": "success",
    "expired": "secondary",
    "revoked": "danger",
    "placed": "warning",
    "accepted": "info",
    "delivered": "primary",
    "confirmed": "success",
    "declined": "danger",
    "cancelled": "secondary",
    "batched": "info",
    "paid": "success",
}


@register.filter
def status_color(value: Any) -> str:
    return COLORS.get(str(value), "secondary")


@register.filter
def category_label(value: Any) -> str:
    try:
        return str(ServiceCategory(str(value)).label)
    except ValueError:
        return str(value)


@register.filter
def side_label(value: Any) -> str:
    return {"D": "借", "C": "贷"}.get(str(value), str(value))


@register.simple_tag
def percent(part: Any, whole: Any) -> int:
    try:
        return max(0, min(100, round(int(part) * 100 / int(whole)))) if int(whole) else 0
    except (TypeError, ValueError):
        return 0
