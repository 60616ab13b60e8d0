"""docs/reliability.md G5: the voucher flow as a state machine. Hypothesis generates ≥ 1000 random sequences of
grant, hold (order), deliver, post (confirm: the hold is redeemed), void (cancel), expire, revoke, settle
(claim → review → monthly batch → approval → payment) and retry (the same request again), each checked
against a plain Python model. After every step: every entry balances, every cached balance equals the
sum of its lines, nothing is negative, holds add up, the caps and the budget are respected, and the
vouchers, orders and claims agree with the ledger.

Each sequence runs inside a savepoint that is rolled back at its end, on top of one shared set-up
(a scheme, three enterprises — two under one actual controller — and a provider with two services).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from hypothesis_profiles import examples
from kechuang.accounts.choices import Role
from kechuang.ledger.models import Account, JournalEntry
from kechuang.ledger.reconcile import quick_counts as ledger_quick_counts
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories, services
from kechuang.vouchers.choices import ApplicationStatus, OrderStatus, VoucherStatus
from kechuang.vouchers.models import Application, ServiceOrder, Voucher
from kechuang.vouchers.reconcile import quick_counts as voucher_quick_counts

pytestmark = pytest.mark.django_db

# ≥ 1000 under `make test-full` (profile nightly), a fifth under `make test` (tests/hypothesis_profiles.py)
# (the PostgreSQL pass runs half of that fifth: what only PostgreSQL refuses, its constraints and types, is
# met by the first sequences; tests/hypothesis_profiles.py)
SEQUENCES = int(__import__("os").environ.get("G5_SEQUENCES", examples(1000, postgres_share=0.5)))
BUDGET = 1_000_000
ENTERPRISE_CAP = 400_000
CONTROLLER_CAP = 600_000
FULL_RECONCILE_EVERY = 10  # sequences; the others get the one-statement checks after every step


class World:
    """The shared set-up, built once per test."""

    scheme: Any
    enterprises: list[Any]
    users: list[Any]
    controllers: list[str]
    operator: Any
    operator2: Any
    leader: Any
    provider_user: Any
    services: list[Any]


WORLD = World()


class VoucherMachine(RuleBasedStateMachine):
    vouchers = Bundle("vouchers")
    orders = Bundle("orders")
    runs: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        VoucherMachine.runs += 1
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.w = WORLD
        self.today = timezone.localdate()
        self.expired = False
        self.budget = BUDGET
        self.committed = [0, 0, 0]  # per enterprise
        self.vouchers_model: dict[int, dict[str, Any]] = {}
        self.orders_model: dict[int, dict[str, Any]] = {}
        self.paid = 0
        self.request_counter = 0

    def teardown(self) -> None:
        try:
            if VoucherMachine.runs % FULL_RECONCILE_EVERY == 0:  # every check, including postings and claims
                report = reconcile(counting=False)
                assert report.ok, [
                    (r.name, [v.message for v in r.violations]) for r in report.results if not r.ok
                ]
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # --- helpers ---------------------------------------------------------------------------------------

    def controller_committed(self, controller: str) -> int:
        return sum(
            c for c, code in zip(self.committed, self.w.controllers, strict=True) if code == controller
        )

    def release(self, order_id: int, status: str) -> None:
        order = self.orders_model[order_id]
        self.vouchers_model[order["voucher"]]["held"] -= order["share"]
        order["status"] = status

    def return_available(self, voucher_id: int) -> None:
        model = self.vouchers_model[voucher_id]
        amount = model["balance"] - model["held"]
        model["balance"] -= amount
        model["returned"] += amount
        self.committed[model["enterprise"]] -= amount
        self.budget += amount

    # --- rules -----------------------------------------------------------------------------------------

    @rule(
        target=vouchers, index=st.integers(0, 2), amount=st.sampled_from([50_000, 150_000, 300_000, 400_000])
    )
    def grant(self, index: int, amount: int) -> int:
        enterprise, user = self.w.enterprises[index], self.w.users[index]
        controller = self.w.controllers[index]

        def submit(**controller_code: str) -> Any:
            return services.application_submit(
                actor=user,
                scheme=self.w.scheme,
                enterprise=enterprise,
                requested_fen=amount,
                purpose="研发",
                today=self.today,
                **controller_code,
            )

        if self.expired:
            with pytest.raises(ValidationError):
                submit()
            return -1
        allowed = (
            self.committed[index] + amount <= ENTERPRISE_CAP
            and self.controller_committed(controller) + amount <= CONTROLLER_CAP
            and self.budget >= amount
        )
        if not allowed:
            # Refused before the leader: at submission when nothing at all is left, else by the first
            # review, which cannot recommend more than the caps and the budget still allow.
            application = None
            with pytest.raises(ValidationError):
                application = submit(controller_code=controller)
                services.application_review(actor=self.w.operator, application=application, approve=True)
            if application is not None:
                services.application_withdraw(actor=user, application=application)
            return -1
        application = submit(controller_code=controller)
        services.application_review(actor=self.w.operator, application=application, approve=True)
        services.application_decide(
            actor=self.w.leader, application=application, approve=True, today=self.today
        )
        voucher = Voucher.objects.get(application=application)
        self.committed[index] += amount
        self.budget -= amount
        self.vouchers_model[voucher.pk] = {
            "enterprise": index,
            "balance": amount,
            "held": 0,
            "returned": 0,
            "status": VoucherStatus.ACTIVE,
            "account": voucher.account_id,
        }
        return voucher.pk

    @rule(target=orders, voucher_id=vouchers, service=st.integers(0, 1), quantity=st.integers(1, 3))
    def hold(self, voucher_id: int, service: int, quantity: int) -> int:
        if voucher_id < 0:
            return -1
        voucher = Voucher.objects.get(pk=voucher_id)
        model = self.vouchers_model[voucher_id]
        index = model["enterprise"]
        offering = self.w.services[service]
        share = min(
            offering.price_fen * quantity * self.w.scheme.subsidy_ratio_bp // 10000,
            model["balance"] - model["held"],
        )
        self.request_counter += 1
        key = f"sm-order-{self.request_counter}"
        kwargs = {
            "actor": self.w.users[index],
            "voucher": voucher,
            "service": offering,
            "quantity": quantity,
            "request_key": key,
            "today": self.today,
        }
        if model["status"] != VoucherStatus.ACTIVE or self.expired or share <= 0:
            with pytest.raises(ValidationError):
                services.order_place(**kwargs)
            return -1
        order = services.order_place(**kwargs)
        assert order.voucher_fen == share
        model["held"] += share
        self.orders_model[order.pk] = {
            "voucher": voucher_id,
            "share": share,
            "status": OrderStatus.PLACED,
            "kwargs": kwargs,
        }
        return order.pk

    @rule(order_id=orders)
    def deliver(self, order_id: int) -> None:
        if order_id < 0:
            return
        order = ServiceOrder.objects.get(pk=order_id)
        model = self.orders_model[order_id]
        if model["status"] == OrderStatus.PLACED:
            services.order_accept(actor=self.w.provider_user, order=order)
            model["status"] = OrderStatus.ACCEPTED
        if model["status"] == OrderStatus.ACCEPTED:
            services.order_deliver(actor=self.w.provider_user, order=order)
            model["status"] = OrderStatus.DELIVERED
        else:
            with pytest.raises(ValidationError):
                services.order_deliver(actor=self.w.provider_user, order=order)

    @rule(order_id=orders)
    def post(self, order_id: int) -> None:
        if order_id < 0:
            return
        self.deliver(order_id)
        model = self.orders_model[order_id]
        order = ServiceOrder.objects.get(pk=order_id)
        user = self.w.users[self.vouchers_model[model["voucher"]]["enterprise"]]
        if model["status"] != OrderStatus.DELIVERED:
            with pytest.raises(ValidationError):
                services.order_confirm(actor=user, order=order)
            return
        services.order_confirm(actor=user, order=order)
        voucher = self.vouchers_model[model["voucher"]]
        voucher["held"] -= model["share"]
        voucher["balance"] -= model["share"]
        model["status"] = OrderStatus.CONFIRMED

    @rule(order_id=orders)
    def void(self, order_id: int) -> None:
        if order_id < 0:
            return
        model = self.orders_model[order_id]
        order = ServiceOrder.objects.get(pk=order_id)
        user = self.w.users[self.vouchers_model[model["voucher"]]["enterprise"]]
        if model["status"] in (OrderStatus.PLACED, OrderStatus.ACCEPTED):
            services.order_cancel(actor=user, order=order, reason="不需要了")
            self.release(order_id, OrderStatus.CANCELLED)
        else:
            with pytest.raises(ValidationError):
                services.order_cancel(actor=user, order=order)

    @precondition(lambda self: not self.expired)
    @rule()
    def expire(self) -> None:
        self.today = self.w.scheme.expires_on + dt.timedelta(days=1)
        self.expired = True
        services.vouchers_expire_due(today=self.today)
        for order_id, order in self.orders_model.items():
            if (
                order["status"] in (OrderStatus.PLACED, OrderStatus.ACCEPTED)
                and self.vouchers_model[order["voucher"]]["status"] != VoucherStatus.REVOKED
            ):
                self.release(order_id, OrderStatus.CANCELLED)
        for voucher_id, model in self.vouchers_model.items():
            if model["status"] == VoucherStatus.REVOKED:
                continue
            model["status"] = VoucherStatus.EXPIRED
            self.return_available(voucher_id)

    @rule(voucher_id=vouchers)
    def revoke(self, voucher_id: int) -> None:
        if voucher_id < 0:
            return
        voucher = Voucher.objects.get(pk=voucher_id)
        model = self.vouchers_model[voucher_id]
        if model["status"] == VoucherStatus.REVOKED:
            with pytest.raises(ValidationError):
                services.voucher_revoke(actor=self.w.operator, voucher=voucher, reason="违规")
            return
        services.voucher_revoke(actor=self.w.operator, voucher=voucher, reason="违规")
        for order_id, order in self.orders_model.items():
            if order["voucher"] == voucher_id and order["status"] in (
                OrderStatus.PLACED,
                OrderStatus.ACCEPTED,
                OrderStatus.DELIVERED,
            ):
                self.release(order_id, OrderStatus.CANCELLED)
        self.return_available(voucher_id)
        model["status"] = VoucherStatus.REVOKED

    @precondition(
        lambda self: any(
            o["status"] == OrderStatus.CONFIRMED and not o.get("settled") for o in self.orders_model.values()
        )
    )
    @rule()
    def settle(self) -> None:
        unclaimed = ServiceOrder.objects.filter(status=OrderStatus.CONFIRMED, claim__isnull=True)
        claims = []
        for order in unclaimed:
            claim = factories.submit_claim(order=order, actor=self.w.provider_user)
            claims.append(services.claim_review(actor=self.w.operator, claim=claim, approve=True))
        batch = services.batch_create(actor=self.w.operator, period=timezone.localdate())
        if not claims:
            assert batch is None
            return
        services.batch_approve(actor=self.w.leader, batch=batch)
        services.batch_pay(actor=self.w.operator2, batch=batch)
        self.paid += sum(claim.amount_fen for claim in claims)
        for order in self.orders_model.values():
            if order["status"] == OrderStatus.CONFIRMED:
                order["settled"] = True
        with pytest.raises(ValidationError):
            services.batch_pay(actor=self.w.operator2, batch=batch)  # a second payment is refused

    @rule(order_id=orders)
    def retry(self, order_id: int) -> None:
        """A client retries: the same order request returns the same order; a second confirmation or
        grant decision is refused; nothing new reaches the ledger."""
        if order_id < 0:
            return
        entries = JournalEntry.objects.count()
        model = self.orders_model[order_id]
        again = services.order_place(**model["kwargs"])
        assert again.pk == order_id
        if model["status"] == OrderStatus.CONFIRMED:
            user = self.w.users[self.vouchers_model[model["voucher"]]["enterprise"]]
            with pytest.raises(ValidationError):
                services.order_confirm(actor=user, order=ServiceOrder.objects.get(pk=order_id))
        granted = Application.objects.filter(status=ApplicationStatus.GRANTED).first()
        if granted is not None:
            with pytest.raises((ValidationError, PermissionDenied)):
                services.application_decide(actor=self.w.leader, application=granted, approve=True)
        assert JournalEntry.objects.count() == entries

    # --- invariants --------------------------------------------------------------------------------------

    @invariant()
    def the_ledger_agrees_with_the_model(self) -> None:
        scheme = self.w.scheme
        expected = {
            model["account"]: (model["balance"], model["held"]) for model in self.vouchers_model.values()
        }
        expected[scheme.budget_account_id] = (self.budget, 0)
        expected[scheme.fund_account_id] = (BUDGET - self.paid, 0)
        actual = {
            pk: (balance, held)
            for pk, balance, held in Account.objects.filter(pk__in=list(expected)).values_list(
                "pk", "balance_fen", "held_fen"
            )
        }
        assert actual == expected

    @invariant()
    def every_invariant_of_the_ledger_holds(self) -> None:
        """Entries balance, cached balances equal their lines, nothing negative, holds add up (one statement);
        caps, budget and vouchers agree with their orders (a second one)."""
        problems = {**ledger_quick_counts(), **voucher_quick_counts()}
        assert not any(problems.values()), problems


@pytest.fixture
def world(operator, operator2, leader, provider_org, provider_user, media_root):
    WORLD.operator, WORLD.operator2, WORLD.leader, WORLD.provider_user = (
        operator,
        operator2,
        leader,
        provider_user,
    )
    WORLD.scheme = factories.make_scheme(
        operator=operator,
        budget_fen=BUDGET,
        enterprise_cap_fen=ENTERPRISE_CAP,
        controller_cap_fen=CONTROLLER_CAP,
    )
    WORLD.enterprises = [OrganizationFactory(name=f"状态机企业{n}") for n in range(3)]
    WORLD.users = [
        user_with_role(Role.ENTERPRISE, e, username=f"sm{n}") for n, e in enumerate(WORLD.enterprises)
    ]
    WORLD.controllers = ["CTRL-A", "CTRL-A", "CTRL-B"]
    provider = factories.make_provider(organization=provider_org, applicant=provider_user, reviewer=operator)
    WORLD.services = [
        factories.make_service(provider=provider, actor=provider_user, price_fen=120_000),
        factories.make_service(
            provider=provider, actor=provider_user, price_fen=900_000, category="ip", name="专利布局分析"
        ),
    ]
    return WORLD


@pytest.mark.slow
def test_g5_random_voucher_sequences_keep_every_invariant(world):
    VoucherMachine.runs = 0
    run_state_machine_as_test(
        VoucherMachine,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
            ],
        ),
    )
    assert VoucherMachine.runs >= SEQUENCES
