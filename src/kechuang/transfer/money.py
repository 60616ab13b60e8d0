"""Money is integer fen everywhere; people read and type 万元 (or 元)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000


def fen_from_wan(value: Decimal | int | str | None) -> int | None:
    """万元 → fen; ``None`` stays ``None``. Raises ValueError on nonsense."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(str(value)) from error
    if not amount.is_finite():
        raise ValueError(str(value))
    return int((amount * FEN_PER_WAN).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def wan_from_fen(fen: int | None) -> Decimal | None:
    if fen is None:
        return None
    return (Decimal(fen) / FEN_PER_WAN).normalize()


def format_wan(fen: int | None, *, empty: str = "面议") -> str:
    """``50 万元``, ``12.5 万元``, ``3,500 元`` for small sums."""
    if fen is None:
        return empty
    if abs(fen) < FEN_PER_WAN:
        yuan = Decimal(fen) / FEN_PER_YUAN
        text = f"{yuan:,.2f}".rstrip("0").rstrip(".")
        return f"{text} 元"
    wan = Decimal(fen) / FEN_PER_WAN
    text = f"{wan:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 万元"


def format_range(low: int | None, high: int | None, *, empty: str = "面议") -> str:
    if low is None and high is None:
        return empty
    if low is not None and high is not None:
        if low == high:
            return format_wan(low)
        a, b = format_wan(low), format_wan(high)
        if a.endswith(" 万元") and b.endswith(" 万元"):
            return f"{a[:-3]}–{b}"
        return f"{a}–{b}"
    if low is not None:
        return f"不低于 {format_wan(low)}"
    return f"不超过 {format_wan(high)}"
