"""Two bookings of one slot racing on PostgreSQL, with real parallel connections: exactly one succeeds,
the other gets a clean "该时段已被预约"; without the services' lock the database still refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from instruments_helpers import next_weekday_at

from kechuang.instruments import services
from kechuang.instruments.choices import BookingStatus, UserClass
from kechuang.instruments.models import Booking, Instrument, new_code
from kechuang.testing.concurrency import concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _split(results: list[Any]) -> tuple[list[Any], list[Any]]:
    ok = [r for r in results if isinstance(r, Booking)]
    return ok, [r for r in results if not isinstance(r, Booking)]


@pytest.mark.parametrize("attempt", range(3))
def test_two_racing_bookings_of_one_slot_give_exactly_one_success(
    attempt, instrument, enterprise_org, enterprise_user, other_enterprise_org, other_enterprise_user
):
    start = next_weekday_at(10)
    people = [(enterprise_user, enterprise_org), (other_enterprise_user, other_enterprise_org)]
    instrument_pk = instrument.pk

    def book(index: int) -> Booking:
        user, org = people[index]
        return services.booking_create(
            actor=user,
            instrument=Instrument.objects.get(pk=instrument_pk),
            organization=org,
            start_at=start,
            end_at=start + dt.timedelta(hours=1 + index),
        )

    ok, errors = _split(concurrently(2, book))
    assert len(ok) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert errors[0].messages == ["该时段已被预约"]
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1


def test_eight_racing_bookings_leave_one_holder(instrument, enterprise_org, enterprise_user):
    start = next_weekday_at(9)
    instrument_pk = instrument.pk

    def book(index: int) -> Booking:
        return services.booking_create(
            actor=enterprise_user,
            instrument=Instrument.objects.get(pk=instrument_pk),
            organization=enterprise_org,
            start_at=start + dt.timedelta(minutes=0 if index % 2 else 60),
            end_at=start + dt.timedelta(hours=2),
        )

    ok, errors = _split(concurrently(8, book))
    assert len(ok) == 1
    assert all(isinstance(e, ValidationError) and e.messages == ["该时段已被预约"] for e in errors), errors


def test_without_the_instrument_lock_the_database_still_refuses_the_second_booking(
    instrument, enterprise_org, enterprise_user
):
    """Bypass the service: two connections insert overlapping bookings at once; the exclusion constraint
    lets exactly one commit (the other is refused as a violation or as a deadlock victim)."""
    from django.db import IntegrityError, OperationalError, transaction

    start = next_weekday_at(9)

    def insert(index: int) -> Booking:
        with transaction.atomic():
            return Booking.objects.create(
                code=new_code("YY"),
                instrument_id=instrument.pk,
                organization=enterprise_org,
                user=enterprise_user,
                start_at=start,
                end_at=start + dt.timedelta(hours=1),
                status=BookingStatus.CONFIRMED,
                user_class=UserClass.DISTRICT,
            )

    ok, errors = _split(concurrently(2, insert))
    assert len(ok) == 1
    assert len(errors) == 1, errors
    refused = errors[0]
    assert isinstance(refused, IntegrityError) or (
        isinstance(refused, OperationalError) and "deadlock detected" in str(refused)
    ), refused
