"""The space journey: an enterprise requests space, sees matched units with reasons and books a viewing;
the operator confirms, reserves and leases; the vacancy map's figures change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from spaces_helpers import make_unit

from kechuang.directory.models import Building, TechnologyField
from kechuang.spaces.choices import SpaceType
from kechuang.spaces.models import Lease

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enterprise_requests_space_books_a_viewing_and_the_operator_reserves_and_leases(
    page, shot, login, district_data, enterprise_user, enterprise_org, operator, browser_problems
):
    # the refused second reservation answers 400 on purpose (the form comes back with its error)
    browser_problems.allow(r"status of 400 .*/spaces/units/[^/]+/reserve/")
    enterprise_org.fields.add(TechnologyField.objects.get(code="LIF01"))
    fab = Building.objects.get(code="btit-park-fab")
    make_unit(fab, "101", area="220", rent=280)
    make_unit(fab, "102", area="900", rent=300)
    make_unit(Building.objects.get(code="btit-park-1"), "301", area="240", space_type=SpaceType.LAB, rent=350)
    make_unit(
        Building.objects.get(code="judong-hub"), "1201", area="180", space_type=SpaceType.OFFICE, rent=420
    )
    make_unit(
        Building.objects.get(code="juxi-auto-1"), "A1", area="1600", space_type=SpaceType.PLANT, rent=150
    )

    # --- the enterprise -------------------------------------------------------------------------
    login(page, "ent")
    # from the home page's space panel
    page.get_by_test_id("spaces-home-body").get_by_role("link", name="提出用房需求").click()
    page.fill("#id_title", "生物芯片中试线需要洁净厂房")
    page.select_option("#id_space_type", "cleanroom")
    page.fill("#id_area_min_m2", "150")
    page.fill("#id_area_max_m2", "250")
    page.fill("#id_budget", "3")
    page.fill("#id_special_needs", "需要独立排风与纯水系统")
    shot("request-form")
    page.get_by_test_id("request-submit").click()

    cards = page.get_by_test_id("match-card")
    expect(cards).to_have_count(1)
    reasons = cards.first.get_by_test_id("match-reasons")
    for text in [
        "面积 220㎡ 在需求 150–250㎡ 内",
        "类型相符：洁净室",
        "租金 2.8 元/㎡·天 在预算内",
        "园区主题相符：生物芯片",
    ]:
        expect(reasons).to_contain_text(text)
    shot("matches")
    when = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    cards.first.locator("input[name=scheduled_at]").fill(when.strftime("%Y-%m-%dT%H:%M"))
    cards.first.get_by_test_id("viewing-submit").click()
    expect(page.get_by_test_id("viewing-booked")).to_be_visible()
    expect(page.get_by_test_id("request-viewings")).to_contain_text("待确认")
    shot("viewing-booked")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the operator ---------------------------------------------------------------------------
    login(page, "op")
    page.goto("/spaces/map/")
    expect(page.get_by_test_id("district-map")).to_have_attribute("data-rendered", "true")
    expect(page.get_by_test_id("vacant-units")).to_have_text("5 / 5")
    btit = page.locator("[data-testid=vacancy-park][data-code=btit-park]")
    expect(btit.get_by_test_id("park-vacant")).to_have_text("3 / 3")
    shot("map-before")

    page.goto("/spaces/requests/")
    expect(page.get_by_test_id("request-table")).to_contain_text("生物芯片中试线需要洁净厂房")
    page.get_by_role("link", name="看房预约", exact=True).click()
    page.get_by_test_id("viewing-confirm").click()
    expect(page.get_by_test_id("viewing-table")).to_contain_text("已确认")
    page.get_by_test_id("viewing-reserve").click()
    start = timezone.localdate() + dt.timedelta(days=7)
    end = start + dt.timedelta(days=3 * 365 - 1)
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", end.isoformat())
    page.get_by_test_id("reserve-submit").click()
    expect(page.get_by_test_id("reservation-row")).to_contain_text(enterprise_org.name)
    expect(page.get_by_test_id("unit-status").first).to_have_text("已预订")
    shot("reserved")

    # a second reservation for an overlapping period is refused with a clean message
    page.select_option("#id_space_request", index=1)
    page.fill("#id_start_date", (start + dt.timedelta(days=30)).isoformat())
    page.fill("#id_end_date", (start + dt.timedelta(days=60)).isoformat())
    page.get_by_test_id("reserve-submit").click()
    expect(page.get_by_test_id("reserve-error")).to_have_text("该房源在此期间已被预订")
    shot("conflict")

    page.get_by_test_id("lease-submit").click()
    expect(page.get_by_test_id("lease-row")).to_contain_text("履行中")
    assert Lease.objects.get().organization == enterprise_org
    shot("leased")

    page.goto("/spaces/map/")
    expect(page.get_by_test_id("district-map")).to_have_attribute("data-rendered", "true")
    expect(page.get_by_test_id("vacant-units")).to_have_text("4 / 5")
    expect(btit.get_by_test_id("park-vacant")).to_have_text("2 / 3")
    expect(page.get_by_test_id("area-let")).to_have_text(re.compile(r"220 ㎡"))
    shot("map-after")
    shot("map-only", locator=page.get_by_test_id("district-map"))
