"""The calendar as data: the official file, loading it (idempotent), editing it, and requests filed
through the service with a frozen clock getting the hand-computed due times (docs/reliability.md H1)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from sd_helpers import at

from kechuang.core.models import AuditEvent
from kechuang.servicedesk import services
from kechuang.servicedesk.choices import CalendarDayKind
from kechuang.servicedesk.models import CalendarDay
from kechuang.servicedesk.workcalendar import DATA_FILE, parse_calendar_file

pytestmark = pytest.mark.django_db


def test_calendar_file_holds_the_official_2025_and_2026_notices():
    specs = parse_calendar_file()
    holidays = {s.date for s in specs if s.kind == CalendarDayKind.HOLIDAY}
    workdays = {s.date for s in specs if s.kind == CalendarDayKind.WORKDAY}
    assert len([d for d in holidays if d.year == 2025]) == 1 + 8 + 3 + 5 + 3 + 8
    assert len([d for d in holidays if d.year == 2026]) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert workdays == {
        dt.date(2025, 1, 26),
        dt.date(2025, 2, 8),
        dt.date(2025, 4, 27),
        dt.date(2025, 9, 28),
        dt.date(2025, 10, 11),
        dt.date(2026, 1, 4),
        dt.date(2026, 2, 14),
        dt.date(2026, 2, 28),
        dt.date(2026, 5, 9),
        dt.date(2026, 9, 20),
        dt.date(2026, 10, 10),
    }
    assert all(d.weekday() >= 5 for d in workdays)
    names = {s.date: s.name for s in specs}
    assert names[dt.date(2026, 2, 17)] == "春节" and names[dt.date(2025, 10, 6)] == "国庆节、中秋节"


def test_calendar_file_refuses_a_weekday_listed_as_a_makeup_working_day(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        DATA_FILE.read_text(encoding="utf-8").replace("2026-02-28]", "2026-02-27]"), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="不是周末"):
        parse_calendar_file(bad)


def test_load_calendar_command_is_idempotent_and_keeps_operator_edits(operator):
    CalendarDay.objects.all().delete()
    out = StringIO()
    call_command("load_calendar", stdout=out)
    assert "新增 72 天" in out.getvalue()
    services.calendar_day_set(
        actor=operator, date=dt.date(2026, 2, 14), kind=CalendarDayKind.HOLIDAY, name="春节（区内调整）"
    )
    out = StringIO()
    call_command("load_calendar", stdout=out)
    assert "新增 0 天" in out.getvalue()
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 14)).kind == CalendarDayKind.HOLIDAY
    call_command("load_calendar", "--replace", stdout=StringIO())
    assert CalendarDay.objects.get(date=dt.date(2026, 2, 14)).kind == CalendarDayKind.WORKDAY


def test_request_filed_through_the_service_gets_hand_computed_due_times(file_request):
    # policy: 1 working day to respond, 5 to resolve. Wed 30 Sep 2026 15:00:
    # response: 2.5 h + (1–7 Oct off) 6 h on Thu 8 Oct → 8 Oct 15:00;
    # resolution (42.5 h): 2.5 + 8.5 (8 Oct) + 8.5 (9 Oct) + 8.5 (Sat 10 Oct 调休) + 8.5 (12 Oct)
    # = 36.5 h;
    # Tue 13 Oct 09:00 + 6 h = 15:00.
    request = file_request(when=at(2026, 9, 30, 15), category="policy")
    assert (request.response_days, request.resolution_days) == (1, 5)
    assert request.response_due_at == at(2026, 10, 8, 15)
    assert request.resolution_due_at == at(2026, 10, 13, 15)


def test_request_filed_on_a_makeup_saturday_runs_its_clock_that_day(file_request):
    # financing: 2 days to respond. Sat 14 Feb 2026 (调休 working day) 16:00: 1.5 h Saturday; Spring
    # Festival 15–23 Feb; Tue 24 Feb 8.5 h (10 h); Wed 25 Feb 09:00 + 7 h = 16:00.
    request = file_request(when=at(2026, 2, 14, 16), category="financing")
    assert request.response_due_at == at(2026, 2, 25, 16)


def test_request_filed_on_friday_before_the_festival_is_due_on_the_makeup_saturday(file_request):
    request = file_request(when=at(2026, 2, 13, 10), category="approval")  # approval: 1 day to respond
    assert request.response_due_at == at(2026, 2, 14, 10)


def test_operator_adds_a_holiday_and_open_clocks_move(file_request, desk):
    request = file_request(when=at(2026, 3, 13, 16), category="policy")  # Fri 16:00 → Mon 16 Mar 16:00
    assert request.response_due_at == at(2026, 3, 16, 16)
    services.calendar_day_set(
        actor=desk["operator"], date=dt.date(2026, 3, 16), kind=CalendarDayKind.HOLIDAY, name="台风停工"
    )
    request.refresh_from_db()
    assert request.response_due_at == at(2026, 3, 17, 16)
    assert AuditEvent.objects.filter(action="calendar.set", result="ok").exists()


def test_only_operators_edit_the_calendar(desk):
    before = CalendarDay.objects.count()
    for who in ("commissioner", "leader", "user"):
        with pytest.raises(PermissionDenied):
            services.calendar_day_set(
                actor=desk[who], date=dt.date(2026, 3, 20), kind=CalendarDayKind.HOLIDAY
            )
    assert CalendarDay.objects.count() == before


def test_a_weekday_cannot_be_a_makeup_working_day(desk):
    with pytest.raises(ValidationError, match="本来就是工作日"):
        services.calendar_day_set(
            actor=desk["operator"], date=dt.date(2026, 3, 18), kind=CalendarDayKind.WORKDAY
        )


def test_sla_policy_change_applies_to_new_requests_only(file_request, desk):
    first = file_request(when=at(2026, 3, 16, 10), category="ip")
    services.sla_policy_set(actor=desk["operator"], category="ip", response_days=2, resolution_days=20)
    second = file_request(when=at(2026, 3, 16, 10), category="ip")
    first.refresh_from_db()
    assert (first.response_days, first.resolution_days) == (1, 10)
    assert (second.response_days, second.resolution_days) == (2, 20)
    with pytest.raises(ValidationError):
        services.sla_policy_set(actor=desk["operator"], category="ip", response_days=5, resolution_days=3)
