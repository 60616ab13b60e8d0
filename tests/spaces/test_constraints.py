"""The database itself refuses overlapping holds of one unit (written with the ORM, bypassing the
services): an exclusion constraint on PostgreSQL, triggers on SQLite."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from spaces_helpers import days

from kechuang.spaces.choices import LeaseStatus, ReservationStatus
from kechuang.spaces.models import Lease, Reservation, new_code

pytestmark = pytest.mark.django_db


def lease(unit, org, start, end, status=LeaseStatus.ACTIVE):
    return Lease.objects.create(
        code=new_code("LS"),
        unit=unit,
        organization=org,
        start_date=start,
        end_date=end,
        contract_end_date=end,
        rent_fen_per_m2_day=280,
        signed_on=days(0),
        status=status,
    )


def reservation(unit, org, start, end, status=ReservationStatus.ACTIVE):
    return Reservation.objects.create(
        code=new_code("RS"), unit=unit, organization=org, start_date=start, end_date=end, status=status
    )


def test_database_refuses_a_second_lease_overlapping_the_first(unit, enterprise_org, other_enterprise_org):
    lease(unit, enterprise_org, days(0), days(365))
    with pytest.raises(IntegrityError), transaction.atomic():
        lease(unit, other_enterprise_org, days(200), days(500))
    assert Lease.objects.count() == 1


def test_periods_touching_on_one_day_overlap_because_both_ends_are_included(unit, enterprise_org):
    lease(unit, enterprise_org, days(0), days(10))
    with pytest.raises(IntegrityError), transaction.atomic():
        lease(unit, enterprise_org, days(10), days(20))
    lease(unit, enterprise_org, days(11), days(20))  # the next day is free
    assert Lease.objects.count() == 2


def test_an_ended_lease_still_holds_its_real_period(unit, enterprise_org, other_enterprise_org):
    lease(unit, enterprise_org, days(-100), days(-1), status=LeaseStatus.ENDED)
    with pytest.raises(IntegrityError), transaction.atomic():
        lease(unit, other_enterprise_org, days(-50), days(50))
    lease(unit, other_enterprise_org, days(0), days(50))


def test_an_update_that_creates_an_overlap_is_refused(unit, enterprise_org):
    lease(unit, enterprise_org, days(0), days(10))
    second = lease(unit, enterprise_org, days(20), days(30))
    second.start_date = days(5)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_other_units_are_not_affected(units, enterprise_org):
    lease(units["clean"], enterprise_org, days(0), days(100))
    lease(units["clean_big"], enterprise_org, days(0), days(100))
    assert Lease.objects.count() == 2


def test_database_refuses_overlapping_active_reservations_but_not_cancelled_ones(
    unit, enterprise_org, other_enterprise_org
):
    reservation(unit, enterprise_org, days(1), days(30), status=ReservationStatus.CANCELLED)
    reservation(unit, enterprise_org, days(1), days(30))
    with pytest.raises(IntegrityError), transaction.atomic():
        reservation(unit, other_enterprise_org, days(15), days(60))
    reservation(unit, other_enterprise_org, days(31), days(60), status=ReservationStatus.ACTIVE)
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 2


def test_a_period_ending_before_it_starts_is_refused(unit, enterprise_org):
    with pytest.raises(IntegrityError), transaction.atomic():
        lease(unit, enterprise_org, days(10), days(5))
