"""Small display helpers of the challenge pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

COLORS = {
    "draft": "secondary",
    "submitted": "warning",
    "published": "success",
    "closed": "info",
    "reviewing": "info",
    "awarded": "primary",
    "in_progress": "primary",
    "completed": "dark",
    "withdrawn": "secondary",
    "rejected": "danger",
    "in_review": "info",
    "won": "success",
    "not_chosen": "secondary",
    "open": "info",
    "signing": "warning",
    "accepted": "success",
    "planned": "secondary",
    "delivered": "warning",
    "requested": "warning",
    "paid": "success",
}


@register.filter
def status_color(value: Any) -> str:
    return COLORS.get(str(value), "secondary")


@register.filter
def score(value: Any) -> str:
    """A score kept ×100 as an integer, shown with two decimals."""
    if value in (None, ""):
        return "—"
    return f"{int(value) / 100:.2f}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
