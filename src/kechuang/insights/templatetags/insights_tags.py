from __future__ import annotations

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
