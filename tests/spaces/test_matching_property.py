"""Property test (issue 14 item 3): whatever the units and the request, no ranked unit failing a stated
hard requirement (area range, type, floor load, power) sits above one meeting them all, and every score
lies on its request's scale."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kechuang.directory.models import Block, Building, Park
from kechuang.spaces import selectors
from kechuang.spaces.choices import SpaceType
from kechuang.spaces.models import SpaceRequest, SpaceUnit

BLOCK = Block(pk=1, code="b", name="菊中")
PARK = Park(pk=1, code="p", name="园区", block=BLOCK)
BUILDINGS = [
    Building(pk=1, code="in-park", name="园内楼", park=PARK, block=BLOCK),
    Building(pk=2, code="outside", name="园外楼", park=None, block=BLOCK),
]
TYPES = [SpaceType.CLEANROOM, SpaceType.OFFICE]

maybe = st.one_of(st.none(), st.integers(min_value=1, max_value=400))
unit_strategy = st.builds(
    lambda i, area, kind, rent, load, power, building: SpaceUnit(
        pk=i + 1,
        code=f"u{i}",
        unit_code=str(i),
        building=BUILDINGS[building],
        area_m2=Decimal(area),
        space_type=TYPES[kind],
        rent_fen_per_m2_day=rent,
        floor_load_kn_m2=None if load is None else Decimal(load) / 10,
        power_kw=power,
    ),
    st.integers(0, 10_000),
    st.integers(min_value=100, max_value=400),
    st.integers(0, 1),
    st.integers(min_value=100, max_value=400),
    maybe,
    maybe,
    st.integers(0, 1),
)


@st.composite
def requests(draw):
    low = draw(st.integers(min_value=120, max_value=300))
    high = low + draw(st.integers(min_value=0, max_value=100))
    return SpaceRequest(
        pk=1,
        title="需求",
        area_min_m2=Decimal(low),
        area_max_m2=Decimal(high),
        space_type=draw(st.sampled_from(["", *TYPES])),
        budget_fen_per_m2_day=draw(st.one_of(st.none(), st.integers(150, 400))),
        min_floor_load_kn_m2=draw(st.one_of(st.none(), st.integers(1, 40).map(lambda n: Decimal(n) / 10))),
        min_power_kw=draw(st.one_of(st.none(), st.integers(1, 400))),
        park_id=draw(st.sampled_from([None, 1])),
    )


def meets_all(request: SpaceRequest, unit: SpaceUnit) -> bool:
    area_ok = request.area_min_m2 <= unit.area_m2 <= request.area_max_m2
    type_ok = not request.space_type or unit.space_type == request.space_type
    load_ok = request.min_floor_load_kn_m2 is None or (
        unit.floor_load_kn_m2 is not None and unit.floor_load_kn_m2 >= request.min_floor_load_kn_m2
    )
    power_ok = request.min_power_kw is None or (
        unit.power_kw is not None and unit.power_kw >= request.min_power_kw
    )
    return area_ok and type_ok and load_ok and power_ok


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    request=requests(),
    units=st.lists(unit_strategy, min_size=1, max_size=25, unique_by=lambda u: u.code),
    themed=st.booleans(),
)
def test_no_unit_failing_a_hard_requirement_ranks_above_one_meeting_all(request, units, themed):
    field_ids = {7} if themed else set()
    park_fields = {1: [type("Field", (), {"pk": 7, "name": "生物芯片"})()]}
    matches = [m for m in (selectors.score_unit(request, u, field_ids, park_fields) for u in units) if m]
    ranked = selectors.rank_matches(matches, limit=len(matches), apart=len(matches))
    verdicts = [meets_all(request, m.unit) for m in ranked]
    assert verdicts == sorted(verdicts, reverse=True), "a failing unit sits above one meeting all"
    for match, verdict in zip(ranked, verdicts, strict=True):
        assert match.meets_requirements == verdict
        assert bool(match.fails) != verdict
        assert 0 <= match.score <= match.scale and 0 <= match.percent <= 100
    met = [m for m in ranked if m.meets_requirements]
    assert [m.score for m in met] == sorted((m.score for m in met), reverse=True)


pytestmark = pytest.mark.filterwarnings("ignore")
