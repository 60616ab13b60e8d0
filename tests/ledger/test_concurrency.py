"""docs/reliability.md G1, G2, G3 and G4 with real concurrent connections (PostgreSQL only: a green run on
SQLite proves nothing about locks). Each thread has its own database connection; a barrier releases
them together."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from ledger_helpers import balance, fund, open_account

from kechuang.ledger import retry
from kechuang.ledger import services as ledger
from kechuang.ledger.choices import AccountKind, HoldStatus
from kechuang.ledger.errors import HoldNotActive, IdempotencyConflict, InsufficientFunds
from kechuang.ledger.models import Account, Hold, JournalEntry, Posting
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.concurrency import concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def kinds(results: list[Any]) -> Counter:
    return Counter("ok" if isinstance(r, ledger.PostingResult) else type(r).__name__ for r in results)


@pytest.fixture
def funded(transactional_db):
    open_account("a")
    open_account("sink")
    fund("a", 10_000)


def test_g1_fifty_concurrent_spends_of_a_tenth_succeed_exactly_ten_times(funded):
    def spend(i: int) -> ledger.PostingResult:
        return ledger.post(
            actor=None,
            idempotency_key=f"g1:{i}",
            memo="并发支出",
            kind="test.spend",
            lines=[ledger.debit("a", 1_000), ledger.credit("sink", 1_000)],
        )

    results = concurrently(50, spend)
    assert kinds(results) == {"ok": 10, "InsufficientFunds": 40}
    assert all("余额不足" in r.messages[0] for r in results if isinstance(r, InsufficientFunds))
    assert balance("a") == 0 and balance("sink") == 10_000
    assert sorted(r.balance_after("a") for r in results if isinstance(r, ledger.PostingResult)) == list(
        range(0, 10_000, 1_000)
    )
    assert reconcile().ok


def test_g2_twenty_concurrent_retries_of_one_key_post_one_entry_and_get_identical_answers(funded):
    def retry_storm(_i: int) -> ledger.PostingResult:
        return ledger.post(
            actor=None,
            idempotency_key="g2:order-1",
            memo="重复提交",
            kind="test.spend",
            lines=[ledger.debit("a", 1_234), ledger.credit("sink", 1_234)],
        )

    results = concurrently(20, retry_storm)
    assert kinds(results) == {"ok": 20}
    assert len({repr(r.response) for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert Posting.objects.filter(idempotency_key="g2:order-1").count() == 1
    assert JournalEntry.objects.filter(kind="test.spend").count() == 1
    assert balance("a") == 10_000 - 1_234
    assert reconcile().ok


def test_g3_one_key_raced_with_two_different_amounts_posts_once_and_refuses_the_other(funded):
    amounts = [1_000, 1_200] * 5

    def race(i: int) -> ledger.PostingResult:
        return ledger.post(
            actor=None,
            idempotency_key="g3:order",
            memo="同键不同额",
            kind="test.spend",
            lines=[ledger.debit("a", amounts[i]), ledger.credit("sink", amounts[i])],
        )

    results = concurrently(10, race)
    assert JournalEntry.objects.filter(kind="test.spend").count() == 1
    winner = next(r for r in results if isinstance(r, ledger.PostingResult) and not r.replayed)
    won_amount = winner.response["total_fen"]
    for amount, result in zip(amounts, results, strict=True):
        if amount == won_amount:
            assert isinstance(result, ledger.PostingResult) and result.response == winner.response
        else:
            assert isinstance(result, IdempotencyConflict)
    assert balance("a") == 10_000 - won_amount
    assert reconcile().ok


def test_g4_a_hold_captured_and_voided_at_the_same_time_ends_exactly_once(funded):
    for round_number in range(15):
        placed = ledger.hold_place(
            actor=None, idempotency_key=f"g4:hold:{round_number}", account="a", amount_fen=300
        )

        def act(i: int, hold: str = placed.hold_uuid, n: int = round_number) -> ledger.PostingResult:
            if i == 0:
                return ledger.hold_capture(
                    actor=None, idempotency_key=f"g4:capture:{n}", hold=hold, destination="sink", memo="核销"
                )
            return ledger.hold_void(actor=None, idempotency_key=f"g4:void:{n}", hold=hold, reason="取消")

        results = concurrently(2, act)
        assert kinds(results) == {"ok": 1, "HoldNotActive": 1}, results
        hold = Hold.objects.get(uuid=placed.hold_uuid)
        if isinstance(results[0], ledger.PostingResult):
            assert hold.status == HoldStatus.CAPTURED and hold.capture_entry is not None
        else:
            assert isinstance(results[0], HoldNotActive)
            assert hold.status == HoldStatus.VOIDED and hold.capture_entry is None
    account = Account.objects.get(code="a")
    captured = Hold.objects.filter(status=HoldStatus.CAPTURED).count()
    assert account.held_fen == 0
    assert account.balance_fen == 10_000 - 300 * captured
    assert reconcile().ok


def test_crossing_transfers_never_deadlock_because_rows_are_locked_in_key_order(transactional_db):
    codes = ["x1", "x2", "x3", "x4"]
    for code in codes:
        open_account(code)
        fund(code, 100_000)

    def shuffle(i: int) -> int:
        rng = random.Random(i)
        done = 0
        for n in range(30):
            source, destination = rng.sample(codes, 2)
            ledger.transfer(
                actor=None,
                idempotency_key=f"cross:{i}:{n}",
                source=source,
                destination=destination,
                amount_fen=rng.randint(1, 500),
                memo="交叉划转",
            )
            done += 1
        return done

    results = concurrently(8, shuffle)
    assert results == [30] * 8
    assert sum(balance(code) for code in codes) == 400_000
    assert reconcile().ok


def test_a_real_deadlock_is_retried_until_both_transactions_succeed(transactional_db, monkeypatch):
    open_account("d1")
    open_account("d2")
    attempts = Counter()
    first_round = threading.Barrier(2)

    def work(order: list[str], name: str) -> str:
        def body() -> str:
            attempts[name] += 1
            for position, code in enumerate(order):
                Account.objects.select_for_update().get(code=code)
                if position == 0 and attempts[name] == 1:
                    first_round.wait(timeout=10)  # both hold their first row: a lock cycle follows
            return name

        return retry.run_with_retry(body)

    results = concurrently(2, lambda i: work(["d1", "d2"] if i == 0 else ["d2", "d1"], f"t{i}"))
    assert sorted(results) == ["t0", "t1"]
    assert sum(attempts.values()) >= 3  # one of them was chosen as the deadlock victim and ran again


def test_retries_are_bounded_and_end_in_a_clean_busy_error(transactional_db, monkeypatch):
    from django.db import OperationalError

    class Deadlock(Exception):
        sqlstate = "40P01"

    calls = []

    def always_deadlocks() -> None:
        calls.append(time.monotonic())
        error = OperationalError("deadlock detected")
        error.__cause__ = Deadlock()
        raise error

    monkeypatch.setattr(retry, "BASE_DELAY", 0.001)
    with pytest.raises(Exception) as info:
        retry.run_with_retry(always_deadlocks)
    assert type(info.value).__name__ == "LedgerBusy"
    assert len(calls) == retry.MAX_ATTEMPTS
    assert not transaction.get_connection().in_atomic_block


def test_reconciliation_sees_a_consistent_snapshot_while_postings_run(transactional_db):
    open_account("r1")
    open_account("r2")
    fund("r1", 1_000_000)
    stop = threading.Event()

    def poster() -> int:
        n = 0
        while not stop.is_set() and n < 150:
            ledger.transfer(
                actor=None,
                idempotency_key=f"snap:{n}",
                source="r1",
                destination="r2",
                amount_fen=7,
                memo="对账期间记账",
            )
            n += 1
        return n

    def reconciler() -> list[bool]:
        return [reconcile().ok for _ in range(5)]

    results = concurrently(2, lambda i: poster() if i == 0 else reconciler())
    stop.set()
    assert isinstance(results[0], int) and results[0] > 0
    assert results[1] == [True] * 5
    assert Account.objects.get(code="r2").balance_fen == 7 * results[0]
    assert Account.objects.get(code="r2").kind == AccountKind.LIABILITY
