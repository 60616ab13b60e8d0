"""The operator's 定时任务 page and the working-day calendar in a real browser, on Monday 4 January 2027
with nothing loaded for 2027 (docs/reliability.md M4, M5; ADR 0014).

The operator sees on the scheduler's page which jobs ran, which one fails and is being retried, and that
2027's holidays are missing; follows the link to the calendar, sees the request's due time marked as an
estimate, enters a (test, non-official) holiday range and confirms the year; the estimate goes away.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.core import jobs as registry
from kechuang.core.jobs import Every, Job
from kechuang.core.models import SchedulerProcess
from kechuang.core.scheduler import Scheduler
from kechuang.servicedesk import clock, services
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import CalendarDay, CalendarYear, SlaPolicy
from kechuang.servicedesk.workcalendar import ensure_default_policies, load_calendar_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TZ = clock.TZ


class Frozen:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def january_2027(
    monkeypatch, operator, commissioner, leader, enterprise_org, enterprise_user
) -> dict[str, Any]:
    frozen = Frozen(dt.datetime(2027, 1, 4, 10, 0, tzinfo=TZ))
    monkeypatch.setattr(clock, "now", frozen)
    load_calendar_rows(CalendarDay, year_model=CalendarYear)
    ensure_default_policies(SlaPolicy)
    services.assignment_set(
        actor=None, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=commissioner
    )
    request = services.request_file(
        actor=enterprise_user,
        organization=enterprise_org,
        category="policy",
        title="研发费用加计扣除口径咨询",
        text="想了解 2027 年研发费用加计扣除的口径。",
    )

    def broken(run: Any) -> str:
        raise ConnectionError("结算接口无响应（演示用的故障任务）")

    registry.register(Job(name="probe-broken", run=broken, schedule=Every(hours=1), label="演示故障任务"))
    Scheduler(
        clock=lambda: timezone.now(), names=["sla-tick", "ledger-expire-holds", "probe-broken"]
    ).run_due()
    SchedulerProcess.objects.create(
        owner="app-1:2817:1a2b3c4d", host="app-1", pid=2817, started_at=timezone.now(), seen_at=timezone.now()
    )
    yield {"request": request}
    registry.unregister("probe-broken")


def test_operator_sees_the_jobs_and_fixes_the_missing_calendar_year(page, shot, login, january_2027):
    request = january_2027["request"]
    login(page, "op")
    expect(page.get_by_test_id("home-calendar-warning")).to_contain_text(
        "2027 年的法定节假日与调休安排尚未录入"
    )
    jobs_link = page.locator("[data-testid=main-nav] a[href='/operations/jobs/']")
    expect(jobs_link.first).to_be_attached()  # (the menu keeps a copy for its “更多” overflow)
    page.goto("/operations/jobs/")
    expect(page.get_by_test_id("scheduler-alive")).to_contain_text("app-1")
    expect(page.get_by_test_id("calendar-fallback-note")).to_contain_text("目前 1 件未办结诉求的时限为估算值")
    expect(page.get_by_test_id("jobs-failing")).to_contain_text("演示故障任务")
    broken = page.locator("[data-testid=job-row][data-job=probe-broken]")
    expect(broken.get_by_test_id("job-last-error")).to_contain_text("结算接口无响应")
    expect(broken.get_by_test_id("job-state")).to_have_text("等待重试")
    expect(page.locator("[data-testid=job-row][data-job=sla-tick]")).to_contain_text("成功")
    expect(page.locator("[data-testid=run-row][data-outcome=failed]")).to_have_count(1)
    shot("01-scheduler-page")

    page.goto(f"/service/requests/{request.code}/")
    expect(page.get_by_test_id("request-estimate-note")).to_contain_text("时限按标准工作周估算")
    expect(page.get_by_test_id("clock-1").get_by_test_id("clock-due")).to_contain_text("2027-01-05 10:00")
    expect(page.get_by_test_id("clock-1").get_by_test_id("clock-estimated")).to_be_visible()
    shot("02-request-estimated")

    page.goto("/operations/jobs/")
    page.get_by_test_id("calendar-fallback-note").get_by_role("link").click()
    expect(page.get_by_test_id("calendar-warning-current")).to_be_visible()
    expect(page.get_by_test_id("calendar-year-status")).to_contain_text("2027 年未确认")
    shot("03-calendar-2027-empty")
    page.fill("#id_date", "2027-01-05")
    page.fill("#id_until", "2027-01-06")
    page.select_option("#id_kind", "holiday")
    page.fill("#id_name", "测试停工（非官方）")
    page.get_by_test_id("calendar-form").get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("2027-01-05 至 2027-01-06")
    expect(page.get_by_test_id("calendar-table")).to_contain_text("测试停工（非官方）")
    page.get_by_test_id("calendar-year-confirm").locator("input[name=source]").fill("测试通知（非官方）")
    page.get_by_test_id("calendar-year-confirm").get_by_role("button").click()
    expect(page.get_by_test_id("calendar-year-status")).to_contain_text("2027 年已录入完整")
    expect(page.get_by_test_id("calendar-warning")).to_have_count(0)
    shot("04-calendar-2027-confirmed")

    page.goto(f"/service/requests/{request.code}/")
    expect(page.get_by_test_id("request-estimate-note")).to_have_count(0)
    expect(page.get_by_test_id("clock-1").get_by_test_id("clock-due")).to_have_text("2027-01-07 10:00")
