"""Numbers by their published formats (docs/adr/0028, "Numbers"): the Chinese application number's check
digit (weights 2…9,2…5 mod 11, 10 written X) checked against published numbers, the old 8-digit form,
the kind digit, and the formats of the other kinds and of foreign family members."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kechuang.ip import ipc, numbers


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "201710601862.3",
            "201710601862.3",
        ),  # a published number: 2·2+0·3+1·4+7·5+1·6+0·7+6·8+0·9+1·2+8·3+6·4+2·5 = 157 ≡ 3
        ("ZL 201710601862.3", "201710601862.3"),
        ("CN201710601862.3", "201710601862.3"),
        ("２０１７１０６０１８６２．３", "201710601862.3"),
        ("95115608.X", "95115608.X"),  # the pre-2003 form: 186 ≡ 10 → X
        ("201310123456.2", "201310123456.2"),
    ],
)
def test_published_numbers_check(raw, canonical):
    assert numbers.cn_application_number(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("201710601862.4", "校验位应为 3"),
        ("201710601862", "缺少校验位"),
        ("20171060186.3", "不是有效的专利申请号"),
        ("95115608.1", "校验位应为 X"),
    ],
)
def test_wrong_numbers_are_refused_in_chinese(raw, message):
    with pytest.raises(ValidationError) as error:
        numbers.cn_application_number(raw)
    assert message in error.value.messages[0]


def test_the_kind_digit_must_fit_the_kind():
    assert numbers.asset_number("201710601862.3", "invention") == "201710601862.3"
    body = "201720601862"
    utility = f"{body}.{numbers.check_character(body)}"
    assert numbers.asset_number(utility, "utility") == utility
    with pytest.raises(ValidationError, match="类型位"):
        numbers.asset_number(utility, "invention")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.sampled_from("0123456789X"))
def test_exactly_one_check_character_is_accepted(body, check):
    expected = numbers.check_character(body)
    if 1985 <= int(body[:4]) <= 2100:
        if check == expected:
            assert numbers.cn_application_number(f"{body}.{check}") == f"{body}.{check}"
        else:
            with pytest.raises(ValidationError):
                numbers.cn_application_number(f"{body}.{check}")


@pytest.mark.parametrize(
    ("raw", "kind", "canonical"),
    [
        ("2023SR0123456", "software", "2023SR0123456"),
        ("2019sr 123456", "software", "2019SR0123456"),
        ("BS.235012345", "ic_layout", "BS.235012345"),
        ("CNA20201234.5", "plant_variety", "CNA20201234.5"),
    ],
)
def test_other_kinds_by_format(raw, kind, canonical):
    assert numbers.asset_number(raw, kind) == canonical


def test_foreign_members_need_a_country_code():
    assert numbers.foreign_number("US 10,123,456 B2".replace(",", "")) == ("US", "US10123456B2")
    assert numbers.foreign_number("EP3123456A1") == ("EP", "EP3123456A1")
    for bad in ("10123456", "CN106123456A", "U1"):
        with pytest.raises(ValidationError):
            numbers.foreign_number(bad)


def test_ipc_codes_map_to_fields_by_longest_prefix():
    assert ipc.normalize_ipc("h01l21/02") == "H01L 21/02"
    assert ipc.split_ipc("G06F 21/60；H04L 9/40; G06F 16/00") == ["G06F 21/60", "H04L 9/40", "G06F 16/00"]
    assert ipc.field_codes(["G06F 21/60", "G06F 16/00"]) == ["DIG05", "DIG07"]
    assert ipc.field_codes(["H01L 21/02", "H01L 23/00"]) == ["MAT02", "DIG03"]
    assert ipc.is_strategic(["G01L 9/00"]) and not ipc.is_strategic(["F16B 2/00", "B65G 47/90"])
    with pytest.raises(ValidationError, match="IPC"):
        ipc.normalize_ipc("XYZ")
