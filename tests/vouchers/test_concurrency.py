"""The voucher flow under real concurrent connections (PostgreSQL): caps and budgets hold when leaders
approve at the same moment, a voucher is never over-held by simultaneous orders, a confirmation racing a
cancellation ends one way, and a batch paid twice at once pays each claim once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kechuang.accounts.choices import Role
from kechuang.ledger.models import Account, JournalEntry
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.concurrency import concurrently
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories, services
from kechuang.vouchers.choices import BatchStatus, OrderStatus
from kechuang.vouchers.models import ServiceOrder, SettlementBatch, Voucher

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcome(results: list[Any]) -> Counter:
    return Counter(type(r).__name__ if isinstance(r, Exception) else "ok" for r in results)


def assert_clean() -> None:
    report = reconcile()
    assert report.ok, [(r.name, [v.message for v in r.violations]) for r in report.results if not r.ok]


def test_leaders_approving_at_once_never_exceed_the_controller_cap_or_the_budget(
    operator, leader, district_office
):
    scheme = factories.make_scheme(
        operator=operator, budget_fen=2_000_000, enterprise_cap_fen=500_000, controller_cap_fen=1_200_000
    )
    leaders = [leader] + [user_with_role(Role.LEADER, district_office, username=f"lead{n}") for n in range(5)]
    applications = []
    for n in range(6):
        enterprise = OrganizationFactory(name=f"并发控制人企业{n}")
        user = user_with_role(Role.ENTERPRISE, enterprise, username=f"grp{n}")
        application = services.application_submit(
            actor=user,
            scheme=scheme,
            enterprise=enterprise,
            requested_fen=400_000,
            purpose="x",
            controller_code="GROUP-1",
        )
        applications.append(
            services.application_review(actor=operator, application=application, approve=True)
        )

    results = concurrently(
        6, lambda i: services.application_decide(actor=leaders[i], application=applications[i], approve=True)
    )
    assert outcome(results) == {"ok": 3, "ValidationError": 3}  # 3 × 4,000 元 = the 12,000 元 controller cap
    assert services.committed_for(scheme, controller_code="GROUP-1") == 1_200_000
    assert Account.objects.get(code=f"vouchers:{scheme.code}:budget").balance_fen == 800_000
    assert_clean()


def test_simultaneous_orders_never_hold_more_than_the_voucher_has(voucher, service, enterprise_user):
    # 5,000 元 on the voucher, each order's share is 1,000 元: 12 at once → exactly 5 succeed
    results = concurrently(
        12,
        lambda i: services.order_place(
            actor=enterprise_user, voucher=voucher, service=service, request_key=f"conc-{i}"
        ),
    )
    assert outcome(results) == {"ok": 5, "ValidationError": 7}
    assert all("余额不足" in r.messages[0] for r in results if isinstance(r, ValidationError))
    account = Account.objects.get(pk=voucher.account_id)
    assert (account.balance_fen, account.held_fen) == (500_000, 500_000)
    assert_clean()


def test_the_same_order_request_retried_at_once_creates_one_order(voucher, service, enterprise_user):
    results = concurrently(
        8,
        lambda i: services.order_place(
            actor=enterprise_user, voucher=voucher, service=service, request_key="double-click"
        ),
    )
    assert outcome(results) == {"ok": 8}
    assert len({r.pk for r in results}) == 1
    assert ServiceOrder.objects.count() == 1
    assert Account.objects.get(pk=voucher.account_id).held_fen == 100_000
    assert_clean()


def test_a_confirmation_racing_a_revocation_ends_one_way(operator, leader, service, provider_user, scheme):
    """Revocation cancels even delivered orders; the enterprise confirms the same order at the same moment.
    Whichever takes the voucher's lock first wins; the ledger agrees with the outcome either way."""
    outcomes = Counter()
    for n in range(4):
        enterprise = OrganizationFactory(name=f"撤销竞争企业{n}")
        user = user_with_role(Role.ENTERPRISE, enterprise, username=f"race{n}")
        voucher = factories.make_voucher(
            scheme=scheme,
            enterprise=enterprise,
            applicant=user,
            operator=operator,
            leader=leader,
            amount_fen=300_000,
        )
        order = factories.make_order(voucher=voucher, service=service, actor=user)
        services.order_accept(actor=provider_user, order=order)
        services.order_deliver(actor=provider_user, order=order)

        def act(i: int, order: ServiceOrder = order, voucher: Voucher = voucher, user: Any = user) -> Any:
            if i == 0:
                return services.order_confirm(actor=user, order=order)
            return services.voucher_revoke(actor=operator, voucher=voucher, reason="并发撤销")

        results = concurrently(2, act)
        final = ServiceOrder.objects.get(pk=order.pk).status
        outcomes[final] += 1
        assert isinstance(results[1], Voucher)  # the revocation always goes through
        if final == OrderStatus.CONFIRMED:
            assert isinstance(results[0], ServiceOrder)
            assert Voucher.objects.get(pk=voucher.pk).returned_fen == 200_000
        else:
            assert final == OrderStatus.CANCELLED and isinstance(results[0], ValidationError)
            assert Voucher.objects.get(pk=voucher.pk).returned_fen == 300_000
        assert Account.objects.get(pk=voucher.account_id).balance_fen == 0
    assert_clean()


