"""The innovation-voucher journey in a real browser: an enterprise applies, the operator and then the
leader approve, the enterprise orders a service, the provider delivers, the enterprise confirms, the
provider claims settlement with an invoice, the operator batches it, the leader approves the batch, the
operator records the payment and exports the settlement file. At each step the balances the page shows
are compared with the ledger's accounts.

Screenshots: test-artifacts/screenshots/test_voucher_journey_*.png.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from kechuang.core.money import yuan_text
from kechuang.ledger.models import Account
from kechuang.ledger.reconcile import reconcile
from kechuang.vouchers import factories
from kechuang.vouchers.models import Application, ServiceOrder, SettlementBatch, SettlementClaim, Voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def voucher_world(operator, leader, enterprise_user, provider_user, provider_org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    scheme = factories.make_scheme(
        operator=operator,
        name="2026年度菊园创新券",
        budget_fen=50_000_000,
        subsidy_ratio_bp=5000,
        enterprise_cap_fen=5_000_000,
        controller_cap_fen=8_000_000,
    )
    provider = factories.make_provider(organization=provider_org, applicant=provider_user, reviewer=operator)
    service = factories.make_service(
        provider=provider,
        actor=provider_user,
        price_fen=600_000,
        name="电磁兼容（EMC）测试",
        category="testing",
    )
    return {"scheme": scheme, "provider": provider, "service": service}


def sign_in(page: Any, login: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def shown_balance(page: Any) -> dict[str, int]:
    box = page.get_by_test_id("voucher-balance").first
    expect(box).to_be_visible()
    return {key: int(box.get_attribute(f"data-{key}-fen")) for key in ("balance", "held", "available")}


def assert_page_matches_ledger(page: Any, voucher_code: str) -> dict[str, int]:
    """The balances on the page — the data attributes and the text people read — equal the ledger's."""
    account = Account.objects.get(code=f"vouchers:{voucher_code}")
    expected = {"balance": account.balance_fen, "held": account.held_fen, "available": account.available_fen}
    assert shown_balance(page) == expected
    box = page.get_by_test_id("voucher-balance").first
    expect(box.get_by_test_id("balance-value")).to_contain_text(yuan_text(account.balance_fen))
    expect(box.get_by_test_id("held-value")).to_contain_text(yuan_text(account.held_fen))
    expect(box.get_by_test_id("available-value")).to_contain_text(yuan_text(account.available_fen))
    return expected


