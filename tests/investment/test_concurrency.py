"""Racing on PostgreSQL with real parallel connections: two clock ticks escalate a breach once; two
watch-list builds open one case; a double-submitted registration lands the firm once."""

from __future__ import annotations

import pytest
from inv_helpers import advance, at

from kechuang.directory.models import Organization
from kechuang.investment import services
from kechuang.investment.choices import LeadStage
from kechuang.investment.models import Lead, LeadEscalation, RetentionCase
from kechuang.notifications.models import Notification
from kechuang.testing.concurrency import concurrently
from kechuang.testing.factories import make_uscc

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_racing_ticks_escalate_a_breach_once(lead, leader, frozen):
    frozen.set(at(2026, 3, 17, 11))
    results = concurrently(2, lambda _i: services.clocks_tick())
    assert not [r for r in results if isinstance(r, Exception)], results
    assert LeadEscalation.objects.filter(lead=lead).count() == 1
    assert Notification.objects.filter(recipient=leader, kind="investment.escalated").count() == 1


def test_two_racing_watch_list_builds_open_one_case(frozen, operator, enterprise_org, block):
    import datetime as dt
    from decimal import Decimal

    from kechuang.directory.models import Building
    from kechuang.spaces import services as space_services
    from kechuang.spaces.models import SpaceUnit

    building = Building.objects.create(code="hub", name="菊东数字经济产业楼", block=block)
    unit = SpaceUnit.objects.create(
        code="hub-301",
        building=building,
        unit_code="301",
        floor=3,
        area_m2=Decimal(300),
        space_type="office",
        rent_fen_per_m2_day=400,
    )
    today = frozen().date()
    space_services.lease_sign(
        actor=operator,
        unit=unit,
        organization=enterprise_org,
        start_date=today - dt.timedelta(days=700),
        end_date=today + dt.timedelta(days=60),
    )
    results = concurrently(2, lambda _i: services.watchlist_build())
    assert not [r for r in results if isinstance(r, Exception)], results
    assert RetentionCase.objects.count() == 1


def test_a_double_submitted_registration_lands_the_firm_once(lead, commissioner):
    for note in ("研判", "意向书", "协议"):
        lead = advance(commissioner, lead, note)
    uscc = make_uscc(77)
    lead_pk = lead.pk

    def register(_index: int):
        return advance(commissioner, Lead.objects.get(pk=lead_pk), "营业执照", uscc=uscc)

    results = concurrently(2, register)
    landed = [r for r in results if isinstance(r, Lead)]
    assert len(landed) == 1, results
    assert Organization.objects.filter(uscc=uscc).count() == 1
    assert Lead.objects.get(pk=lead_pk).stage == LeadStage.REGISTERED
