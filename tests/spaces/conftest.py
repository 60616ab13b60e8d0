"""Spaces fixtures: a small district (two blocks, a bio-semiconductor park), units, a park operator."""

from __future__ import annotations

from decimal import Decimal

import pytest
from spaces_helpers import make_unit

from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Block, Building, Park, TechnologyField
from kechuang.spaces import services
from kechuang.spaces.choices import SpaceType
from kechuang.testing.factories import OrganizationFactory, user_with_role


@pytest.fixture
def geo(db):
    juzhong = Block.objects.create(code="juzhong", name="菊中", sort_order=1)
    judong = Block.objects.create(code="judong", name="菊东", sort_order=2)
    biochip = TechnologyField.objects.create(code="LIF01", name="生物芯片")
    optics = TechnologyField.objects.create(code="ENE01", name="激光与光学")
    btit = Park.objects.create(
        code="btit-park",
        name="嘉唐智地BTIT科创产业园",
        block=juzhong,
        theme="生物半导体（生物技术×集成电路）",
    )
    btit.fields.add(biochip)
    fab = Building.objects.create(code="btit-fab", name="生物半导体洁净厂房", park=btit, block=juzhong)
    hub = Building.objects.create(code="judong-hub", name="菊东数字经济产业楼", block=judong)
    return {
        "juzhong": juzhong,
        "judong": judong,
        "btit": btit,
        "fab": fab,
        "hub": hub,
        "biochip": biochip,
        "optics": optics,
    }


@pytest.fixture
def unit(geo):
    return make_unit(geo["fab"], "101")


@pytest.fixture
def units(geo, unit):
    return {
        "clean": unit,
        "clean_big": make_unit(geo["fab"], "102", area="400", rent=300),
        "office": make_unit(
            geo["hub"],
            "1201",
            area="180",
            space_type=SpaceType.OFFICE,
            rent=420,
            floor=12,
            load="3.5",
            power=20,
        ),
    }


@pytest.fixture
def park_operator_org(geo):
    return OrganizationFactory(
        kind=OrganizationKind.PARK_OPERATOR, name="BTIT园区运营管理中心", uscc=None, park=geo["btit"]
    )


@pytest.fixture
def park_operator(park_operator_org):
    return user_with_role(None, park_operator_org, username="parkop")


@pytest.fixture
def space_request(enterprise_user, enterprise_org, geo):
    return services.space_request_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="生物芯片中试线需要洁净厂房",
        space_type=SpaceType.CLEANROOM,
        area_min_m2=Decimal(150),
        area_max_m2=Decimal(250),
        budget_fen_per_m2_day=300,
        fields=[geo["biochip"]],
    )


@pytest.fixture
def other_request(other_enterprise_user, other_enterprise_org, geo):
    return services.space_request_create(
        actor=other_enterprise_user,
        organization=other_enterprise_org,
        title="激光器装配办公室",
        space_type=SpaceType.OFFICE,
        area_min_m2=Decimal(100),
        area_max_m2=Decimal(300),
    )
