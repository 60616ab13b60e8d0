"""Issue 16: the five-heights KPIs gain 共享仪器机时 and 服务企业数 under 科创资源汇聚, computed from bookings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kechuang.insights.kpis import compute, get_kpi
from kechuang.instruments.choices import BookingStatus, UserClass
from kechuang.instruments.models import Booking

pytestmark = pytest.mark.django_db


def used(instrument, org, user_class, minutes, start, status=BookingStatus.COMPLETED, code=""):
    return Booking.objects.create(
        code=code,
        instrument=instrument,
        organization=org,
        start_at=start,
        end_at=start + dt.timedelta(hours=4),
        status=status,
        user_class=user_class,
        actual_minutes=minutes if status == BookingStatus.COMPLETED else None,
    )


def test_hours_and_enterprises_are_computed_from_completed_bookings(
    instrument, owner_org, enterprise_org, other_enterprise_org
):
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    # inside this year and before tomorrow, whatever the day the test runs
    start = max(midnight - dt.timedelta(hours=20), timezone.make_aware(dt.datetime(today.year, 1, 1)))
    used(instrument, enterprise_org, UserClass.DISTRICT, 90, start, code="YY-K-1")
    used(instrument, enterprise_org, UserClass.DISTRICT, 30, start + dt.timedelta(hours=4), code="YY-K-2")
    used(
        instrument, other_enterprise_org, UserClass.DISTRICT, 60, start + dt.timedelta(hours=8), code="YY-K-3"
    )
    used(instrument, owner_org, UserClass.OWNER, 120, start + dt.timedelta(hours=12), code="YY-K-4")
    used(
        instrument,
        other_enterprise_org,
        UserClass.DISTRICT,
        0,
        start + dt.timedelta(hours=16),
        BookingStatus.NO_SHOW,
        "YY-K-5",
    )
    year = timezone.localdate().year
    hours = get_kpi("resources.instrument_hours")
    enterprises = get_kpi("resources.instrument_enterprises")
    assert hours is not None and hours.kind == "flow" and hours.module == "instruments"
    assert compute(hours, year).actual == Decimal("5.00")  # (90 + 30 + 60 + 120) / 60
    assert compute(enterprises, year).actual == 2  # two enterprises; the owner's own use is not one
    assert compute(enterprises, year - 1).actual == 0
