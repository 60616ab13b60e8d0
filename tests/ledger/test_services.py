"""The ledger's write API: balanced entries, idempotency, holds, and refusals that write nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from ledger_helpers import balance, fund, next_key, open_account, spend

from kechuang.core.models import AuditEvent
from kechuang.ledger import services as ledger
from kechuang.ledger.choices import AccountKind, HoldStatus
from kechuang.ledger.errors import (
    DuplicateBusinessReference,
    HoldNotActive,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidPosting,
)
from kechuang.ledger.models import Account, Hold, JournalEntry, JournalLine, Posting
from kechuang.ledger.reconcile import reconcile

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    """Everything the ledger holds, to prove a refused call wrote nothing."""
    return (
        list(Account.objects.order_by("pk").values_list("code", "balance_fen", "held_fen", "line_count")),
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        Posting.objects.count(),
        list(Hold.objects.order_by("pk").values_list("status", "amount_fen")),
    )


def test_a_posting_moves_money_and_records_lines_with_running_balances(accounts):
    fund("a", 10_000)
    result = spend("a", 2_500)
    assert balance("a") == 7_500 and balance("sink") == 2_500
    entry = JournalEntry.objects.get(uuid=result.entry_uuid)
    assert entry.total_fen == 2_500 and entry.line_count == 2
    lines = {line.account.code: line for line in entry.lines.select_related("account")}
    assert lines["a"].side == "D" and lines["a"].balance_after_fen == 7_500
    assert lines["sink"].side == "C" and lines["sink"].balance_after_fen == 2_500
    assert result.balance_after("a") == 7_500
    assert Account.objects.get(code="a").line_count == 2
    assert reconcile().ok


def test_every_posting_leaves_an_audit_record(accounts):
    before = AuditEvent.objects.filter(action="ledger.post").count()
    result = fund("a", 100)
    event = AuditEvent.objects.filter(action="ledger.post").order_by("-id").first()
    assert AuditEvent.objects.filter(action="ledger.post").count() == before + 1
    assert event.object_id == result.entry_uuid
    assert event.detail["total_fen"] == 100


def test_replaying_a_key_returns_the_first_answer_and_posts_nothing_more(accounts):
    fund("a", 5_000)
    first = spend("a", 1_000, key="order-1")
    state = snapshot()
    again = spend("a", 1_000, key="order-1")
    assert again.replayed and not first.replayed
    assert again.response == first.response
    assert snapshot() == state


def test_same_key_with_a_different_amount_is_refused_and_posts_nothing(accounts):
    """docs/reliability.md G3."""
    fund("a", 5_000)
    spend("a", 1_000, key="order-2")
    state = snapshot()
    with pytest.raises(IdempotencyConflict):
        spend("a", 1_200, key="order-2")
    with pytest.raises(IdempotencyConflict):
        spend("a", 1_000, key="order-2", memo="另一个摘要")
    assert snapshot() == state


def test_spending_more_than_the_balance_is_refused_with_a_clean_message(accounts):
    fund("a", 999)
    state = snapshot()
    with pytest.raises(InsufficientFunds) as info:
        spend("a", 1_000)
    assert "余额不足" in info.value.messages[0]
    assert snapshot() == state


def test_a_refused_key_stays_free_for_a_later_attempt(accounts):
    with pytest.raises(InsufficientFunds):
        spend("a", 1_000, key="later")
    fund("a", 1_000)
    assert not spend("a", 1_000, key="later").replayed
    assert balance("a") == 0


@pytest.mark.parametrize(
    "lines, code",
    [
        ([ledger.debit("a", 100), ledger.credit("sink", 90)], "unbalanced"),
        ([ledger.debit("a", 0), ledger.credit("sink", 0)], "zero_amount"),
        ([ledger.debit("a", -5), ledger.credit("sink", -5)], "zero_amount"),
        ([ledger.debit("a", 1.5), ledger.credit("sink", 1.5)], "bad_amount"),
        ([ledger.debit("a", True), ledger.credit("sink", True)], "bad_amount"),
        ([ledger.debit("a", 100)], "too_few_lines"),
        ([ledger.debit("a", 100), ledger.credit("a", 100)], "duplicate_account"),
        ([ledger.debit("a", 100), ledger.credit("nowhere", 100)], "unknown_account"),
        ([ledger.Line("a", "X", 100), ledger.credit("sink", 100)], "bad_side"),
    ],
)
def test_malformed_postings_are_refused_and_write_nothing(accounts, lines, code):
    fund("a", 1_000)
    state = snapshot()
    with pytest.raises(InvalidPosting) as info:
        ledger.post(actor=None, idempotency_key=next_key(), memo="坏请求", lines=lines)
    assert info.value.code == code
    assert snapshot() == state


@pytest.mark.parametrize("key", ["", "   ", "x" * 161, "bad\nkey"])
def test_a_missing_or_bad_idempotency_key_is_refused(accounts, key):
    fund("a", 100)
    with pytest.raises(InvalidPosting):
        spend("a", 10, key=key or " ")


def test_paying_the_same_business_reference_twice_is_refused(accounts):
    fund("a", 10_000)
    ledger.post(
        actor=None,
        idempotency_key="pay-1",
        memo="支付",
        business_reference="claim:JS-1",
        lines=[ledger.debit("a", 500), ledger.credit("sink", 500)],
    )
    state = snapshot()
    with pytest.raises(DuplicateBusinessReference):
        ledger.post(
            actor=None,
            idempotency_key="pay-1-again",
            memo="支付",
            business_reference="claim:JS-1",
            lines=[ledger.debit("a", 500), ledger.credit("sink", 500)],
        )
    assert snapshot() == state


def test_an_external_account_may_go_negative_but_others_may_not(accounts):
    fund("a", 100)
    assert balance("world") == -100
    with pytest.raises(InsufficientFunds):
        spend("sink", 1, sink="a")


def test_transfer_between_same_side_accounts(accounts):
    fund("a", 300)
    ledger.transfer(
        actor=None, idempotency_key="t1", source="a", destination="sink", amount_fen=120, memo="划转"
    )
    assert (balance("a"), balance("sink")) == (180, 120)
    open_account("cash", AccountKind.ASSET)
    with pytest.raises(InvalidPosting):
        ledger.transfer(
            actor=None, idempotency_key="t2", source="a", destination="cash", amount_fen=1, memo="错"
        )


# --- holds --------------------------------------------------------------------------------------------


def test_a_hold_reduces_what_is_available_and_a_capture_moves_at_most_the_hold(accounts):
    fund("a", 1_000)
    placed = ledger.hold_place(actor=None, idempotency_key="h1", account="a", amount_fen=600, memo="订单")
    account = Account.objects.get(code="a")
    assert (account.balance_fen, account.held_fen, account.available_fen) == (1_000, 600, 400)
    with pytest.raises(InsufficientFunds):
        spend("a", 401)
    with pytest.raises(InsufficientFunds):
        ledger.hold_place(actor=None, idempotency_key="h2", account="a", amount_fen=401)
    captured = ledger.hold_capture(
        actor=None,
        idempotency_key="c1",
        hold=placed.hold_uuid,
        destination="sink",
        amount_fen=450,
        memo="核销",
    )
    assert captured.response["released_fen"] == 150
    account.refresh_from_db()
    assert (account.balance_fen, account.held_fen) == (550, 0)
    hold = Hold.objects.get(uuid=placed.hold_uuid)
    assert hold.status == HoldStatus.CAPTURED and hold.captured_fen == 450
    assert hold.capture_entry.total_fen == 450
    assert reconcile().ok


def test_a_capture_larger_than_the_hold_is_refused(accounts):
    fund("a", 1_000)
    placed = ledger.hold_place(actor=None, idempotency_key="h", account="a", amount_fen=100)
    with pytest.raises(InvalidPosting):
        ledger.hold_capture(
            actor=None,
            idempotency_key="c",
            hold=placed.hold_uuid,
            destination="sink",
            amount_fen=101,
            memo="超额",
        )
    assert Hold.objects.get(uuid=placed.hold_uuid).status == HoldStatus.ACTIVE


def test_a_voided_hold_cannot_be_captured_and_its_money_is_available_again(accounts):
    fund("a", 1_000)
    placed = ledger.hold_place(actor=None, idempotency_key="h", account="a", amount_fen=700)
    ledger.hold_void(actor=None, idempotency_key="v", hold=placed.hold_uuid, reason="取消")
    assert Account.objects.get(code="a").available_fen == 1_000
    state = snapshot()
    with pytest.raises(HoldNotActive):
        ledger.hold_capture(
            actor=None, idempotency_key="c", hold=placed.hold_uuid, destination="sink", memo="晚了"
        )
    assert snapshot() == state
    # the void itself replays
    assert ledger.hold_void(actor=None, idempotency_key="v", hold=placed.hold_uuid, reason="取消").replayed


def test_holds_expire_only_after_their_time_and_the_job_is_idempotent(accounts):
    fund("a", 1_000)
    soon = timezone.now() + dt.timedelta(hours=1)
    placed = ledger.hold_place(actor=None, idempotency_key="h", account="a", amount_fen=300, expires_at=soon)
    ledger.hold_place(actor=None, idempotency_key="h-open", account="a", amount_fen=100)
    with pytest.raises(InvalidPosting):
        ledger.hold_expire(actor=None, hold=placed.hold_uuid)
    assert ledger.holds_expire_due() == 0
    later = soon + dt.timedelta(seconds=1)
    assert ledger.holds_expire_due(now=later) == 1
    assert ledger.holds_expire_due(now=later) == 0
    assert Hold.objects.get(uuid=placed.hold_uuid).status == HoldStatus.EXPIRED
    assert Account.objects.get(code="a").held_fen == 100
    assert reconcile().ok


def test_journal_rows_refuse_to_be_changed_through_the_models(accounts):
    result = fund("a", 100)
    entry = JournalEntry.objects.get(uuid=result.entry_uuid)
    with pytest.raises(RuntimeError):
        entry.save()
    with pytest.raises(RuntimeError):
        entry.delete()
    line = entry.lines.first()
    with pytest.raises(RuntimeError):
        line.save()
    with pytest.raises(RuntimeError):
        line.delete()