def test_voucher_journey_from_application_to_exported_settlement(page, shot, login, voucher_world):
    scheme = voucher_world["scheme"]

    # 1. the enterprise applies
    sign_in(page, login, "ent")
    page.goto("/vouchers/")
    expect(page.get_by_test_id("my-vouchers")).to_contain_text("还没有创新券")
    page.get_by_test_id(f"apply-{scheme.code}").click()
    page.fill("input[name=requested_fen]", "30000")
    page.fill("textarea[name=purpose]", "委托检测机构开展整机电磁兼容测试，支持新一代无线网关上市。")
    page.check("input[name=planned_categories][value=testing]")
    page.fill("input[name=controller_name]", "上海菊园智感科技有限公司")
    shot("01-enterprise-application-form")
    page.get_by_test_id("application-submit").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待初审")
    application = Application.objects.get()
    shot("02-application-submitted")

    # 2. the operator reviews (first level), recommending 25,000 元
    sign_in(page, login, "op")
    page.goto("/vouchers/queue/")
    expect(page.get_by_test_id("queue-applications")).to_contain_text(application.code)
    page.get_by_role("link", name=application.code).click()
    page.get_by_test_id("recommended").fill("25000")
    page.fill("#note", "材料齐全，建议按 2.5 万元发放")
    shot("03-operator-review")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待领导审批")

    # 3. the leader approves (second level): the voucher is granted
    sign_in(page, login, "lead")
    page.goto("/vouchers/queue/")
    page.get_by_test_id("queue-approvals").get_by_role("link", name=application.code).click()
    expect(page.get_by_test_id("review-panel")).to_contain_text("同一实际控制人上限")
    shot("04-leader-approval")
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已发放")
    voucher = Voucher.objects.get(application=application)
    assert voucher.granted_fen == 2_500_000

    # 4. the enterprise sees its voucher and orders a service: the voucher's share is held
    sign_in(page, login, "ent")
    page.goto(f"/vouchers/v/{voucher.code}/")
    assert assert_page_matches_ledger(page, voucher.code) == {
        "balance": 2_500_000,
        "held": 0,
        "available": 2_500_000,
    }
    shot("05-enterprise-voucher")
    page.get_by_test_id("voucher-shop").click()
    page.get_by_test_id(f"order-with-{voucher.code}").first.click()
    expect(page.get_by_test_id("share")).to_contain_text("3,000.00")
    page.fill("input[name=quantity]", "2")
    shot("06-order-form")
    page.get_by_test_id("order-submit").click()
    expect(page.get_by_test_id("order-status")).to_have_text("待机构接单")
    order = ServiceOrder.objects.get()
    assert (order.price_fen, order.voucher_fen) == (1_200_000, 600_000)
    assert assert_page_matches_ledger(page, voucher.code) == {
        "balance": 2_500_000,
        "held": 600_000,
        "available": 1_900_000,
    }
    shot("07-order-placed")

    # 5. the provider accepts and delivers
    sign_in(page, login, "prov")
    page.goto(f"/vouchers/orders/{order.code}/")
    page.get_by_test_id("order-accept").click()
    expect(page.get_by_test_id("order-status")).to_have_text("服务中")
    page.get_by_test_id("delivery-note").fill("EMC 测试报告 No.EMC-2026-118 已交付")
    page.get_by_test_id("order-deliver").click()
    expect(page.get_by_test_id("order-status")).to_have_text("待企业确认")
    shot("08-provider-delivered")

    # 6. the enterprise confirms delivery: the held share is redeemed
    sign_in(page, login, "ent")
    page.goto(f"/vouchers/orders/{order.code}/")
    page.get_by_test_id("order-confirm").click()
    expect(page.get_by_test_id("order-status")).to_have_text("已核销")
    expect(page.get_by_test_id("order-redeemed")).to_contain_text("6,000.00")
    assert assert_page_matches_ledger(page, voucher.code) == {
        "balance": 1_900_000,
        "held": 0,
        "available": 1_900_000,
    }
    shot("09-enterprise-confirmed")
    page.goto(f"/vouchers/v/{voucher.code}/")
    expect(page.get_by_test_id("voucher-ledger")).to_contain_text("核销")
    assert_page_matches_ledger(page, voucher.code)
    shot("10-voucher-ledger-lines")

    # 7. the provider claims settlement with its invoice
    sign_in(page, login, "prov")
    page.goto(f"/vouchers/orders/{order.code}/")
    page.get_by_test_id("order-claim").click()
    page.fill("input[name=invoice_number]", "No.31002026")
    page.fill("input[name=invoice_amount_fen]", "12000")
    page.set_input_files(
        "input[name=invoice]",
        files=[
            {
                "name": "发票.pdf",
                "mimeType": "application/pdf",
                "buffer": factories.minimal_pdf("invoice 31002026"),
            }
        ],
    )
    shot("11-claim-form")
    page.get_by_test_id("claim-submit").click()
    expect(page.get_by_test_id("claim-status")).to_have_text("待审核")
    claim = SettlementClaim.objects.get()

    # 8. the operator approves the claim and makes the monthly batch
    sign_in(page, login, "op")
    page.goto(f"/vouchers/claims/{claim.code}/")
    page.get_by_test_id("claim-approve").click()
    expect(page.get_by_test_id("claim-status")).to_have_text("审核通过")
    page.goto("/vouchers/batches/")
    page.fill("input[name=period]", claim.submitted_at.strftime("%Y-%m"))
    page.get_by_test_id("batch-create").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("待审批")
    batch = SettlementBatch.objects.get()
    expect(page.get_by_test_id("batch-approve")).to_have_count(0)  # the maker may not approve
    shot("12-batch-created")

    # 9. the leader approves the batch
    sign_in(page, login, "lead")
    page.goto(f"/vouchers/batches/{batch.code}/")
    page.get_by_test_id("batch-approve").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("已审批")

    # 10. the operator records the payment and exports the settlement file
    sign_in(page, login, "op")
    page.goto(f"/vouchers/batches/{batch.code}/")
    page.get_by_test_id("batch-pay").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("已支付")
    expect(page.get_by_test_id("batch-total")).to_have_text("6,000.00")
    shot("13-batch-paid")
    with page.expect_download() as download_info:
        page.get_by_test_id("batch-export").click()
    download = download_info.value
    assert re.search(r"\.xlsx$", download.suggested_filename)
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = list(workbook["结算明细"].iter_rows(values_only=True))
    assert rows[1][0] == claim.code and rows[1][7] == 6000.0

    # the scheme's figures for the leader, and the whole ledger reconciles
    sign_in(page, login, "lead")
    page.goto(f"/vouchers/reports/?scheme={scheme.code}")
    expect(page.get_by_test_id("report-remaining")).to_have_text(
        yuan_text(Account.objects.get(pk=scheme.budget_account_id).balance_fen)
    )
    page.wait_for_selector("#category-chart svg")
    shot("14-leader-report")
    assert reconcile().ok


