"""The leader's screens on the demo data are not empty (issue 14 item 7): the home page's five-heights
panel is styled and filled, the dashboard shows every KPI against a target (no "未设目标"), every chart
draws, and every KPI that a module records has months of history in this year and last; the pages link
only where the leader may go.

Screenshots: test-artifacts/screenshots/test_leader_screens_*.png (look at them).
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.core.registry import make_demo_accounts
from kechuang.insights.kpis import MANUAL, all_kpis

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(settings: Any) -> None:
    settings.DEMO_MODE = True
    call_command("load_district", settings.DISTRICT, stdout=StringIO())
    call_command("demo_data", scale="small", seed=2026, stdout=StringIO())
    make_demo_accounts(PASSWORD)


def chart_data(page: Any) -> dict[str, Any]:
    return json.loads(page.locator("#insights-chart-data").text_content())


def links_open(page: Any) -> list[str]:
    """Every same-site link of the page that the signed-in reader cannot open (403, 404, 500)."""
    hrefs = page.eval_on_selector_all(
        "main a[href], .kc-briefing-tools a[href]", "els => els.map(e => e.getAttribute('href'))"
    )
    refused = []
    for href in sorted({h for h in hrefs if h and h.startswith("/") and not h.startswith("//")}):
        response = page.request.get(href, max_redirects=0)
        if response.status >= 400 or (
            response.status in (301, 302) and "/accounts/login" in response.headers.get("location", "")
        ):
            refused.append(f"{href} → {response.status}")
    return refused


def test_the_leaders_home_and_dashboard_are_filled_on_the_demo_data(
    page: Any, login: Any, shot: Any, demo: None
) -> None:
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, "leader")

    # Home: the five heights, styled (site.css), each with figures against a target
    page.goto("/")
    heights = page.locator("[data-testid=five-heights]")
    expect(heights).to_be_visible()
    grid = heights.locator(".kc-heights")
    assert grid.evaluate("el => getComputedStyle(el).display") == "grid"  # the panel's CSS is loaded
    panel = page.locator("[data-testid=insights-heights]")
    expect(panel).to_be_visible()
    assert panel.locator(".kc-height-mini").count() == 5
    assert "未设目标" not in page.locator("main").inner_text()
    assert panel.locator("li").count() >= 5 and "/ " in panel.inner_text()  # actual / target
    shot("home")
    assert links_open(page) == []

    # Dashboard: every KPI against a target, both charts drawn, months filled
    page.goto("/insights/")
    expect(page.locator("[data-testid=height]")).to_have_count(5)
    expect(page.locator("#chart-progress svg, #chart-progress canvas").first).to_be_visible()
    expect(page.locator("#chart-transfer svg, #chart-transfer canvas").first).to_be_visible()
    assert "未设目标" not in page.locator("main").inner_text()
    assert "尚未设置本年目标" not in page.locator("#chart-progress").inner_text()
    data = chart_data(page)
    kpis = all_kpis()
    assert len(data["progress"]) == len(kpis)  # every KPI has this year's target
    # Every figure is filled, except the after-prize ones, which follow the one competition of the demo (last
    # year's; its twelve months of follow-up run into this year): 获奖项目落户 counts when a result becomes
    # final (none this year), and the demo signs no lease for a winner (获奖企业入驻 is 0 in every year).
    yearly = {"incubation.winners_located", "incubation.winners_space", "incubation.winners_raised"}
    empty = [item for item in data["progress"] if item["value"] is None or item["value"] <= 0]
    assert {item["code"] for item in empty} <= yearly, empty
    this_month = timezone.localdate().month
    for code, trend in data["trends"].items():
        if code in yearly:
            continue
        months = [m for m in trend["months"][:this_month] if m]
        assert months, f"{code}: no month of this year has data"
    for code in ("transfer.contract_amount", "transfer.technology_amount"):
        assert sum(1 for m in data["trends"][code]["months"] if m) >= 3, code
    shot("dashboard")
    assert links_open(page) == []

    # Last year too: targets, and every KPI a module records has history month by month
    year = timezone.localdate().year - 1
    page.goto(f"/insights/?year={year}")
    assert "未设目标" not in page.locator("main").inner_text()
    data = chart_data(page)
    assert len(data["progress"]) == len(kpis)
    recorded = [k.code for k in kpis if k.kind != MANUAL]
    quiet = [code for code in recorded if code not in yearly and not any(data["trends"][code]["months"])]
    # vouchers are granted in the first quarter and the service desk opened this year: still, at most a
    # KPI or two of all may lack last year's months
    assert len(quiet) <= 1, quiet
    shot("dashboard-last-year")

    # A stock KPI's detail: the level month by month, not zero until this month
    page.goto("/insights/kpi/talent.researchers/")
    expect(page.locator("#chart-kpi svg, #chart-kpi canvas").first).to_be_visible()
    months = chart_data(page)["trends"]["talent.researchers"]["months"]
    assert months[0] and months[0] > 0 and months[this_month - 1] >= months[0]
    shot("kpi-researchers")

    # The briefing: filled, and it links only where the leader may go
    page.goto("/insights/briefing/")
    expect(page.locator("[data-testid=briefing-row]")).to_have_count(len(kpis))
    assert "未设目标" not in page.locator("[data-testid=briefing]").inner_text()
    shot("briefing")
    assert links_open(page) == []
