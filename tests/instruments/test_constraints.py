"""The database itself refuses an overlapping booking of one instrument and a booking inside one of its
maintenance blocks (written with the ORM, bypassing the services): an exclusion constraint and triggers
on PostgreSQL, triggers on SQLite (migration 0002). Runs in both passes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from instruments_helpers import make_instrument, next_weekday_at

from kechuang.instruments.choices import BookingStatus, UserClass
from kechuang.instruments.models import Booking, MaintenanceBlock, new_code

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def booking(instrument, org, user, start, end, status=BookingStatus.CONFIRMED):
    return Booking.objects.create(
        code=new_code("YY"),
        instrument=instrument,
        organization=org,
        user=user,
        start_at=start,
        end_at=end,
        status=status,
        user_class=UserClass.DISTRICT,
        rate_fen=40_000,
    )


def test_database_refuses_a_second_booking_overlapping_the_first(instrument, enterprise_org, enterprise_user):
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + 2 * H)
    with pytest.raises(IntegrityError), transaction.atomic():
        booking(instrument, enterprise_org, enterprise_user, start + H, start + 3 * H)
    assert Booking.objects.count() == 1


def test_back_to_back_bookings_do_not_overlap(instrument, enterprise_org, enterprise_user):
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + H)
    booking(instrument, enterprise_org, enterprise_user, start + H, start + 2 * H)
    assert Booking.objects.count() == 2


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.REJECTED])
def test_cancelled_and_rejected_bookings_free_their_slot(instrument, enterprise_org, enterprise_user, status):
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + H, status=status)
    booking(instrument, enterprise_org, enterprise_user, start, start + H)
    assert Booking.objects.count() == 2


@pytest.mark.parametrize("status", [BookingStatus.REQUESTED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW])
def test_requested_completed_and_no_show_bookings_keep_their_slot(
    instrument, enterprise_org, enterprise_user, status
):
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + H, status=status)
    with pytest.raises(IntegrityError), transaction.atomic():
        booking(instrument, enterprise_org, enterprise_user, start, start + H)


def test_an_update_that_creates_an_overlap_is_refused(instrument, enterprise_org, enterprise_user):
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + H)
    second = booking(instrument, enterprise_org, enterprise_user, start + 2 * H, start + 3 * H)
    second.start_at = start + dt.timedelta(minutes=30)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


def test_reviving_a_cancelled_booking_into_a_taken_slot_is_refused(
    instrument, enterprise_org, enterprise_user
):
    start = next_weekday_at(9)
    cancelled = booking(
        instrument, enterprise_org, enterprise_user, start, start + H, status=BookingStatus.CANCELLED
    )
    booking(instrument, enterprise_org, enterprise_user, start, start + H)
    cancelled.status = BookingStatus.CONFIRMED
    with pytest.raises(IntegrityError), transaction.atomic():
        cancelled.save()


def test_other_instruments_are_not_affected(instrument, owner_org, enterprise_org, enterprise_user):
    other = make_instrument(owner_org, name="原子力显微镜")
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + H)
    booking(other, enterprise_org, enterprise_user, start, start + H)
    assert Booking.objects.count() == 2


def test_database_refuses_a_booking_inside_a_maintenance_block(instrument, enterprise_org, enterprise_user):
    start = next_weekday_at(9)
    MaintenanceBlock.objects.create(
        instrument=instrument, start_at=start, end_at=start + 4 * H, reason="年度校准"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        booking(instrument, enterprise_org, enterprise_user, start + 3 * H, start + 5 * H)
    booking(instrument, enterprise_org, enterprise_user, start + 4 * H, start + 5 * H)  # right after: free
    booking(instrument, enterprise_org, enterprise_user, start, start + H, status=BookingStatus.CANCELLED)
    assert Booking.objects.count() == 2


def test_database_refuses_a_maintenance_block_over_a_holding_booking(
    instrument, enterprise_org, enterprise_user
):
    start = next_weekday_at(9)
    booking(instrument, enterprise_org, enterprise_user, start, start + H)
    with pytest.raises(IntegrityError), transaction.atomic():
        MaintenanceBlock.objects.create(instrument=instrument, start_at=start - H, end_at=start + 2 * H)
    MaintenanceBlock.objects.create(instrument=instrument, start_at=start + H, end_at=start + 2 * H)
    assert MaintenanceBlock.objects.count() == 1


def test_a_booking_ending_before_it_starts_is_refused(instrument, enterprise_org, enterprise_user):
    start = next_weekday_at(9)
    with pytest.raises(IntegrityError), transaction.atomic():
        booking(instrument, enterprise_org, enterprise_user, start, start - H)
