from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    """1234567 → 1,234,567; 12.50 → 12.5; None → —."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal | float):
        number = Decimal(str(value)).quantize(Decimal("0.01"))
        if number == number.to_integral_value():
            return f"{int(number):,}"
        return f"{number:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@register.filter
def bar(value: Any) -> int:
    """A percentage clamped to 0–100 for a progress bar's width."""
    try:
        return max(0, min(100, round(float(value))))
    except (TypeError, ValueError):
        return 0


@register.filter
def tone(value: Any) -> str:
    """Progress colour: on track (≥ 100), close (≥ 60), behind; none when there is no target."""
    if value is None:
        return "none"
    value = float(value)
    return "good" if value >= 100 else "fair" if value >= 60 else "low"


@register.filter
def cell_kind(value: Any) -> str:
    """How a detail-table cell is laid out: numbers and dates keep to one line (and numbers align right),
    text wraps, so a long name never pushes the date and amount columns out of sight."""
    if isinstance(value, bool):
        return "text"
    if isinstance(value, int | float | Decimal):
        return "num"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str) and len(value) <= 12 and value[:4].isdigit() and value[4:5] in ("-", "/"):
        return "date"
    return "text"
