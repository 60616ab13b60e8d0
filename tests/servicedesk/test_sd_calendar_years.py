"""The working-day calendar past its last loaded year (docs/reliability.md M5).

- 2026-11-15, nothing loaded for 2027: operators and the desk pages warn, and say what to do.
- 2027-01-04, nothing loaded for 2027: clocks count Monday to Friday (never stop), the request says its
  due time is an estimate, the scheduler's page says how many requests are affected.
- Operators enter days (one or a whole holiday at once), change and remove them, and confirm a year as
  complete, each change audited.

No 2027 date used here is an official one (the State Council has not published 2027): the test
holidays are named 测试 so nobody mistakes them.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from sd_helpers import at

from kechuang.core.models import AuditEvent
from kechuang.core.scheduler import Scheduler
from kechuang.servicedesk import clock, services
from kechuang.servicedesk.choices import CalendarDayKind
from kechuang.servicedesk.models import CalendarDay, CalendarYear, RequestEvent
from kechuang.servicedesk.workcalendar import calendar_status, work_calendar

pytestmark = pytest.mark.django_db


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# --- from November on: next year is missing ----------------------------------------------------------


@pytest.mark.slow
def test_from_november_a_missing_next_year_is_announced_to_operators_and_desk_staff(client, desk, frozen):
    frozen.set(at(2026, 11, 15, 10))
    assert not CalendarYear.objects.filter(year=2027).exists()
    status = calendar_status()
    assert status.warn_next and not status.current_missing and status.missing_years == [2027]

    calendar = page(client, desk["operator"], reverse("servicedesk:calendar"))
    assert (
        'data-testid="calendar-warning-next"' in calendar
        and "2027 年的法定节假日与调休安排尚未录入" in calendar
    )
    assert "国务院办公厅发布" in calendar and "确认该年已录入完整" in calendar  # what to do
    assert 'data-testid="calendar-warning"' in page(
        client, desk["operator"], reverse("servicedesk:request-list")
    )
    home = page(client, desk["operator"], "/")
    assert 'data-testid="home-calendar-warning"' in home and "2027" in home
    jobs = page(client, desk["operator"], reverse("core:scheduler"))
    assert 'data-testid="calendar-fallback-note"' in jobs and "2027" in jobs

    # a commissioner is told, and told that the operators enter it
    desk_page = page(client, desk["commissioner"], reverse("servicedesk:visit-list"))
    assert "2027 年的法定节假日与调休安排尚未录入" in desk_page and "由运营人员" in desk_page
    # an enterprise is not troubled with it
    assert 'data-testid="calendar-warning"' not in page(
        client, desk["user"], reverse("servicedesk:request-list")
    )


def test_before_november_a_missing_next_year_is_not_yet_a_warning(client, desk, frozen):
    frozen.set(at(2026, 10, 15, 10))
    assert not calendar_status().warning
    assert 'data-testid="calendar-warning"' not in page(
        client, desk["operator"], reverse("servicedesk:request-list")
    )
    assert 'data-testid="home-calendar-warning"' not in page(client, desk["operator"], "/")
    assert 'data-testid="calendar-fallback-note"' not in page(
        client, desk["operator"], reverse("core:scheduler")
    )


# --- 2027 begins with nothing loaded -----------------------------------------------------------------


def test_in_an_unloaded_year_clocks_count_monday_to_friday_and_say_so(client, desk, file_request, frozen):
    # Mon 4 Jan 2027 10:00, policy: 1 working day to respond, 5 to resolve. Nothing is known of 2027,
    # so every weekday counts: response Tue 5 Jan 10:00; resolution 5, 6, 7, 8, 11 Jan → Mon 11 Jan 10:00.
    request = file_request(when=at(2027, 1, 4, 10), category="policy")
    assert request.response_due_at == at(2027, 1, 5, 10)
    assert request.resolution_due_at == at(2027, 1, 11, 10)
    assert calendar_status().current_missing

    detail = page(client, desk["commissioner"], reverse("servicedesk:request-detail", args=[request.code]))
    assert detail.count('data-testid="clock-estimated"') == 2
    assert 'data-testid="request-estimate-note"' in detail and "时限按标准工作周估算" in detail
    assert "2027 年的法定节假日与调休安排尚未录入" in detail
    # the enterprise sees the same honesty on its own request
    mine = page(client, desk["user"], reverse("servicedesk:request-detail", args=[request.code]))
    assert 'data-testid="request-estimate-note"' in mine
    rows = page(client, desk["operator"], reverse("servicedesk:request-list"))
    assert 'data-testid="row-estimated"' in rows and 'data-testid="calendar-warning-current"' in rows

    jobs = page(client, desk["operator"], reverse("core:scheduler"))
    assert 'data-testid="calendar-fallback-note"' in jobs and "目前 1 件未办结诉求的时限为估算值" in jobs


def test_a_clock_never_stops_for_lack_of_a_calendar():
    calendar = work_calendar()
    start = at(2031, 12, 30, 16)  # a Tuesday, years past anything loaded
    due = clock.add_working_days(start, 30, calendar)
    assert due == at(2032, 2, 10, 16)  # 30 weekdays: Dec 31, then 29 weekdays of 2032 (Jan has 22)
    assert calendar.estimated_years(start, due) == [2031, 2032]
    assert calendar.estimated_years(at(2026, 3, 2, 9), at(2026, 3, 9, 9)) == []


def test_the_scheduler_escalates_a_request_whose_estimated_time_ran_out(desk, file_request, frozen):
    request = file_request(when=at(2027, 1, 4, 10), category="policy")
    frozen.set(at(2027, 1, 5, 10, 1))
    [result] = Scheduler(clock=frozen, names=["sla-tick"]).run_due()
    assert result.outcome == "ok" and "超时升级 1 条" in result.summary
    request.refresh_from_db()
    assert request.response_escalated_at == at(2027, 1, 5, 10, 1) and request.response_breached
    assert RequestEvent.objects.filter(request=request, kind="escalated").count() == 1


def test_entering_and_confirming_the_year_replaces_the_estimate(client, desk, file_request, frozen):
    request = file_request(when=at(2027, 1, 4, 10), category="policy")
    operator = desk["operator"]
    with pytest.raises(ValidationError, match="还没有录入任何放假日期"):
        services.calendar_year_confirm(actor=operator, year=2027)

    client.force_login(operator)
    response = client.post(
        reverse("servicedesk:calendar"),
        {"date": "2027-01-05", "until": "2027-01-06", "kind": "holiday", "name": "测试停工（非官方）"},
    )
    assert response.status_code == 302
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == {
        dt.date(2027, 1, 5),
        dt.date(2027, 1, 6),
    }
    request.refresh_from_db()
    assert request.response_due_at == at(2027, 1, 7, 10)  # the two days off no longer count
    event = AuditEvent.objects.filter(action="calendar.set").first()
    assert event.detail["until"] == "2027-01-06" and event.detail["requests_recomputed"] == 1
    detail = page(client, operator, reverse("servicedesk:request-detail", args=[request.code]))
    assert 'data-testid="clock-estimated"' in detail  # entered, but not yet confirmed complete

    response = client.post(
        reverse("servicedesk:calendar-year-confirm"), {"year": "2027", "source": "测试通知（非官方）"}
    )
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).confirmed_by == operator
    assert AuditEvent.objects.filter(action="calendar.year_confirm", actor=operator).exists()
    detail = page(client, operator, reverse("servicedesk:request-detail", args=[request.code]))
    assert (
        'data-testid="clock-estimated"' not in detail and 'data-testid="request-estimate-note"' not in detail
    )
    assert 'data-testid="calendar-warning"' not in page(client, operator, reverse("servicedesk:request-list"))
    assert 'data-testid="calendar-fallback-note"' not in page(client, operator, reverse("core:scheduler"))

    client.post(reverse("servicedesk:calendar-year-confirm"), {"year": "2027", "undo": "1"})
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert AuditEvent.objects.filter(action="calendar.year_unconfirm").exists()


def test_operator_changes_and_removes_a_day_on_the_page(client, desk):
    operator = desk["operator"]
    form = page(client, operator, reverse("servicedesk:calendar") + "?year=2026&edit=2026-10-01")
    assert 'value="国庆节"' in form and 'value="2026-10-01"' in form
    client.post(
        reverse("servicedesk:calendar"),
        {"date": "2026-10-01", "kind": "holiday", "name": "国庆节（区内说明）"},
    )
    assert CalendarDay.objects.get(date=dt.date(2026, 10, 1)).name == "国庆节（区内说明）"
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 1))
    client.post(reverse("servicedesk:calendar-day-delete", args=[day.pk]))
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 1)).exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="calendar.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["calendar.set", "calendar.delete"]


def test_bad_calendar_input_is_refused_with_a_message_and_nothing_is_written(client, desk):
    operator = desk["operator"]
    before = CalendarDay.objects.count()
    client.force_login(operator)
    for data, message in [
        ({"date": "2027-01-01", "until": "2027-03-01", "kind": "holiday"}, "一次最多录入 31 天"),
        ({"date": "2027-01-09", "until": "2027-01-10", "kind": "workday"}, "调休上班日请逐日录入"),
        ({"date": "2027-01-08", "until": "2027-01-01", "kind": "holiday"}, "结束日期不能早于开始日期"),
        ({"date": "2027-01-08", "kind": "workday"}, "本来就是工作日"),
    ]:
        response = client.post(reverse("servicedesk:calendar"), data)
        assert response.status_code == 400 and message in response.content.decode(), data
    assert CalendarDay.objects.count() == before


@pytest.mark.parametrize("who", ["commissioner", "leader", "user"])
def test_only_operators_confirm_a_year_or_enter_days(client, desk, who):
    CalendarDay.objects.create(date=dt.date(2027, 1, 5), kind=CalendarDayKind.HOLIDAY, name="测试")
    client.force_login(desk[who])
    assert client.post(reverse("servicedesk:calendar-year-confirm"), {"year": "2027"}).status_code == 403
    assert (
        client.post(reverse("servicedesk:calendar"), {"date": "2027-01-06", "kind": "holiday"}).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        services.calendar_year_confirm(actor=desk[who], year=2027)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date=dt.date(2027, 1, 6)).exists()


def test_load_calendar_imports_a_file_and_marks_its_years(tmp_path, desk):
    data = tmp_path / "calendar.yaml"
    data.write_text(
        "source: 测试\nyears:\n  2099:\n    notice: 测试通知（非官方）\n    holidays:\n"
        "      - {name: 测试节, from: 2099-01-01, to: 2099-01-03, workdays: [2099-01-04]}\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("load_calendar", "--file", str(data), stdout=out)
    assert "新增 4 天" in out.getvalue() and "确认录入完整的年份：2099" in out.getvalue()
    assert CalendarYear.objects.get(year=2099).source == "测试通知（非官方）"
    assert work_calendar().is_working_day(dt.date(2099, 1, 4))  # a Sunday worked
    bad = tmp_path / "bad.yaml"
    bad.write_text("years:\n  2099:\n    holidays:\n      - {name: x}\n", encoding="utf-8")
    with pytest.raises(CommandError, match="日历文件有误"):
        call_command("load_calendar", "--file", str(bad), stdout=StringIO())
    with pytest.raises(CommandError, match="无法读取"):
        call_command("load_calendar", "--file", str(tmp_path / "missing.yaml"), stdout=StringIO())


def test_the_shipped_years_are_marked_loaded_by_the_migration():
    assert set(CalendarYear.objects.values_list("year", flat=True)) >= {2025, 2026}
