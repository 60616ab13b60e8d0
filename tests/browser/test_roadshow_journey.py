"""The roadshow and after-prize journey (issue 17, items 4 and 5): an investment institution's member
registers interest in a finalist and asks the team for a meeting; the team accepts; the investor records
the investment; the operator sees the totals; after the result is final the operator offers the winner the
after-prize services in one step and the winner files a space request and a voucher application in one
step. The entries reach the defence through the services (the judging journey is test_events_journey)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.directory.choices import OrganizationKind
from kechuang.events.models import Aftercare, Meeting, RoadshowOutcome
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories as voucher_factories

# The events tests' helpers (tests/events is on sys.path only when its tests are collected too).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "events"))
from roadshow_helpers import finish, roadshow_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_investor_meets_a_finalist_then_the_winner_takes_the_after_prize_services(
    page,
    shot,
    login,
    district_data,
    operator,
    district_office,
    enterprise_user,
    enterprise_org,
    other_enterprise_user,
    other_enterprise_org,
    commissioner,
    browser_problems,
):
    world = roadshow_world(
        operator,
        district_office,
        enterprise_user,
        enterprise_org,
        other_enterprise_user,
        other_enterprise_org,
    )
    fund = OrganizationFactory(kind=OrganizationKind.INVESTOR, name="上海天图创业投资管理有限公司", uscc=None)
    user_with_role(None, fund, username="vc", display_name="林投资")

    # --- the investor: interest and a meeting request ------------------------------------------------
    login(page, "vc")
    page.goto("/events/roadshow/")
    row = page.get_by_test_id("roadshow-entry").filter(has_text="生物芯片快检")
    row.locator("input[name=note]").fill("看好基层医疗快检")
    row.get_by_test_id("interest-button").click()
    row = page.get_by_test_id("roadshow-entry").filter(has_text="生物芯片快检")
    expect(row.get_by_test_id("interest-registered")).to_be_visible()
    row.locator("summary").click()
    when = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(hour=14, minute=0)
    row.locator("input[name=proposed_at]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    row.locator("input[name=place]").fill("菊园路演厅 2 号会议室")
    row.locator("input[name=message]").fill("想了解量产计划和下一轮融资安排")
    row.get_by_test_id("meeting-button").click()
    expect(page.get_by_test_id("meeting-row")).to_contain_text("待回复")
    shot("investor-roadshow")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the team accepts --------------------------------------------------------------------------------
    login(page, "ent")
    page.goto("/events/roadshow/")
    expect(page.get_by_test_id("interest-row")).to_contain_text("上海天图创业投资管理有限公司")
    page.get_by_test_id("meeting-row").locator("input[name=answer]").fill("欢迎，届时带样机演示。")
    shot("team-roadshow")
    page.get_by_test_id("meeting-accept").click()
    expect(page.get_by_test_id("meeting-status")).to_contain_text("已接受")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    meeting = Meeting.objects.get()
    assert meeting.scheduled_at is not None

    # --- the investor records the investment ---------------------------------------------------------------
    login(page, "vc")
    page.goto("/events/roadshow/")
    form = page.get_by_test_id("outcome-form")
    form.locator("select[name=pair]").select_option(f"{world['a'].code}|{fund.pk}")
    form.locator("select[name=kind]").select_option("invested")
    form.locator("input[name=amount_wan]").fill("800")
    form.get_by_test_id("outcome-button").click()
    expect(page.get_by_test_id("outcome-row")).to_contain_text("800")
    assert RoadshowOutcome.objects.get().amount_fen == 800 * 1_000_000
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the operator: totals; after the result, the one-step offer -------------------------------------------
    finish(world["competition"], {world["a"]: 1, world["b"]: 2})
    voucher_factories.make_scheme(operator=operator)
    login(page, "op")
    page.goto("/events/roadshow/")
    expect(page.get_by_test_id("roadshow-totals")).to_contain_text("完成投资 1 笔")
    shot("operator-roadshow")
    page.goto(f"/events/competitions/{world['competition'].code}/")
    followup = page.get_by_test_id("competition-followup")
    expect(followup.get_by_test_id("followup-row").first).to_contain_text("800")
    offer = followup.get_by_test_id("aftercare-offer").first
    offer.locator("select[name=commissioner]").select_option(str(commissioner.pk))
    shot("operator-followup")
    offer.get_by_role("button").click()
    expect(page.get_by_test_id("aftercare-status").first).to_have_text("待获奖企业确认")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the winner files space and voucher in one step ---------------------------------------------------------
    login(page, "ent")
    page.goto(f"/events/competitions/aftercare/{world['a'].code}/")
    expect(page.get_by_test_id("aftercare-commissioner")).to_contain_text(str(commissioner))
    page.fill("#id_area_min_m2", "300")
    page.fill("#id_area_max_m2", "600")
    page.locator("#id_scheme").select_option(index=1)
    page.fill("#id_requested_yuan", "5000")
    page.fill("#id_purpose", "产品检测认证与知识产权布局")
    shot("winner-aftercare-form")
    page.get_by_test_id("aftercare-submit").click()
    expect(page.get_by_test_id("aftercare-state")).to_have_text("已确认")
    expect(page.get_by_test_id("aftercare-filed")).to_contain_text("用房需求")
    shot("winner-aftercare-filed")
    aftercare = Aftercare.objects.get()
    assert aftercare.space_request is not None and aftercare.voucher_application is not None
