"""The pages' working calendar from the shared cache (workcalendar.shown_calendar,
docs/adr/0029-page-speed.md): the same as the database's, and retired by any change to it, the admin's
included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from kechuang.servicedesk.choices import CalendarDayKind
from kechuang.servicedesk.models import CalendarDay
from kechuang.servicedesk.workcalendar import shown_calendar, work_calendar

pytestmark = pytest.mark.django_db

TUESDAY = dt.date(2031, 5, 6)


def test_a_day_saved_outside_the_services_retires_the_shown_calendar(
    cached, django_capture_on_commit_callbacks
):
    assert shown_calendar() == work_calendar()
    assert shown_calendar().is_working_day(TUESDAY)
    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(
            date=TUESDAY, kind=CalendarDayKind.HOLIDAY, name="测试假日"
        )  # as the admin
    assert not shown_calendar().is_working_day(TUESDAY)
    assert shown_calendar() == work_calendar()


def test_a_day_deleted_outside_the_services_retires_the_shown_calendar(
    cached, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        day = CalendarDay.objects.create(date=TUESDAY, kind=CalendarDayKind.HOLIDAY, name="测试假日")
    connection.run_on_commit.clear()  # that transaction has committed: the next write registers its own callback
    assert not shown_calendar().is_working_day(TUESDAY)
    with django_capture_on_commit_callbacks(execute=True):
        day.delete()
    assert shown_calendar().is_working_day(TUESDAY)


def test_the_shown_calendar_is_read_once_until_then(cached, django_assert_num_queries):
    shown_calendar()
    with django_assert_num_queries(0):
        shown_calendar()
