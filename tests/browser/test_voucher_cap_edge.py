"""An application at the edge of the caps, in a real browser, through both reviews to a granted lower
amount: no dead end for the leader (issue 14, item 1).

The enterprise has 20,000 元 left of its 100,000 元 yearly cap and applies for 50,000: the form shows
what is left; the first review cannot recommend more than that and is told the figure; after the first
review a sibling enterprise of the same actual controller is granted, so the controller's cap leaves
less than was recommended; the leader sees it, and grants the lower amount with a reason.

Screenshots: test-artifacts/screenshots/test_voucher_cap_edge_*.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories, services
from kechuang.vouchers.models import Application, Voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GROUP = "91310114MA1GK8XQ3L"  # the actual controller of both enterprises


def sign_in(page: Any, login: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def test_an_application_at_the_cap_edge_is_granted_a_lower_amount_by_the_leader(
    page, shot, login, operator, leader, enterprise_org, enterprise_user
):
    scheme = factories.make_scheme(
        operator=operator,
        name="2026年度菊园创新券",
        budget_fen=50_000_000,
        enterprise_cap_fen=10_000_000,  # 100,000 元 per enterprise
        controller_cap_fen=15_000_000,  # 150,000 元 per actual controller
    )
    factories.make_voucher(
        scheme=scheme,
        enterprise=enterprise_org,
        applicant=enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=8_000_000,
        controller_code=GROUP,
    )
    sibling = OrganizationFactory(name="上海菊园智感传感器有限公司")
    sibling_user = user_with_role(Role.ENTERPRISE, sibling, username="sibling")
    sibling_application = services.application_review(
        actor=operator,
        application=services.application_submit(
            actor=sibling_user,
            scheme=scheme,
            enterprise=sibling,
            requested_fen=6_000_000,
            purpose="可靠性试验",
            controller_code=GROUP,
        ),
        approve=True,
    )

    # 1. the enterprise sees what is left before it applies, and asks for more
    sign_in(page, login, "ent")
    page.goto(f"/vouchers/schemes/{scheme.code}/apply/")
    expect(page.get_by_test_id("room-left")).to_have_text("20,000.00 元")
    page.fill("input[name=requested_fen]", "50000")
    page.fill("textarea[name=purpose]", "委托第三方开展整机可靠性与电磁兼容测试。")
    page.fill("input[name=controller_code]", GROUP)
    shot("01-application-form-shows-what-is-left")
    page.get_by_test_id("application-submit").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待初审")
    application = Application.objects.get(enterprise=enterprise_org, status="submitted")

    # 2. the first review: the panel names the headroom; more than it is refused with the figure
    sign_in(page, login, "op")
    page.goto(f"/vouchers/applications/{application.code}/")
    expect(page.get_by_test_id("grantable")).to_have_text("20,000.00 元")
    expect(page.get_by_test_id("over-room")).to_contain_text("超过目前最多可发的 20,000.00 元")
    expect(page.get_by_test_id("recommended")).to_have_value("20,000.00")
    page.get_by_test_id("recommended").fill("30000")
    page.get_by_test_id("approve").click()
    expect(page.get_by_role("alert").filter(has_text="单户年度上限")).to_contain_text(
        "最多还可发放 20,000.00 元"
    )
    expect(page.get_by_test_id("application-status")).to_have_text("待初审")
    shot("02-first-review-refuses-more-than-is-left")
    page.get_by_test_id("recommended").fill("20000")
    page.get_by_test_id("note").fill("申请额度超过单户剩余额度，按剩余 2 万元建议")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待领导审批")

    # meanwhile the sibling is granted: the controller's cap now leaves 10,000 元
    services.application_decide(actor=leader, application=sibling_application, approve=True)

    # 3. the leader sees the recommendation no longer fits, and grants the lower amount with a reason
    sign_in(page, login, "lead")
    page.goto(f"/vouchers/applications/{application.code}/")
    panel = page.get_by_test_id("review-panel")
    expect(panel.get_by_test_id("grantable")).to_have_text("10,000.00 元")
    expect(panel.get_by_test_id("over-room")).to_contain_text("可按较低额度批准并填写原因")
    expect(panel.get_by_test_id("approved")).to_have_value("10,000.00")
    shot("03-leader-sees-the-caps-changed")
    page.get_by_test_id("approve").click()  # lower than recommended without a reason
    expect(page.get_by_role("alert").filter(has_text="请填写原因")).to_be_visible()
    expect(page.get_by_test_id("application-status")).to_have_text("待领导审批")
    page.get_by_test_id("note").fill("同一实际控制人额度仅余 1 万元，按余额发放")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已发放")
    expect(page.get_by_test_id("granted")).to_have_text("10,000.00 元")
    shot("04-granted-the-lower-amount")

    voucher = Voucher.objects.get(application=application)
    assert voucher.granted_fen == 1_000_000
    application.refresh_from_db()
    assert application.recommended_fen == 2_000_000 and application.granted_fen == 1_000_000
    assert application.leader_note == "同一实际控制人额度仅余 1 万元，按余额发放"
    assert reconcile().ok
