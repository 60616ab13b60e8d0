"""core.money: one bound for every amount, conversions, checks and fields (ADR 0019). No database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers

from kechuang.core.money import (
    MAX_FEN,
    YuanField,
    checked_fen,
    fen_from_wan,
    fen_from_yuan,
    fen_from_yuan_decimal,
    fen_serializer_field,
    format_fen,
    format_range,
    format_wan,
    optional_fen,
    wan_field,
    wan_from_fen,
    yuan_compact,
    yuan_text,
)


def test_the_bound_is_one_hundred_billion_yuan_and_sums_of_many_stay_inside_a_bigint():
    assert MAX_FEN == 10**13 == 1000 * 10**8 * 100  # 一千亿元 in fen
    assert 900_000 * MAX_FEN < 2**63 - 1


@pytest.mark.parametrize(
    ("text", "fen"), [("1,234.5", 123450), ("￥12元", 1200), ("0.01", 1), ("  7 ", 700), ("1，000", 100000)]
)
def test_yuan_text_becomes_fen(text, fen):
    assert fen_from_yuan(text) == fen


@pytest.mark.parametrize("text", ["1.001", "abc", "", "NaN", "Infinity", True])
def test_anything_but_yuan_with_two_decimals_is_refused(text):
    with pytest.raises(ValueError):
        fen_from_yuan(text)


def test_conversions_and_formatting():
    assert fen_from_wan("12.5") == 12_500_000 and fen_from_wan(None) is None
    assert wan_from_fen(12_500_000) == Decimal("12.5") and wan_from_fen(None) is None
    assert fen_from_yuan_decimal(Decimal("2.80")) == 280 and fen_from_yuan_decimal(None) is None
    assert yuan_text(123456) == "1,234.56" and yuan_text(-5) == "-0.05" and yuan_text(None) == "—"
    assert format_fen(123456) == "1,234.56 元" and format_fen(None) == "—"
    assert yuan_compact(280) == "2.8" and yuan_compact(300) == "3" and yuan_compact(0) == "0"
    assert format_wan(12_500_000) == "12.5 万元" and format_wan(350_000) == "3,500 元"
    assert format_wan(None) == "面议" and format_range(1_000_000, 2_000_000) == "1–2 万元"


def test_services_accept_amounts_up_to_the_bound_and_name_the_field_otherwise():
    assert checked_fen(MAX_FEN, "price_fen") == MAX_FEN
    assert checked_fen(0, "price_fen", allow_zero=True) == 0
    assert optional_fen(None, "price_fen") is None and optional_fen("", "price_fen") is None
    for value, allow_zero, message in [
        (MAX_FEN + 1, False, "金额过大，请检查单位。"),
        (0, False, "金额必须大于零。"),
        (-1, True, "金额不能为负数。"),
        (1.5, False, "金额必须是以分为单位的整数。"),
        (True, False, "金额必须是以分为单位的整数。"),
    ]:
        with pytest.raises(ValidationError) as refused:
            checked_fen(value, "price_fen", allow_zero=allow_zero)
        assert refused.value.message_dict == {"price_fen": [message]}
    with pytest.raises(ValidationError) as refused:
        checked_fen(MAX_FEN + 1, "budget_fen", label="申请经费")
    assert refused.value.message_dict == {"budget_fen": ["“申请经费”过大。"]}


def test_form_and_api_fields_stop_at_the_bound():
    field = YuanField()
    assert field.clean("100000000000") == MAX_FEN
    with pytest.raises(ValidationError):
        field.clean("100000000000.01")
    assert field.prepare_value(123456) == "1234.56"

    wan = wan_field("金额")
    assert wan.clean("10000000") == Decimal(10_000_000)  # 一千亿元 in 万元
    with pytest.raises(ValidationError):
        wan.clean("10000000.01")

    api = fen_serializer_field("金额")
    assert api.run_validation(MAX_FEN) == MAX_FEN
    with pytest.raises(serializers.ValidationError):
        api.run_validation(MAX_FEN + 1)
