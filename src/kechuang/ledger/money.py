"""Money is integer fen everywhere; people read and type 元 with two decimals."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

FEN_PER_YUAN = 100


def yuan_text(fen: Any) -> str:
    """``123456`` → ``1,234.56`` (no unit); ``None`` → ``—``."""
    if fen is None or fen == "":
        return "—"
    value = int(fen)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def format_fen(fen: Any) -> str:
    """``123456`` → ``1,234.56 元``."""
    text = yuan_text(fen)
    return text if text == "—" else f"{text} 元"


def fen_from_yuan(value: Any) -> int:
    """``"1,234.5"`` → ``123450``. Raises ValueError for anything that is not an amount of 元 with at most
    two decimals."""
    if isinstance(value, bool):
        raise ValueError(value)
    text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    text = text.removesuffix("元").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(value) from error
    if not amount.is_finite():
        raise ValueError(value)
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ValueError(value)
    return int(fen)


def ratio_text(basis_points: int) -> str:
    """``5000`` → ``50%``; ``3750`` → ``37.5%``."""
    percent = Decimal(int(basis_points)) / 100
    return f"{percent.normalize():f}%"
