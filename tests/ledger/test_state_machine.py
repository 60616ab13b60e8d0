"""The ledger core as a state machine (hypothesis): random sequences of fund, transfer, hold, capture,
void, expire and retries (same request, and same key with another request), checked after every step
against a plain Python model and against every reconciliation check. The voucher flow has its own
machine with ≥ 1000 sequences (tests/vouchers/test_state_machine.py, docs/reliability.md G5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from hypothesis_profiles import examples
from kechuang.ledger import services as ledger
from kechuang.ledger.choices import AccountKind
from kechuang.ledger.errors import HoldNotActive, IdempotencyConflict, InsufficientFunds, InvalidPosting
from kechuang.ledger.models import Account
from kechuang.ledger.reconcile import reconcile

pytestmark = pytest.mark.django_db

ACCOUNTS = ["m1", "m2", "m3"]
FAR_FUTURE = timezone.now() + dt.timedelta(days=3650)


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.counter = 0
        self.balance = dict.fromkeys(ACCOUNTS, 0)
        self.held = dict.fromkeys(ACCOUNTS, 0)
        self.hold_state: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def key(self) -> str:
        self.counter += 1
        return f"sm:{self.counter}"

    def available(self, code: str) -> int:
        return self.balance[code] - self.held[code]

    def remember(self, name: str, kwargs: dict[str, Any], result: ledger.PostingResult) -> str:
        self.calls[kwargs["idempotency_key"]] = (name, kwargs, result.response)
        return kwargs["idempotency_key"]

    @rule(target=keys, code=st.sampled_from(ACCOUNTS), amount=st.integers(1, 5_000))
    def fund(self, code: str, amount: int) -> str:
        kwargs = {
            "actor": None,
            "idempotency_key": self.key(),
            "memo": "注资",
            "kind": "sm.fund",
            "lines": [ledger.debit("world", amount), ledger.credit(code, amount)],
        }
        result = ledger.post(**kwargs)
        self.balance[code] += amount
        return self.remember("post", kwargs, result)

    @rule(
        target=keys,
        source=st.sampled_from(ACCOUNTS),
        destination=st.sampled_from(ACCOUNTS),
        amount=st.integers(1, 4_000),
    )
    def transfer(self, source: str, destination: str, amount: int) -> str:
        if source == destination:
            return "sm:none"
        kwargs = {
            "actor": None,
            "idempotency_key": self.key(),
            "memo": "划转",
            "kind": "sm.transfer",
            "lines": [ledger.debit(source, amount), ledger.credit(destination, amount)],
        }
        if self.available(source) < amount:
            with pytest.raises(InsufficientFunds):
                ledger.post(**kwargs)
            return "sm:none"
        result = ledger.post(**kwargs)
        self.balance[source] -= amount
        self.balance[destination] += amount
        return self.remember("post", kwargs, result)

    @rule(target=holds, code=st.sampled_from(ACCOUNTS), amount=st.integers(1, 3_000), expires=st.booleans())
    def hold(self, code: str, amount: int, expires: bool) -> str:
        kwargs = {
            "actor": None,
            "idempotency_key": self.key(),
            "account": code,
            "amount_fen": amount,
            "memo": "冻结",
            "expires_at": timezone.now() + dt.timedelta(days=1) if expires else None,
        }
        if self.available(code) < amount:
            with pytest.raises(InsufficientFunds):
                ledger.hold_place(**kwargs)
            return "none"
        result = ledger.hold_place(**kwargs)
        self.held[code] += amount
        self.hold_state[result.hold_uuid] = {
            "account": code,
            "amount": amount,
            "active": True,
            "expires": expires,
        }
        self.remember("hold", kwargs, result)
        return result.hold_uuid

    @rule(target=keys, hold=holds, destination=st.sampled_from(ACCOUNTS), share=st.integers(1, 100))
    def capture(self, hold: str, destination: str, share: int) -> str:
        state = self.hold_state.get(hold)
        if state is None or state["account"] == destination:
            return "sm:none"
        amount = max(1, state["amount"] * share // 100)
        kwargs = {
            "actor": None,
            "idempotency_key": self.key(),
            "hold": hold,
            "destination": destination,
            "amount_fen": amount,
            "memo": "核销",
        }
        if not state["active"]:
            with pytest.raises(HoldNotActive):
                ledger.hold_capture(**kwargs)
            return "sm:none"
        result = ledger.hold_capture(**kwargs)
        state["active"] = False
        self.held[state["account"]] -= state["amount"]
        self.balance[state["account"]] -= amount
        self.balance[destination] += amount
        return self.remember("capture", kwargs, result)

    @rule(target=keys, hold=holds)
    def void(self, hold: str) -> str:
        state = self.hold_state.get(hold)
        if state is None:
            return "sm:none"
        kwargs = {"actor": None, "idempotency_key": self.key(), "hold": hold, "reason": "取消"}
        if not state["active"]:
            with pytest.raises(HoldNotActive):
                ledger.hold_void(**kwargs)
            return "sm:none"
        result = ledger.hold_void(**kwargs)
        state["active"] = False
        self.held[state["account"]] -= state["amount"]
        return self.remember("void", kwargs, result)

    @rule(hold=consumes(holds))
    def expire(self, hold: str) -> None:
        state = self.hold_state.get(hold)
        if state is None:
            return
        if not state["active"]:
            with pytest.raises(HoldNotActive):
                ledger.hold_expire(actor=None, hold=hold, now=FAR_FUTURE)
        elif not state["expires"]:
            with pytest.raises(InvalidPosting):
                ledger.hold_expire(actor=None, hold=hold, now=FAR_FUTURE)
        else:
            ledger.hold_expire(actor=None, hold=hold, now=FAR_FUTURE)
            state["active"] = False
            self.held[state["account"]] -= state["amount"]

    @rule(key=keys, change=st.booleans())
    def retry(self, key: str, change: bool) -> None:
        if key not in self.calls:
            return
        name, kwargs, response = self.calls[key]
        call = {
            "post": ledger.post,
            "hold": ledger.hold_place,
            "capture": ledger.hold_capture,
            "void": ledger.hold_void,
        }[name]
        if not change:
            result = call(**kwargs)
            assert result.replayed and result.response == response
            return
        altered = dict(kwargs)
        if name == "post":
            altered["memo"] = kwargs["memo"] + "（改）"
        elif name == "void":
            altered["reason"] = "另一个理由"
        else:
            altered["amount_fen"] = kwargs["amount_fen"] + 1
        with pytest.raises(IdempotencyConflict):
            call(**altered)

    @invariant()
    def model_matches_the_database(self) -> None:
        rows = {
            code: (balance, held)
            for code, balance, held in Account.objects.filter(code__in=ACCOUNTS).values_list(
                "code", "balance_fen", "held_fen"
            )
        }
        assert rows == {code: (self.balance[code], self.held[code]) for code in ACCOUNTS}

    @invariant()
    def every_reconciliation_check_holds(self) -> None:
        report = reconcile()
        assert report.ok, [(r.name, r.violations[:2]) for r in report.results if not r.ok]


@pytest.mark.slow
def test_the_ledger_behaves_like_its_model_under_random_sequences(db):
    for code in ACCOUNTS:
        ledger.account_open(code=code, name=code, kind=AccountKind.LIABILITY)
    ledger.account_open(code="world", name="world", kind=AccountKind.EXTERNAL, normal_side="C")
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=examples(200),  # 200 under `make test-full` (tests/hypothesis_profiles.py)
            stateful_step_count=15,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
