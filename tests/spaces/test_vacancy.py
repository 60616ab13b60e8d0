"""Vacancy figures equal hand counts on a small fixture."""

from __future__ import annotations

import pytest
from spaces_helpers import days, make_unit

from kechuang.spaces import selectors, services
from kechuang.spaces.choices import SpaceType
from kechuang.spaces.models import Lease

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(geo, operator, enterprise_org, other_enterprise_org):
    """Five units, 1500 ㎡:
    fab-1 200 ㎡ leased (signed today, vacant 30 days before)      → let
    fab-2 400 ㎡ reserved                                           → held
    fab-3 100 ㎡ vacant
    hub-1 300 ㎡ leased (signed today, vacant 90 days before)      → let
    hub-2 500 ㎡ vacant (its old lease ended last year: not this year's letting)
    Vacant: fab-3 + hub-2 = 600 ㎡ of 1500 → 40.0 %; 2 of 5 units.
    菊中 (fab): 100 of 700 → 14.3 %; 菊东 (hub): 500 of 800 → 62.5 %.
    Let this year: 200 + 300 = 500 ㎡; days to let: (30 + 90) / 2 = 60.0."""
    fab, hub = geo["fab"], geo["hub"]
    u1 = make_unit(fab, "1", area="200", vacant_since=days(-30))
    u2 = make_unit(fab, "2", area="400")
    make_unit(fab, "3", area="100")
    u4 = make_unit(hub, "1", area="300", space_type=SpaceType.OFFICE, vacant_since=days(-90))
    u5 = make_unit(hub, "2", area="500", space_type=SpaceType.OFFICE)
    services.lease_sign(
        actor=operator, unit=u1, organization=enterprise_org, start_date=days(0), end_date=days(700)
    )
    services.reservation_create(
        actor=operator, unit=u2, organization=other_enterprise_org, start_date=days(20), end_date=days(400)
    )
    services.lease_sign(
        actor=operator, unit=u4, organization=other_enterprise_org, start_date=days(-5), end_date=days(360)
    )
    old = services.lease_sign(
        actor=operator, unit=u5, organization=enterprise_org, start_date=days(-800), end_date=days(-400)
    )
    Lease.objects.filter(pk=old.pk).update(signed_on=days(-820))  # signed long ago


def test_vacancy_figures_equal_the_hand_counts(district):
    figures = selectors.vacancy_figures()
    assert (figures["units"], figures["vacant_units"]) == (5, 2)
    assert (figures["area_m2"], figures["vacant_area_m2"], figures["vacancy_rate"]) == ("1500", "600", 40.0)
    blocks = {b["code"]: b for b in figures["blocks"]}
    assert (blocks["juzhong"]["vacancy_rate"], blocks["judong"]["vacancy_rate"]) == (14.3, 62.5)
    assert blocks["juzhong"]["vacant_units"] == 1 and blocks["judong"]["units"] == 2
    parks = {p["code"]: p for p in figures["parks"]}
    assert (parks["btit-park"]["vacant_units"], parks["btit-park"]["units"]) == (1, 3)
    assert figures["area_let_this_year_m2"] == "500"
    assert figures["leases_this_year"] == 2
    assert figures["average_days_to_let"] == 60.0


def test_map_labels_carry_the_vacancy(district):
    data = selectors.vacancy_map_data(selectors.vacancy_figures())
    names = {b["code"]: b["name"] for b in data["blocks"]}
    assert names["juzhong"] == "菊中 空置14%"
    parks = {p["code"]: p["name"] for p in data["parks"]}
    assert parks["btit-park"] == "嘉唐智地BTIT科创产业园（空置 1/3 套）"


def test_an_empty_inventory_has_no_rate(geo):
    figures = selectors.vacancy_figures()
    assert figures["vacancy_rate"] is None and figures["average_days_to_let"] is None
