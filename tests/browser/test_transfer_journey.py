"""The transfer journey in a real browser: an enterprise posts a demand (after a form error in Chinese),
sees recommended achievements with their reasons, expresses interest; the institute accepts; the
enterprise now sees the contact; the operator moves the deal to 签约 on the board and registers the
contract, which moves the deal to 登记."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.directory.models import Organization
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.transfer import matching
from kechuang.transfer.factories import make_achievement
from kechuang.transfer.models import ContractRegistration, Deal, Demand, Interest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WELD = {
    "title": "振镜摆动激光焊接铝合金气孔抑制工艺",
    "summary": "针对新能源汽车铝合金车身与电池托盘激光焊接气孔多、强度波动大的问题，"
    "采用振镜摆动扫描与保护气氛协同控制，焊缝气孔率降至 0.5% 以下，焊接速度提高 30%。",
    "problem_solved": "解决铝合金激光焊接的气孔与裂纹问题。",
    "advantages": "焊缝强度达到母材 90%，工艺窗口宽，适合产线节拍。",
    "scenarios": "新能源汽车车身焊装、电池托盘焊接、储能箱体焊接。",
    "keywords": "激光焊接 铝合金 气孔 电池托盘",
    "trl": 7,
    "asking_price_fen": 60_000_000,
    "contact_name": "沈老师",
    "contact_phone": "13812345678",
}


@pytest.fixture
def journey(district_data: dict[str, Any], settings: Any) -> dict[str, Any]:
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    siom = Organization.objects.get(name="中国科学院上海光学精密机械研究所")
    office = Organization.objects.filter(kind="government").first() or OrganizationFactory(
        kind="government", name="菊园新区管委会", uscc=None
    )
    enterprise = OrganizationFactory(name="上海嘉菊新能源汽车零部件有限公司", short_name="嘉菊零部件")
    users = {
        "enterprise": user_with_role(Role.ENTERPRISE, enterprise, username="qiye", display_name="赵一凡"),
        "institute": user_with_role(Role.INSTITUTE, siom, username="yuansuo", display_name="刘思远"),
        "operator": user_with_role(Role.OPERATOR, office, username="yunying", display_name="张雯"),
    }
    weld = make_achievement(siom, fields=["ENE01", "DIG10"], **WELD)
    make_achievement(
        siom,
        fields=["ENE02"],
        title="大口径非球面光学元件加工技术",
        keywords="非球面 精密光学",
        summary="计算机控制小工具抛光与干涉检测闭环，面形精度优于 λ/20，用于大口径光学系统。",
        trl=6,
        problem_solved="解决大口径非球面元件加工周期长、面形精度不稳定的问题。",
        advantages="加工效率提高 40%，面形精度优于 λ/20。",
        scenarios="天文望远镜、激光装置、空间相机。",
        transfer_modes=["service"],
        asking_price_fen=None,
        contact_phone="13800000002",
    )
    yield {"weld": weld, "enterprise": enterprise, "users": users}
    matching.reset()


def logout(page: Any) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state("networkidle")


def test_enterprise_demand_to_registered_contract(page, shot, login, journey, browser_problems):
    weld = journey["weld"]
    # a refused form answers 400 on purpose (the page shows what to fix)
    browser_problems.allow(r"status of 400 .*/transfer/(demands|contracts)/new/")

    # 1. the enterprise posts a demand; an incomplete form is refused with messages in Chinese
    login(page, "qiye")
    page.goto("/transfer/demands/new/")
    page.fill("#id_title", "托盘")
    page.get_by_test_id("save-submit").click()
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_test_id("listing-form")).to_contain_text("标题太短")
    expect(page.get_by_test_id("listing-form")).to_contain_text("请至少选择一个技术领域")
    shot("1-form-errors")

    page.fill("#id_title", "电池托盘铝合金激光焊接气孔控制")
    page.fill(
        "#id_summary",
        "我司电池托盘采用铝合金激光焊接，焊缝气孔率约 3%，气密性检测不合格率高，"
        "希望引进成熟的激光焊接工艺或与院所联合攻关。",
    )
    page.fill("#id_target_indicators", "气孔率低于 1%，焊缝强度不低于母材 85%，节拍不超过 60 秒/件。")
    page.select_option("#id_fields", label=["光学与激光", "汽车智能制造"])
    page.fill("#id_keywords", "激光焊接 铝合金 气孔 电池托盘")
    page.select_option("#id_trl_required", "6")
    page.fill("#id_budget_min_wan", "30")
    page.fill("#id_budget_max_wan", "80")
    page.check("input[name=cooperation_modes][value=license]")
    page.check("input[name=cooperation_modes][value=co_development]")
    page.get_by_test_id("save-submit").click()
    expect(page.get_by_test_id("listing-status")).to_have_text("待审核")
    demand = Demand.objects.get(title="电池托盘铝合金激光焊接气孔控制")
    assert demand.budget_min_fen == 30_000_000 and demand.budget_max_fen == 80_000_000

    # 2. recommended achievements with their reasons, right on the demand
    recommendations = page.get_by_test_id("demand-recommendations")
    first = recommendations.get_by_test_id("match-achievement").first
    expect(first).to_contain_text(weld.title)
    reasons = first.get_by_test_id("match-reasons")
    expect(reasons).to_contain_text("共同关键词")
    expect(reasons).to_contain_text(re.compile("领域匹配：.*光学与激光"))
    expect(reasons).to_contain_text("成熟度 TRL 7，符合需求（≥6）")
    expect(reasons).to_contain_text("报价 60 万元在预算 30–80 万元内")
    shot("2-demand-recommendations")

    # 3. interest in the achievement; the contact stays hidden until the institute accepts
    first.get_by_role("link", name=weld.title).click()
    expect(page.get_by_test_id("listing-title")).to_have_text(weld.title)
    expect(page.get_by_test_id("contact-hidden")).to_be_visible()
    page.get_by_test_id("interest-message").fill(
        "我司电池托盘产线急需该工艺，希望了解技术许可方式并安排小批量验证。"
    )
    page.get_by_test_id("interest-submit").click()
    expect(page.get_by_test_id("my-interest")).to_contain_text("待回复")
    assert "13812345678" not in page.content()
    shot("3-interest-sent")
    logout(page)

    # 4. the institute accepts in its inbox
    login(page, "yuansuo")
    page.goto("/transfer/interests/")
    received = page.get_by_test_id("received-interest").first
    expect(received).to_contain_text("上海嘉菊新能源汽车零部件有限公司")
    shot("4-institute-inbox")
    received.get_by_test_id("interest-accept").click()
    expect(page.get_by_test_id("received-interest").first).to_contain_text("已接受")
    assert Interest.objects.get().status == "accepted"
    logout(page)

    # 5. now the enterprise sees the contact
    login(page, "qiye")
    page.goto(f"/transfer/achievements/{weld.code}/")
    expect(page.get_by_test_id("contact-details")).to_contain_text("13812345678")
    shot("5-contact-released")
    logout(page)

    # 6. the operator moves the deal to 签约 on the board (htmx) and registers the contract
    deal = Deal.objects.get()
    login(page, "yunying")
    page.goto("/transfer/deals/")
    card = page.locator(f"[data-testid=deal-card][data-code='{deal.code}']")
    expect(page.get_by_test_id("column-intent")).to_contain_text(deal.title[:10])
    card.get_by_test_id("deal-forward").click()
    expect(page.get_by_test_id("column-negotiation").locator(f"[data-code='{deal.code}']")).to_be_visible()
    page.locator(f"[data-testid=deal-card][data-code='{deal.code}']").get_by_test_id("deal-forward").click()
    expect(page.get_by_test_id("column-signed").locator(f"[data-code='{deal.code}']")).to_be_visible()
    shot("6-board-signed")

    page.locator(f"[data-testid=deal-card][data-code='{deal.code}'] a").first.click()
    expect(page.get_by_test_id("deal-stage")).to_have_text("签约")
    page.get_by_test_id("contract-register").click()
    page.select_option("#id_contract_type", "license")
    page.fill("#id_contract_amount_wan", "60")
    page.fill("#id_technology_amount_wan", "70")
    page.get_by_test_id("contract-submit").click()
    expect(page.get_by_test_id("contract-form")).to_contain_text("技术交易额不能超过合同成交额")
    page.fill("#id_technology_amount_wan", "54")
    page.fill("#id_registration_number", "2026310114000321")
    shot("7-contract-form")
    page.get_by_test_id("contract-submit").click()
    expect(page.get_by_test_id("deal-stage")).to_have_text("登记")
    expect(page.get_by_test_id("deal-contracts")).to_contain_text("2026310114000321")
    shot("8-deal-registered")

    contract = ContractRegistration.objects.get()
    assert (contract.contract_amount_fen, contract.technology_amount_fen) == (60_000_000, 54_000_000)
    assert re.fullmatch(r"DJ-\d{4}-\d{6}", deal.code)
    assert Deal.objects.get(pk=deal.pk).stage == "registered"
