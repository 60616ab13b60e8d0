"""The science-literacy KPIs (科普活动场次, 参与人次) are computed from recorded outreach events and their
check-ins, and equal a hand count (issue 17); no manual entry is left for them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from events_helpers import held, make_event, participants

from kechuang.events import services
from kechuang.events.choices import EventKind, Height, VenueKind
from kechuang.events.models import Event, Registration
from kechuang.insights.kpis import MANUAL, compute, get_kpi
from kechuang.insights.selectors import kpi_table

pytestmark = pytest.mark.django_db


def value(code: str, year: int) -> int:
    kpi = get_kpi(code)
    assert kpi is not None and kpi.kind != MANUAL
    return int(compute(kpi, year).actual or 0)


def test_science_literacy_kpis_equal_a_hand_count(
    operator, enterprise_org, enterprise_user, building, series
):
    year = timezone.localdate().year
    outreach = dict(
        kind=EventKind.OUTREACH, height=Height.LITERACY, capacity=10, series=series["“邻+科学院”"]
    )
    amenity = dict(venue_kind=VenueKind.AMENITY, amenity="科学家精神教育基地")
    # two outreach events held this year, one with three check-ins (and a no-show), one with two walk-ins
    first = make_event(operator, enterprise_org, building, **outreach)
    people = participants(4, enterprise_org)
    regs = [services.registration_create(actor=p, event=first) for p in people]
    for registration in regs[:3]:
        services.registration_check_in(actor=enterprise_user, event=first, code=registration.checkin_code)
    second = make_event(operator, enterprise_org, None, **outreach, **amenity)
    services.registration_walk_in(actor=enterprise_user, event=second, name="王小明")
    services.registration_walk_in(actor=enterprise_user, event=second, name="李小红")
    # not counted: a forum with a check-in, a cancelled outreach event, a draft, one not yet begun
    forum = make_event(operator, enterprise_org, building, capacity=5)
    services.registration_walk_in(actor=enterprise_user, event=forum, name="赵工")
    cancelled = make_event(operator, enterprise_org, building, **outreach)
    services.registration_walk_in(actor=enterprise_user, event=cancelled, name="钱老师")
    services.event_cancel(actor=operator, event=cancelled, reason="暴雨")
    make_event(operator, enterprise_org, building, status="draft", **outreach)
    future = make_event(operator, enterprise_org, building, **outreach)
    # hold the counted ones in the past (this year), the future one stays ahead
    for event in (first, second, forum, cancelled):
        held(event, days_ago=0)
    hand_events = Event.objects.filter(
        kind=EventKind.OUTREACH, status__in=["published", "finished"], starts_at__year=year
    ).exclude(pk=future.pk)
    assert hand_events.count() == 2
    hand_people = Registration.objects.filter(
        event__in=hand_events, status="confirmed", checked_in_at__isnull=False
    ).count()
    assert hand_people == 5
    if timezone.localdate().month == 1 and timezone.localdate().day == 1:  # pragma: no cover
        return  # held(days_ago=0) may land in last year on New Year's morning
    assert value("literacy.events", year) == 2
    assert value("literacy.participants", year) == 5
    row = next(r for r in kpi_table(year) if r["code"] == "literacy.participants")
    assert row["actual"] == 5 and row["kind"] != MANUAL


def test_last_years_outreach_counts_in_last_year(operator, enterprise_org, building, enterprise_user, series):
    year = timezone.localdate().year
    event = make_event(operator, enterprise_org, building, kind=EventKind.OUTREACH, capacity=5)
    services.registration_walk_in(actor=enterprise_user, event=event, name="孙同学")
    last_year = timezone.make_aware(dt.datetime(year - 1, 6, 1, 14, 0))
    Event.objects.filter(pk=event.pk).update(starts_at=last_year, ends_at=last_year + dt.timedelta(hours=2))
    Registration.objects.filter(event=event).update(checked_in_at=last_year)
    assert value("literacy.events", year - 1) == 1 and value("literacy.participants", year - 1) == 1
    assert value("literacy.events", year) == 0 and value("literacy.participants", year) == 0
