"""Matching: fit on area, type, budget and the park's industry theme, with reasons rendered from data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from spaces_helpers import make_unit

from kechuang.spaces import selectors, services
from kechuang.spaces.choices import SpaceType

pytestmark = pytest.mark.django_db


def test_matches_carry_chinese_reasons_from_the_data(space_request, units):
    matches = selectors.match_units(space_request)
    assert [m.unit.code for m in matches] == [
        "btit-fab-101"
    ]  # 400 ㎡ is > 20 % over 250; the office is a type miss
    assert matches[0].reasons == [
        "面积 200㎡ 在需求 150–250㎡ 内",
        "类型相符：洁净室",
        "租金 2.8 元/㎡·天 在预算内",
        "园区主题相符：生物芯片",
    ]


def test_near_misses_are_shown_lower_with_a_warning(space_request, geo, unit):
    make_unit(geo["fab"], "103", area="280", rent=320)  # 12 % over the area, 6.7 % over the budget
    matches = selectors.match_units(space_request)
    assert [m.unit.code for m in matches] == ["btit-fab-101", "btit-fab-103"]
    assert matches[1].warnings == ["面积 280㎡ 略大于需求 150–250㎡", "租金 3.2 元/㎡·天 略超预算 3 元/㎡·天"]


def test_let_and_reserved_units_are_not_offered(space_request, unit, operator, enterprise_org):
    from spaces_helpers import days

    services.reservation_create(
        actor=operator, unit=unit, organization=enterprise_org, start_date=days(1), end_date=days(10)
    )
    assert selectors.match_units(space_request) == []


def test_type_not_given_matches_any_type_and_says_so(enterprise_user, enterprise_org, units):
    request = services.space_request_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="任意",
        area_min_m2=Decimal(150),
        area_max_m2=Decimal(220),
    )
    reasons = {m.unit.code: m.reasons for m in selectors.match_units(request)}
    assert reasons["judong-hub-1201"][1] == "类型不限（本房源为办公）"
    assert set(reasons) == {"btit-fab-101", "judong-hub-1201"}


def test_special_needs_for_load_and_power_are_checked(enterprise_user, enterprise_org, unit):
    request = services.space_request_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="重载",
        space_type=SpaceType.CLEANROOM,
        area_min_m2=Decimal(100),
        area_max_m2=Decimal(300),
        min_floor_load_kn_m2=Decimal("10.0"),
        min_power_kw=100,
    )
    match = selectors.match_units(request)[0]
    assert "供电 120 kW 满足要求" in match.reasons
    assert "承重 8.0 kN/㎡ 未达要求 10.0 kN/㎡" in match.warnings
