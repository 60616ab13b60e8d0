"""The whole voucher flow through the services, with the ledger checked at every step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from kechuang.core.models import AuditEvent
from kechuang.ledger.models import Account, JournalEntry
from kechuang.ledger.reconcile import reconcile
from kechuang.vouchers import factories, selectors, services
from kechuang.vouchers.choices import (
    ApplicationStatus,
    BatchStatus,
    ClaimStatus,
    OrderStatus,
    ProviderStatus,
    SchemeStatus,
)
from kechuang.vouchers.models import Voucher

pytestmark = pytest.mark.django_db


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def assert_clean() -> None:
    report = reconcile()
    assert report.ok, [(r.name, [v.message for v in r.violations]) for r in report.results if not r.ok]


def test_the_full_flow_from_application_to_paid_settlement_keeps_the_ledger_exact(
    operator, operator2, leader, enterprise_org, enterprise_user, provider_org, provider_user, media_root
):
    scheme = factories.make_scheme(operator=operator, budget_fen=10_000_000)
    assert scheme.status == SchemeStatus.OPEN and scheme.code.startswith(f"PC-{scheme.year}-")
    assert account(f"vouchers:{scheme.code}:fund").balance_fen == 10_000_000
    assert account(f"vouchers:{scheme.code}:budget").balance_fen == 10_000_000

    provider = services.provider_register(
        actor=provider_user,
        organization=provider_org,
        categories=["testing", "ip"],
        introduction="检测与知识产权",
    )
    assert provider.status == ProviderStatus.PENDING
    provider = services.provider_review(actor=operator, provider=provider, approve=True)
    service = factories.make_service(provider=provider, actor=provider_user, price_fen=300_000)

    application = services.application_submit(
        actor=enterprise_user,
        scheme=scheme,
        enterprise=enterprise_org,
        requested_fen=600_000,
        purpose="检测服务",
        planned_categories=["testing"],
    )
    assert application.code.startswith("SL-") and application.status == ApplicationStatus.SUBMITTED
    application = services.application_review(
        actor=operator, application=application, approve=True, recommended_fen=500_000, note="建议 5000 元"
    )
    assert application.status == ApplicationStatus.REVIEWED
    application = services.application_decide(actor=leader, application=application, approve=True)
    assert application.status == ApplicationStatus.GRANTED and application.granted_fen == 500_000
    voucher = Voucher.objects.get(application=application)
    assert voucher.code.startswith("QZ-")
    assert account(voucher.account.code).balance_fen == 500_000
    assert account(f"vouchers:{scheme.code}:budget").balance_fen == 9_500_000
    assert_clean()

    order = services.order_place(actor=enterprise_user, voucher=voucher, service=service, quantity=2)
    assert (
        order.price_fen == 600_000 and order.voucher_fen == 300_000 and order.enterprise_pays_fen == 300_000
    )
    balance = selectors.voucher_balance(voucher)
    assert (balance.balance_fen, balance.held_fen, balance.available_fen) == (500_000, 300_000, 200_000)
    assert_clean()

    services.order_accept(actor=provider_user, order=order)
    services.order_deliver(actor=provider_user, order=order, note="报告已出")
    order = services.order_confirm(actor=enterprise_user, order=order)
    assert order.status == OrderStatus.CONFIRMED and order.redeemed_fen == 300_000
    balance = selectors.voucher_balance(voucher)
    assert (balance.balance_fen, balance.held_fen, balance.redeemed_fen) == (200_000, 0, 300_000)
    payable = account(f"vouchers:{scheme.code}:payable:{provider.code}")
    assert payable.balance_fen == 300_000
    rating = services.order_rate(actor=enterprise_user, order=order, score=5, comment="专业高效")
    assert rating.provider == provider
    assert_clean()

    claim = factories.submit_claim(order=order, actor=provider_user)
    assert claim.status == ClaimStatus.SUBMITTED and claim.amount_fen == 300_000
    claim = services.claim_review(actor=operator, claim=claim, approve=True)
    batch = services.batch_create(actor=operator, period=claim.reviewed_at.date())
    assert batch.claim_count == 1 and batch.total_fen == 300_000
    assert services.batch_create(actor=operator, period=claim.reviewed_at.date()) is None  # nothing left
    batch = services.batch_approve(actor=leader, batch=batch)
    assert batch.status == BatchStatus.APPROVED
    batch = services.batch_pay(actor=operator2, batch=batch)
    assert batch.status == BatchStatus.PAID
    claim.refresh_from_db()
    assert (
        claim.status == ClaimStatus.PAID
        and claim.payment_entry.business_reference == f"vouchers.claim:{claim.code}"
    )
    assert account(f"vouchers:{scheme.code}:payable:{provider.code}").balance_fen == 0
    assert account(f"vouchers:{scheme.code}:fund").balance_fen == 10_000_000 - 300_000
    content = services.batch_export(actor=operator, batch=batch)
    assert content[:2] == b"PK"
    assert_clean()

    figures = selectors.scheme_figures(scheme)
    assert figures["remaining_fen"] == 9_500_000 and figures["redeemed_fen"] == 300_000
    assert figures["service_value_fen"] == 600_000 and str(figures["leverage"]) == "2.00"
    assert figures["paid_fen"] == 300_000 and figures["outstanding_fen"] == 200_000
    assert selectors.use_by_category(scheme=scheme)[0]["category"] == "testing"
    assert selectors.use_by_provider(scheme=scheme)[0]["rating"] == 5

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "vouchers.application.submit",
        "vouchers.application.review",
        "vouchers.application.decide",
        "vouchers.order.place",
        "vouchers.order.confirm",
        "vouchers.claim.submit",
        "vouchers.claim.review",
        "vouchers.batch.create",
        "vouchers.batch.approve",
        "vouchers.batch.pay",
        "vouchers.batch.export",
        "ledger.post",
        "ledger.hold",
        "ledger.capture",
    } <= actions


def test_a_voucher_pays_ratio_times_price_up_to_what_is_available(voucher, service, enterprise_user):
    first = services.order_place(
        actor=enterprise_user, voucher=voucher, service=service, quantity=4
    )  # 800,000
    assert first.voucher_fen == 400_000
    second = services.order_place(actor=enterprise_user, voucher=voucher, service=service, quantity=1)
    assert second.voucher_fen == 100_000  # only 1,000 元 left
    with pytest.raises(ValidationError, match="可用余额不足"):
        services.order_place(actor=enterprise_user, voucher=voucher, service=service)
    assert_clean()


def test_cancel_and_decline_release_the_hold(voucher, service, enterprise_user, provider_user):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_cancel(actor=enterprise_user, order=order, reason="不需要了")
    order2 = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_decline(actor=provider_user, order=order2, reason="排期已满")
    assert selectors.voucher_balance(voucher).available_fen == 500_000
    assert_clean()


def test_a_delivered_order_can_no_longer_be_cancelled_by_the_enterprise(
    voucher, service, enterprise_user, provider_user
):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_accept(actor=provider_user, order=order)
    services.order_deliver(actor=provider_user, order=order)
    with pytest.raises(ValidationError):
        services.order_cancel(actor=enterprise_user, order=order)


def test_a_service_outside_the_schemes_categories_cannot_be_ordered(
    operator, leader, enterprise_org, enterprise_user, service
):
    scheme = factories.make_scheme(operator=operator, categories=["legal"], name="法律服务专项")
    voucher = factories.make_voucher(
        scheme=scheme, enterprise=enterprise_org, applicant=enterprise_user, operator=operator, leader=leader
    )
    with pytest.raises(ValidationError, match="不在本批次支持范围"):
        services.order_place(actor=enterprise_user, voucher=voucher, service=service)


def test_applications_outside_the_window_or_above_the_cap_are_refused(
    operator, enterprise_org, enterprise_user
):
    today = dt.date.today()
    closed = factories.make_scheme(
        operator=operator,
        apply_from=today - dt.timedelta(days=90),
        apply_until=today - dt.timedelta(days=1),
        name="已截止批次",
    )
    with pytest.raises(ValidationError, match="申领期"):
        services.application_submit(
            actor=enterprise_user, scheme=closed, enterprise=enterprise_org, requested_fen=1_000, purpose="x"
        )
    scheme = factories.make_scheme(operator=operator, name="新批次")
    with pytest.raises(ValidationError):
        services.application_submit(
            actor=enterprise_user,
            scheme=scheme,
            enterprise=enterprise_org,
            requested_fen=scheme.enterprise_cap_fen + 1,
            purpose="x",
        )


def test_one_open_application_per_scheme_and_a_retried_submission_returns_the_first(
    scheme, enterprise_org, enterprise_user
):
    first = services.application_submit(
        actor=enterprise_user,
        scheme=scheme,
        enterprise=enterprise_org,
        requested_fen=1_000,
        purpose="x",
        request_key="client-1",
    )
    again = services.application_submit(
        actor=enterprise_user,
        scheme=scheme,
        enterprise=enterprise_org,
        requested_fen=1_000,
        purpose="x",
        request_key="client-1",
    )
    assert again.pk == first.pk
    with pytest.raises(ValidationError, match="审核中"):
        services.application_submit(
            actor=enterprise_user, scheme=scheme, enterprise=enterprise_org, requested_fen=2_000, purpose="y"
        )


def test_a_granted_voucher_posts_exactly_one_grant_entry(voucher):
    assert JournalEntry.objects.filter(kind="vouchers.grant", reference=voucher.code).count() == 1
