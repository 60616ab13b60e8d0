"""The service desk in a real browser: an enterprise files a request, the commissioner answers, the
clock and the status show correctly on both sides, and the enterprise closes it with a rating. Also a
tour of the staff pages (workload, figures, calendar) and a visit refused by 无事不扰.

The desk's clock is frozen (``kechuang.servicedesk.clock.now``) so the due times on screen are the
hand-computed ones: filed Monday 16 March 2026 10:00, policy/talent requests are due for a first answer
on Tuesday 17 March 10:00 (one working day).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kechuang.servicedesk import clock, services
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import CalendarDay, CalendarYear, ServiceRequest
from kechuang.servicedesk.workcalendar import ensure_default_policies, load_calendar_rows

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TZ = clock.TZ
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Frozen:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@pytest.fixture
def frozen(monkeypatch) -> Frozen:
    moment = Frozen(dt.datetime(2026, 3, 16, 10, 0, tzinfo=TZ))
    monkeypatch.setattr(clock, "now", moment)
    return moment


@pytest.fixture
def desk(frozen, operator, commissioner, leader, enterprise_org, enterprise_user) -> dict[str, Any]:
    from kechuang.servicedesk.models import SlaPolicy

    load_calendar_rows(CalendarDay, year_model=CalendarYear)
    ensure_default_policies(SlaPolicy)
    enterprise_org.is_key = True
    enterprise_org.save(update_fields=["is_key"])
    services.assignment_set(
        actor=None, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=commissioner
    )
    services.assignment_set(actor=None, organization=enterprise_org, role=AssignmentRole.LEADER, user=leader)
    return {"org": enterprise_org}


def history(desk: dict[str, Any], filer: Any, frozen: Frozen) -> None:
    """A few weeks of finished requests, so the figures page has something to show."""
    from kechuang.accounts.models import User

    commissioner = User.objects.get(username="comm")
    plan = [
        ("policy", 1, 5, 5),
        ("policy", 3, 9, 4),
        ("talent", 2, 20, 5),
        ("financing", 5, 40, 3),
        ("ip", 1, 12, 4),
        ("approval", 4, 30, 2),
        ("space", 2, 50, 4),
        ("other", 1, 6, 5),
    ]
    for index, (category, answer_hours, resolve_hours, rating) in enumerate(plan):
        frozen.moment = dt.datetime(2026, 2, 2 + index, 10, 0, tzinfo=TZ)
        request = services.request_file(
            actor=filer,
            organization=desk["org"],
            category=category,
            title=f"历史诉求 {index + 1}",
            text="演示用的历史诉求。",
        )
        frozen.moment = clock.add_working_minutes(request.filed_at, answer_hours * 60, clock.WorkCalendar())
        services.request_respond(actor=commissioner, request=request, version=1, text="已受理。")
        frozen.moment = clock.add_working_minutes(request.filed_at, resolve_hours * 60, clock.WorkCalendar())
        services.request_resolve(actor=commissioner, request=request, version=2, text="已办结。")
        services.request_close(actor=filer, request=request, version=3, rating=rating)
    frozen.moment = dt.datetime(2026, 3, 16, 10, 0, tzinfo=TZ)


def logout(page: Any) -> None:
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=logout]").click()
    expect(page.locator("[data-testid=login-link]")).to_be_visible()


def test_enterprise_files_commissioner_answers_enterprise_closes_with_rating(
    page, shot, login, desk, frozen, commissioner, tmp_path
):
    # 1. the enterprise files a request with an attachment
    login(page, "ent", next_path="/service/")
    expect(page.get_by_test_id("my-commissioner")).to_contain_text("服务专员")
    shot("01-enterprise-list-empty")
    page.get_by_test_id("request-new").click()
    expect(page.get_by_test_id("sla-promise")).to_contain_text("知识产权")
    page.select_option("#id_category", "talent")
    page.fill("#id_title", "引进博士落户办理")
    page.fill("#id_text", "新引进两名博士，请协助办理人才引进落户，并了解安家补贴申请流程。")
    upload = tmp_path / "人才名单.pdf"
    upload.write_bytes(PDF)
    page.set_input_files("#id_files", str(upload))
    shot("02-enterprise-form")
    page.get_by_test_id("request-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_text("待响应")
    code = page.get_by_test_id("request-code").inner_text()
    assert re.fullmatch(r"SQ-2026-\d{6}", code)
    first_clock = page.get_by_test_id("clock-1")
    expect(first_clock.get_by_test_id("clock-due")).to_have_text("2026-03-17 10:00")
    expect(first_clock.get_by_test_id("clock-state")).to_have_text("剩余 1 个工作日")
    expect(page.get_by_test_id("clock-2").get_by_test_id("clock-due")).to_have_text("2026-03-30 10:00")
    expect(page.get_by_test_id("request-attachments")).to_contain_text("人才名单.pdf")
    expect(page.locator(".alert-success")).to_contain_text(code)
    shot("03-enterprise-filed")
    logout(page)

    # 2. ninety minutes later the commissioner answers
    frozen.moment = dt.datetime(2026, 3, 16, 11, 30, tzinfo=TZ)
    login(page, "comm", next_path="/service/")
    row = page.locator(f"[data-testid=request-row][data-code='{code}']")
    expect(row.get_by_test_id("request-status")).to_have_text("待响应")
    expect(row).to_contain_text("剩余 7 小时")
    shot("04-commissioner-queue")
    row.get_by_role("link", name="引进博士落户办理").click()
    expect(page.get_by_test_id("respond-form")).to_be_visible()
    expect(page.get_by_test_id("clock-1").get_by_test_id("clock-state")).to_have_text("剩余 7 小时")
    page.get_by_test_id("respond-form").locator("textarea").fill(
        "已受理。明天上午把落户材料清单发给您，安家补贴可同步申请。"
    )
    page.get_by_test_id("respond-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_text("办理中")
    expect(page.get_by_test_id("clock-1")).to_have_attribute("data-state", "met")
    expect(page.get_by_test_id("clock-1").get_by_test_id("clock-state")).to_have_text(
        "按时完成，用时 1 小时 30 分"
    )
    expect(page.get_by_test_id("clock-2").get_by_test_id("clock-state")).to_contain_text("剩余 9 个工作日")
    shot("05-commissioner-answered")
    logout(page)

    # 3. the enterprise reads the answer and closes the request with four stars
    frozen.moment = dt.datetime(2026, 3, 17, 9, 15, tzinfo=TZ)
    login(page, "ent", next_path=f"/service/requests/{code}/")
    expect(page.get_by_test_id("request-status")).to_have_text("办理中")
    expect(page.get_by_test_id("request-events")).to_contain_text("已受理。明天上午把落户材料清单发给您")
    expect(page.get_by_test_id("request-commissioner")).to_have_text(str(commissioner))
    shot("06-enterprise-sees-answer")
    close = page.get_by_test_id("close-form")
    close.locator("label[for=rating-4]").click()
    close.locator("textarea").fill("回复及时，材料清单很清楚。")
    page.get_by_test_id("close-submit").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已关闭")
    expect(page.get_by_test_id("request-rating")).to_have_text("★★★★☆")
    expect(page.get_by_test_id("clock-2").get_by_test_id("clock-state")).to_contain_text("按时完成")
    expect(page.get_by_test_id("close-form")).to_have_count(0)
    shot("07-enterprise-closed")

    request = ServiceRequest.objects.get(code=code)
    assert (request.status, request.rating, request.version) == ("closed", 4, 3)
    assert request.response_minutes == 90


def test_staff_pages_and_a_visit_refused_by_do_not_disturb(
    page, shot, login, desk, frozen, enterprise_user, commissioner, browser_problems
):
    browser_problems.allow(r"status of 400 .*/visits/new/")  # the refused form answers 400 on purpose
    history(desk, enterprise_user, frozen)
    services.request_file(
        actor=enterprise_user,
        organization=desk["org"],
        category="space",
        title="需要新增实验室",
        text="约 300 平方米。",
    )
    services.preference_set(
        actor=enterprise_user,
        organization=desk["org"],
        do_not_disturb=True,
        do_not_disturb_until=dt.date(2026, 4, 30),
        note="研发攻关期，有事会在平台上提",
    )
    frozen.moment = dt.datetime(2026, 3, 18, 10, 0, tzinfo=TZ)
    services.sla_tick()

    login(page, "comm", next_path=f"/service/enterprises/{desk['org'].pk}/visits/new/")
    page.fill("#id_planned_for", "2026-03-20")
    page.fill("#id_purpose", "了解经营情况")
    page.get_by_test_id("visit-submit").click()
    expect(page.get_by_test_id("visit-refused")).to_contain_text("已开启“无事不扰”（至 2026-04-30）")
    shot("01-visit-refused")
    page.goto("/service/?state=overdue")
    expect(page.get_by_test_id("request-table")).to_contain_text("已超时")
    expect(page.get_by_test_id("request-table")).to_contain_text("已升级")
    shot("02-overdue-escalated")
    logout(page)

    login(page, "op", next_path="/service/workload/")
    expect(page.get_by_test_id("workload-table")).to_contain_text(str(commissioner))
    shot("03-workload")
    page.goto("/service/figures/?period=all")
    expect(page.get_by_test_id("figures-by-category")).to_contain_text("空间")
    page.wait_for_selector("[data-chart=category] svg")
    shot("04-figures")
    page.goto("/service/calendar/?year=2026")
    expect(page.get_by_test_id("calendar-table")).to_contain_text("2026-10-10")
    expect(page.get_by_test_id("calendar-table")).to_contain_text("调休上班")
    shot("05-calendar")
    page.goto(f"/service/enterprises/{desk['org'].pk}/")
    expect(page.get_by_test_id("service-people")).to_contain_text("已开启")
    shot("06-enterprise-file")
    page.goto("/")
    expect(page.get_by_test_id("servicedesk-home")).to_contain_text("已超时")
    shot("07-operator-home")