def test_an_open_order_cancelled_and_confirmed_at_once_ends_exactly_once(
    voucher, service, enterprise_user, provider_user
):
    outcomes = Counter()
    for _round in range(5):
        order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
        services.order_accept(actor=provider_user, order=order)

        def act(i: int, order: ServiceOrder = order) -> Any:
            if i == 0:
                return services.order_deliver(actor=provider_user, order=order)
            return services.order_cancel(actor=enterprise_user, order=order, reason="不要了")

        results = concurrently(2, act)
        assert outcome(results) == {"ok": 1, "ValidationError": 1}
        outcomes[ServiceOrder.objects.get(pk=order.pk).status] += 1
    assert set(outcomes) <= {OrderStatus.DELIVERED, OrderStatus.CANCELLED}
    assert_clean()


def test_a_batch_paid_twice_at_once_pays_each_claim_once(
    voucher, service, enterprise_user, provider_user, operator, operator2, leader, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    claims = []
    for _n in range(3):
        order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
        factories.deliver_and_confirm(
            order=order, provider_actor=provider_user, enterprise_actor=enterprise_user
        )
        claims.append(
            services.claim_review(
                actor=operator, claim=factories.submit_claim(order=order, actor=provider_user), approve=True
            )
        )
    batch = services.batch_create(actor=operator, period=claims[0].reviewed_at.date())
    services.batch_approve(actor=leader, batch=batch)
    payers = [operator, operator2]
    results = concurrently(2, lambda i: services.batch_pay(actor=payers[i], batch=batch))
    assert outcome(results) == {"ok": 1, "ValidationError": 1}
    assert SettlementBatch.objects.get(pk=batch.pk).status == BatchStatus.PAID
    assert JournalEntry.objects.filter(kind="vouchers.settle").count() == 3
    assert_clean()


def test_expiry_racing_new_orders_leaves_a_consistent_ledger(voucher, service, enterprise_user):
    after = voucher.expires_on.replace(year=voucher.expires_on.year + 1)

    def act(i: int) -> Any:
        if i == 0:
            return services.vouchers_expire_due(today=after)
        return services.order_place(
            actor=enterprise_user, voucher=voucher, service=service, request_key=f"e{i}"
        )

    concurrently(4, act)
    voucher.refresh_from_db()
    account = Account.objects.get(pk=voucher.account_id)
    assert account.balance_fen == account.held_fen  # whatever was not held went back to the budget
    assert Voucher.objects.get(pk=voucher.pk).status == "expired"
    assert_clean()
