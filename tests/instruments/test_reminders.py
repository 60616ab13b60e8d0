"""The reminder the day before: each booker of tomorrow's open bookings hears once, however often the
job runs; cancelled bookings and other days are left alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kechuang.core import jobs
from kechuang.instruments.choices import BookingStatus
from kechuang.instruments.models import Booking
from kechuang.instruments.services import bookings_remind_due
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_tomorrows_bookers_are_reminded_once(
    instrument, enterprise_org, enterprise_user, other_enterprise_user
):
    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    rows = [
        ("YY-R-1", enterprise_user, at(tomorrow, 9), BookingStatus.CONFIRMED),
        ("YY-R-2", other_enterprise_user, at(tomorrow, 11), BookingStatus.REQUESTED),
        ("YY-R-3", enterprise_user, at(tomorrow, 14), BookingStatus.CANCELLED),
        ("YY-R-4", enterprise_user, at(tomorrow + dt.timedelta(days=1), 9), BookingStatus.CONFIRMED),
    ]
    for code, user, start, status in rows:
        Booking.objects.create(
            code=code,
            instrument=instrument,
            organization=enterprise_org,
            user=user,
            start_at=start,
            end_at=start + dt.timedelta(hours=1),
            status=status,
            user_class="district",
        )
    now = at(today, 9)
    assert bookings_remind_due(now=now) == 2
    assert bookings_remind_due(now=now) == 0  # a second run tells nobody twice
    notes = Notification.objects.filter(kind="instruments.reminder").order_by("dedupe_key")
    assert [n.dedupe_key for n in notes] == ["instruments.reminder:YY-R-1", "instruments.reminder:YY-R-2"]
    assert "场发射扫描电子显微镜" in notes[0].title and notes[0].recipient == enterprise_user


def test_the_reminder_is_a_daily_job():
    job = jobs.get_job("instruments-remind")
    assert job is not None and job.schedule.describe() == "每天 09:00"
