"""Pickers for long lists in a real browser (issue 14 item 6): the technology-field picker searches by
keyword and shows its fields grouped under their cluster; the organization picker searches the API by
part of a name. The chosen values post as the plain selects' values, so the saved objects hold them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.directory.models import Organization
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.transfer.models import ContractRegistration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(district_data: dict[str, Any]) -> dict[str, Any]:
    office = Organization.objects.filter(kind="government").first() or OrganizationFactory(
        kind="government", name="菊园新区管委会", uscc=None
    )
    enterprise = OrganizationFactory(name="上海嘉菊新能源汽车零部件有限公司", short_name="嘉菊零部件")
    operator = user_with_role(Role.OPERATOR, office, username="yunying", display_name="张雯")
    return {"enterprise": enterprise, "operator": operator}


def test_field_picker_and_organization_picker(page, shot, login, people, browser_problems):
    enterprise = people["enterprise"]
    login(page, "yunying")

    # 1. technology fields: type a keyword (not the name), the field shows under its cluster
    page.goto(f"/directory/organizations/{enterprise.pk}/edit/")
    picker = page.locator("#id_fields-ts-control")
    expect(picker).to_be_visible()
    expect(picker).to_have_attribute("placeholder", "输入名称搜索")
    picker.click()
    expect(page.locator("#id_fields-ts-dropdown .optgroup-header").first).to_be_visible()
    shot("1-fields-open")
    picker.fill("MEMS")
    dropdown = page.locator("#id_fields-ts-dropdown")
    expect(dropdown.locator(".optgroup-header")).to_have_text(["未来数字智能"])
    expect(dropdown.locator(".option")).to_have_text(["智能传感"])
    shot("2-fields-keyword")
    dropdown.locator(".option", has_text="智能传感").click()
    picker.fill("人工")
    dropdown.locator(".option", has_text="人工智能").click()
    picker.fill("没有这个领域")
    expect(dropdown.locator(".no-results")).to_have_text("没有匹配的结果")
    picker.fill("")
    page.keyboard.press("Escape")
    expect(page.locator(".ts-wrapper.multi .item")).to_have_text(["智能传感×", "人工智能×"])
    shot("3-fields-chosen")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/directory/organizations/{enterprise.pk}/")
    assert set(Organization.objects.get(pk=enterprise.pk).fields.values_list("code", flat=True)) == {
        "DIG02",
        "DIG04",
    }

    # 2. organizations: search the API by part of a name and pick one
    page.goto("/transfer/contracts/new/")
    page.select_option("#id_contract_type", "license")
    page.fill("#id_title", "振镜摆动激光焊接技术许可")
    seller = page.locator("#id_seller-ts-control")
    seller.click()
    seller.fill("光学精密")
    seller_dropdown = page.locator("#id_seller-ts-dropdown")
    expect(seller_dropdown.locator(".option")).to_have_text(["中国科学院上海光学精密机械研究所"])
    shot("4-seller-search")
    seller_dropdown.locator(".option").first.click()
    buyer = page.locator("#id_buyer-ts-control")
    buyer.click()
    buyer.fill("嘉菊")
    page.locator("#id_buyer-ts-dropdown .option", has_text="上海嘉菊新能源汽车零部件有限公司").click()
    page.fill("#id_contract_amount_wan", "60")
    page.fill("#id_technology_amount_wan", "54")
    shot("5-contract-form")
    page.get_by_test_id("contract-submit").click()
    page.wait_for_url("**/transfer/contracts/")
    contract = ContractRegistration.objects.get()
    assert contract.seller.name == "中国科学院上海光学精密机械研究所"
    assert contract.buyer_id == enterprise.pk
    shot("6-contract-saved")


def test_without_javascript_the_plain_selects_still_post(browser, live_server, people):
    """Progressive enhancement: with JavaScript off, the same forms work with the plain selects."""
    from .conftest import SCREENSHOTS, login

    enterprise = people["enterprise"]
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        java_script_enabled=False,
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        login(page, "yunying")
        page.goto(f"/directory/organizations/{enterprise.pk}/edit/")
        expect(page.locator(".ts-wrapper")).to_have_count(0)
        expect(page.locator("#id_fields optgroup[label='未来数字智能']")).to_have_count(1)
        page.select_option("#id_fields", label=["集成电路"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "test_pickers_without_javascript-fields.png"), full_page=True)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_url(f"**/directory/organizations/{enterprise.pk}/")
        assert list(Organization.objects.get(pk=enterprise.pk).fields.values_list("code", flat=True)) == [
            "DIG03"
        ]

        page.goto("/transfer/contracts/new/")
        page.select_option("#id_contract_type", "license")
        page.fill("#id_title", "振镜摆动激光焊接技术许可")
        page.select_option("#id_seller", label="中国科学院上海光学精密机械研究所")
        page.select_option("#id_buyer", label="上海嘉菊新能源汽车零部件有限公司")
        page.fill("#id_contract_amount_wan", "60")
        page.fill("#id_technology_amount_wan", "54")
        page.get_by_test_id("contract-submit").click()
        page.wait_for_url("**/transfer/contracts/")
        contract = ContractRegistration.objects.get()
        assert (contract.seller.name, contract.buyer_id) == (
            "中国科学院上海光学精密机械研究所",
            enterprise.pk,
        )
    finally:
        context.close()
