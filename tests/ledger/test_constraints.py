"""docs/reliability.md G7: the database itself refuses what must never be stored, whatever the code above does."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from ledger_helpers import fund, spend

from kechuang.ledger.choices import AccountKind
from kechuang.ledger.models import Account, Hold, JournalEntry, JournalLine, Posting

pytestmark = pytest.mark.django_db


def refused(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except IntegrityError:
        return True
    return False


def test_the_database_refuses_a_negative_balance(accounts):
    assert refused(lambda: Account.objects.filter(code="a").update(balance_fen=-1))


def test_the_database_refuses_holding_more_than_the_balance(accounts):
    fund("a", 100)
    assert refused(lambda: Account.objects.filter(code="a").update(held_fen=101))
    assert refused(lambda: Account.objects.filter(code="a").update(held_fen=-1))


def test_an_external_account_may_hold_a_negative_balance(accounts):
    assert not refused(lambda: Account.objects.filter(code="world").update(balance_fen=-5))


def test_the_database_refuses_an_account_whose_side_contradicts_its_kind(db):
    assert refused(
        lambda: Account.objects.create(code="x", name="x", kind=AccountKind.ASSET, normal_side="C")
    )
    assert refused(
        lambda: Account.objects.create(code="y", name="y", kind=AccountKind.LIABILITY, normal_side="D")
    )


def test_the_database_refuses_a_zero_or_negative_amount(accounts):
    result = fund("a", 100)
    entry = JournalEntry.objects.get(uuid=result.entry_uuid)
    account = Account.objects.get(code="sink")
    for amount in (0, -1):
        assert refused(
            lambda amount=amount: JournalLine.objects.create(
                entry=entry, account=account, side="D", amount_fen=amount, balance_after_fen=0
            )
        )
    assert refused(lambda: JournalEntry.objects.create(kind="x", memo="x", total_fen=0, line_count=2))
    assert refused(lambda: JournalEntry.objects.create(kind="x", memo="x", total_fen=10, line_count=1))
    assert refused(lambda: Hold.objects.create(account=account, amount_fen=0))


def test_the_database_refuses_a_second_line_for_the_same_account_in_one_entry(accounts):
    result = fund("a", 100)
    entry = JournalEntry.objects.get(uuid=result.entry_uuid)
    assert refused(
        lambda: JournalLine.objects.create(
            entry=entry, account=Account.objects.get(code="a"), side="C", amount_fen=1, balance_after_fen=101
        )
    )


def test_the_database_refuses_a_second_payment_of_the_same_business_reference(accounts):
    fund("a", 100)
    JournalEntry.objects.create(
        kind="pay", memo="支付", total_fen=1, line_count=2, business_reference="claim:1"
    )
    assert refused(
        lambda: JournalEntry.objects.create(
            kind="pay", memo="再付", total_fen=1, line_count=2, business_reference="claim:1"
        )
    )


def test_the_database_refuses_a_second_posting_with_the_same_key(accounts):
    fund("a", 100)
    spend("a", 10, key="dup")
    posting = Posting.objects.get(idempotency_key="dup")
    assert refused(
        lambda: Posting.objects.create(
            idempotency_key="dup", operation="post", fingerprint="x", request={}, response={}, entry=None
        )
    )
    assert refused(
        lambda: Posting.objects.create(
            idempotency_key="other",
            operation="post",
            fingerprint="x",
            request={},
            response={},
            entry=posting.entry,
        )
    )


def test_the_database_refuses_a_capture_beyond_the_hold(accounts):
    fund("a", 100)
    hold = Hold.objects.create(account=Account.objects.get(code="a"), amount_fen=50)
    assert refused(lambda: Hold.objects.filter(pk=hold.pk).update(captured_fen=51))


@pytest.mark.postgres
def test_postgres_refuses_to_update_or_delete_journal_rows(accounts):
    result = fund("a", 100)
    entry = JournalEntry.objects.get(uuid=result.entry_uuid)
    for statement in (
        "UPDATE ledger_journalline SET amount_fen = amount_fen + 1 WHERE entry_id = %s",
        "DELETE FROM ledger_journalline WHERE entry_id = %s",
        "UPDATE ledger_journalentry SET memo = 'changed' WHERE id = %s",
        "DELETE FROM ledger_posting WHERE entry_id = %s",
        "UPDATE ledger_posting SET response = '{}' WHERE entry_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.pk])
    assert JournalLine.objects.filter(entry=entry).count() == 2
