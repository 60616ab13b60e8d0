"""The voucher pages for every role: they render, they show the ledger's balances, the web flow works end
to end, and list pages keep a query budget (docs/reliability.md I2)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kechuang.ledger.models import Account
from kechuang.vouchers import factories
from kechuang.vouchers.choices import ApplicationStatus, BatchStatus, ClaimStatus, OrderStatus
from kechuang.vouchers.models import Application, ServiceOrder, SettlementBatch, SettlementClaim, Voucher

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(voucher, service, enterprise_user, provider_user, operator, media_root):
    """A voucher with a confirmed order and a submitted claim, and an open order."""
    done = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=done, provider_actor=provider_user, enterprise_actor=enterprise_user)
    claim = factories.submit_claim(order=done, actor=provider_user)
    open_order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    return {"voucher": voucher, "done": done, "open": open_order, "claim": claim}


def pages(busy, scheme, provider, service) -> list[str]:
    voucher, claim = busy["voucher"], busy["claim"]
    return [
        reverse("vouchers:home"),
        reverse("vouchers:scheme-list"),
        reverse("vouchers:scheme-detail", args=[scheme.code]),
        reverse("vouchers:service-list"),
        reverse("vouchers:provider-list"),
        reverse("vouchers:provider-detail", args=[provider.code]),
        reverse("vouchers:application-list"),
        reverse("vouchers:application-detail", args=[voucher.application.code]),
        reverse("vouchers:voucher-list"),
        reverse("vouchers:voucher-detail", args=[voucher.code]),
        reverse("vouchers:order-list"),
        reverse("vouchers:order-detail", args=[busy["done"].code]),
        reverse("vouchers:claim-list"),
        reverse("vouchers:claim-detail", args=[claim.code]),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("who", ["operator", "leader", "enterprise_user", "provider_user", "auditor"])
def test_every_role_sees_its_voucher_pages(client, request, busy, scheme, provider, service, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in pages(busy, scheme, provider, service):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        if response.status_code == 200:
            assert "创新券" in response.content.decode()


def test_staff_pages_render_for_staff(client, operator, leader, busy):
    for user in (operator, leader):
        client.force_login(user)
        for name in ("vouchers:review-queue", "vouchers:batch-list", "vouchers:report"):
            assert client.get(reverse(name)).status_code == 200
    client.force_login(operator)
    assert client.get(reverse("vouchers:scheme-create")).status_code == 200
    account = busy["voucher"].account.code
    assert client.get(reverse("vouchers:account-detail", args=[account])).status_code == 200


def test_the_voucher_page_shows_the_ledgers_balances(client, enterprise_user, busy):
    client.force_login(enterprise_user)
    voucher = busy["voucher"]
    account = Account.objects.get(pk=voucher.account_id)
    html = client.get(reverse("vouchers:voucher-detail", args=[voucher.code])).content.decode()
    assert f'data-balance-fen="{account.balance_fen}"' in html
    assert f'data-held-fen="{account.held_fen}"' in html
    assert f'data-available-fen="{account.available_fen}"' in html
    assert "4,000.00" in html and "1,000.00" in html and "3,000.00" in html  # balance, held, available


@pytest.mark.slow
def test_the_whole_flow_through_the_web_pages(
    client,
    operator,
    operator2,
    leader,
    enterprise_user,
    provider_user,
    scheme,
    provider,
    service,
    enterprise_org,
    media_root,
):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("vouchers:application-create", args=[scheme.code]),
        {"requested_fen": "6000", "purpose": "委托检测", "planned_categories": ["testing"]},
    )
    application = Application.objects.get(enterprise=enterprise_org)
    assert response.status_code == 302 and application.requested_fen == 600_000

    client.force_login(operator)
    client.post(
        reverse("vouchers:application-review", args=[application.code]),
        {"decision": "approve", "recommended_fen": "5,000.00"},
    )
    client.force_login(leader)
    client.post(reverse("vouchers:application-decide", args=[application.code]), {"decision": "approve"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED and application.granted_fen == 500_000
    voucher = Voucher.objects.get(application=application)

    client.force_login(enterprise_user)
    response = client.post(
        reverse("vouchers:order-create", args=[voucher.code]),
        {"service": service.code, "quantity": "1", "note": "", "request_key": "k1"},
    )
    order = ServiceOrder.objects.get(voucher=voucher)
    assert response.status_code == 302 and order.voucher_fen == 100_000
    # a double submit of the same form (same hidden key) does not order twice
    client.post(
        reverse("vouchers:order-create", args=[voucher.code]),
        {"service": service.code, "quantity": "1", "note": "", "request_key": "k1"},
    )
    assert ServiceOrder.objects.filter(voucher=voucher).count() == 1

    client.force_login(provider_user)
    client.post(reverse("vouchers:order-accept", args=[order.code]))
    client.post(reverse("vouchers:order-deliver", args=[order.code]), {"note": "报告 No.1"})
    client.force_login(enterprise_user)
    client.post(reverse("vouchers:order-confirm", args=[order.code]))
    client.post(reverse("vouchers:order-rate", args=[order.code]), {"score": "4", "comment": "不错"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.rating.score == 4

    client.force_login(provider_user)
    invoice = SimpleUploadedFile("发票.pdf", factories.minimal_pdf(), content_type="application/pdf")
    client.post(
        reverse("vouchers:claim-create", args=[order.code]),
        {"invoice_number": "No.9", "invoice_amount_fen": "2000", "invoice": invoice},
    )
    claim = SettlementClaim.objects.get(order=order)
    client.force_login(operator)
    client.post(reverse("vouchers:claim-review", args=[claim.code]), {"decision": "approve"})
    client.post(reverse("vouchers:batch-create"), {"period": claim.submitted_at.strftime("%Y-%m")})
    batch = SettlementBatch.objects.get()
    client.force_login(leader)
    client.post(reverse("vouchers:batch-approve", args=[batch.code]))
    client.force_login(operator2)
    client.post(reverse("vouchers:batch-pay", args=[batch.code]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    assert SettlementClaim.objects.get(pk=claim.pk).status == ClaimStatus.PAID
    export = client.get(reverse("vouchers:batch-export", args=[batch.code]))
    assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")


def test_a_refused_step_shows_the_reason_and_changes_nothing(client, enterprise_user, busy):
    client.force_login(enterprise_user)
    order = busy["done"]
    response = client.post(reverse("vouchers:order-cancel", args=[order.code]), follow=True)
    assert "不能取消" in response.content.decode()
    assert ServiceOrder.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED


def test_list_pages_keep_their_query_budget(
    client,
    operator,
    enterprise_user,
    provider_user,
    busy,
    scheme,
    django_assert_max_num_queries,
    service,
    provider,
    enterprise_org,
):
    for _n in range(3):  # more rows must not mean more queries
        factories.make_order(voucher=busy["voucher"], service=service, actor=enterprise_user)
    budgets = {
        operator: [
            "vouchers:order-list",
            "vouchers:voucher-list",
            "vouchers:application-list",
            "vouchers:claim-list",
            "vouchers:batch-list",
            "vouchers:scheme-list",
            "vouchers:provider-list",
            "vouchers:service-list",
        ],
        enterprise_user: ["vouchers:order-list", "vouchers:voucher-list", "vouchers:service-list"],
        provider_user: ["vouchers:order-list", "vouchers:claim-list"],
    }
    for user, names in budgets.items():
        client.force_login(user)
        for name in names:
            with django_assert_max_num_queries(12):
                assert client.get(reverse(name)).status_code == 200
    client.force_login(operator)
    for name, budget in (("vouchers:home", 20), ("vouchers:review-queue", 14), ("vouchers:report", 32)):
        with django_assert_max_num_queries(budget):
            assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    ("name", "code", "shown"),
    [
        ("", "", "企业自身（未另报实际控制人）"),  # the caps count the enterprise alone: no bare code
        ("王建国", "310101197001010011", "王建国"),
        ("", "91310114MA1GT0XX0X", "未填写姓名"),
    ],
    ids=["the-enterprise-itself", "a-named-controller", "a-code-without-a-name"],
)
def test_the_application_names_its_actual_controller(
    client, operator, scheme, enterprise_org, enterprise_user, name, code, shown
):
    from kechuang.vouchers import services

    application = services.application_submit(
        actor=enterprise_user,
        scheme=scheme,
        enterprise=enterprise_org,
        requested_fen=100_000,
        purpose="研发检测",
        controller_name=name,
        controller_code=code,
    )
    client.force_login(operator)
    page = client.get(reverse("vouchers:application-detail", args=[application.code]))
    assert page.status_code == 200
    html = page.content.decode()
    cell = html[html.index('data-testid="controller"') :].split("</dd>")[0]
    assert shown in cell
    if application.controller_is_the_enterprise:
        assert application.controller_code not in cell
    else:
        assert application.controller_code in cell
