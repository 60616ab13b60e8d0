"""Money: integer fen everywhere; people read and type 元 (two decimals) or 万元 (ADR 0019).

One bound for every amount the platform accepts, the conversions, the checks the services run, the form
and serializer fields, and the formatting the pages and messages use.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

FEN_PER_YUAN = 100
FEN_PER_WAN = 1_000_000

#: The largest amount (in fen) any one field, posting or total accepts: 10¹³ fen, 一千亿元.
#: A district platform's largest single amounts (a technology contract, a scheme budget) are below
#: 100 亿元, so this leaves ten times the headroom and catches a unit typo (万元 typed as 元 × 10⁴);
#: and a sum of up to 900,000 such amounts still fits a signed 64-bit BIGINT (9.2 × 10¹⁸), so no
#: total the ledger, reconciliation or figures compute can overflow. 10¹⁵ (the other value once
#: used) would leave room for only 9,000 (ADR 0019).
MAX_FEN = 10**13


# --- conversions --------------------------------------------------------------------------------------


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


def fen_from_yuan_decimal(value: Decimal | None) -> int | None:
    """A form's Decimal of 元 → fen (rounded half to even); ``None`` stays ``None``."""
    return None if value is None else int((value * FEN_PER_YUAN).to_integral_value())


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


# --- formatting ---------------------------------------------------------------------------------------


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


def yuan_compact(fen: int | None) -> str:
    """Fen as 元 without grouping or trailing zeros: ``280`` → ``2.8``, ``300`` → ``3``; ``None`` → ``""``."""
    if fen is None:
        return ""
    value = (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))
    text = f"{value:f}".rstrip("0").rstrip(".")
    return text or "0"


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


def ratio_text(basis_points: int) -> str:
    """``5000`` → ``50%``; ``3750`` → ``37.5%``."""
    percent = Decimal(int(basis_points)) / 100
    return f"{percent.normalize():f}%"


# --- checks in services -------------------------------------------------------------------------------


def checked_fen(value: Any, field: str, *, label: Any = None, allow_zero: bool = False) -> int:
    """An amount handed to a service: an int of fen, positive (or zero when allowed), at most MAX_FEN.
    Raises ValidationError on ``field``; ``label`` names the amount in the message."""
    if isinstance(value, bool) or not isinstance(value, int):
        if label is not None:
            raise ValidationError({field: _("“%(label)s”必须是以分为单位的整数。") % {"label": label}})
        raise ValidationError({field: _("金额必须是以分为单位的整数。")})
    if value < 0 and allow_zero:
        if label is not None:
            raise ValidationError({field: _("“%(label)s”不能为负数。") % {"label": label}})
        raise ValidationError({field: _("金额不能为负数。")})
    if value <= 0 and not allow_zero:
        if label is not None:
            raise ValidationError({field: _("“%(label)s”必须大于零。") % {"label": label}})
        raise ValidationError({field: _("金额必须大于零。")})
    if value > MAX_FEN:
        if label is not None:
            raise ValidationError({field: _("“%(label)s”过大。") % {"label": label}})
        raise ValidationError({field: _("金额过大，请检查单位。")})
    return value


def optional_fen(value: Any, field: str, *, label: Any = None) -> int | None:
    """Like :func:`checked_fen` with zero allowed; ``None`` or ``""`` mean "not given"."""
    if value is None or value == "":
        return None
    return checked_fen(value, field, label=label, allow_zero=True)


# --- input fields -------------------------------------------------------------------------------------


class YuanField(forms.CharField):
    """A form amount in 元 with at most two decimals, cleaned to integer fen (at most MAX_FEN)."""

    def __init__(self, *args: Any, allow_zero: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _("单位：元，最多两位小数"))
        self.allow_zero = allow_zero
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return yuan_text(value).replace(",", "")
        return value

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            fen = fen_from_yuan(text)
        except ValueError:
            raise forms.ValidationError(_("请输入金额（元），最多两位小数，例如 1234.50。")) from None
        if fen < 0 or (fen == 0 and not self.allow_zero):
            raise forms.ValidationError(_("金额必须大于零。"))
        if fen > MAX_FEN:
            raise forms.ValidationError(_("金额过大。"))
        return fen


WAN_HELP = _("单位：万元，可保留到小数点后两位")


def wan_field(label: Any, *, required: bool = False, help_text: Any = WAN_HELP) -> forms.DecimalField:
    """A form amount in 万元 (two decimals, at most MAX_FEN once in fen); convert with fen_from_wan."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(MAX_FEN) / FEN_PER_WAN,
        max_digits=14,
        decimal_places=2,
        help_text=help_text,
        error_messages={
            "min_value": _("金额不能为负数。"),
            "max_value": _("金额过大，请检查单位（万元）。"),
            "invalid": _("请输入数字，单位为万元。"),
            "max_decimal_places": _("最多保留两位小数。"),
        },
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )


def fen_serializer_field(
    label: Any = None, *, min_value: int = 1, required: bool = True, allow_null: bool = False
) -> serializers.IntegerField:
    """An API amount in fen: an integer from ``min_value`` to MAX_FEN."""
    return serializers.IntegerField(
        label=label, min_value=min_value, max_value=MAX_FEN, required=required, allow_null=allow_null
    )