def test_voucher_pages_for_each_role_on_demo_data(
    page, shot, login, district_data, operator, leader, enterprise_user, provider_user, settings, tmp_path
):
    """The overview, lists and figures each role starts from, on generated demo data."""
    import random

    from kechuang.accounts.models import Membership
    from kechuang.directory.demo.generator import generate_directory
    from kechuang.directory.models import Organization
    from kechuang.vouchers.demo import make_demo_vouchers

    settings.MEDIA_ROOT = tmp_path / "media"
    generate_directory(district=settings.DISTRICT, scale="tiny", seed=11)
    make_demo_vouchers(scale="tiny", seed=11, rng=random.Random("11:vouchers.ledger"))
    voucher = Voucher.objects.filter(status="active").order_by("code").first()
    provider_org = ServiceOrder.objects.filter(scheme=voucher.scheme).first().provider.organization
    Membership.objects.filter(user=enterprise_user).update(organization=voucher.enterprise)
    Membership.objects.filter(user=provider_user).update(organization=provider_org)
    assert Organization.objects.filter(kind="enterprise").count() > 5

    sign_in(page, login, "ent")
    page.goto("/vouchers/")
    expect(page.get_by_test_id("my-vouchers")).to_contain_text(voucher.code)
    shot("enterprise-overview")
    page.goto(f"/vouchers/v/{voucher.code}/")
    assert_page_matches_ledger(page, voucher.code)
    shot("enterprise-voucher")

    sign_in(page, login, "prov")
    page.goto("/vouchers/")
    expect(page.get_by_test_id("provider-work")).to_be_visible()
    shot("provider-overview")

    sign_in(page, login, "op")
    page.goto("/vouchers/")
    expect(page.get_by_test_id("voucher-figures")).to_be_visible()
    shot("operator-overview")
    page.goto("/vouchers/schemes/")
    shot("operator-schemes")
    page.goto("/vouchers/orders/")
    shot("operator-orders")

    sign_in(page, login, "lead")
    page.goto("/vouchers/queue/")
    expect(page.get_by_test_id("queue-approvals")).to_be_visible()
    shot("leader-queue")
    page.goto("/vouchers/reports/")
    page.wait_for_selector("#category-chart svg")
    shot("leader-report")
    page.goto("/")
    expect(page.get_by_test_id("voucher-panel-staff")).to_be_visible()
    shot("leader-home")
