"""docs/reliability.md G8: the reconciliation finds each kind of corruption and reports it without fixing it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from ledger_helpers import fund, spend

from kechuang.ledger import services as ledger
from kechuang.ledger.models import Account, Hold, JournalEntry, JournalLine, Posting
from kechuang.ledger.reconcile import reconcile

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("ledger_reconcile", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def failing(report) -> dict[str, int]:
    return {r.name: r.count for r in report.results if r.count}


@pytest.fixture
def busy_ledger(accounts):
    fund("a", 10_000)
    for amount in (100, 250, 325):
        spend("a", amount)
    hold = ledger.hold_place(actor=None, idempotency_key="h", account="a", amount_fen=500)
    ledger.hold_capture(
        actor=None, idempotency_key="c", hold=hold.hold_uuid, destination="sink", amount_fen=400, memo="核销"
    )
    ledger.hold_place(actor=None, idempotency_key="h2", account="a", amount_fen=300)
    return accounts


def test_a_clean_ledger_passes_every_check_and_the_command_exits_zero(busy_ledger):
    assert reconcile().ok
    code, out = run_command()
    assert code == 0
    assert "全部检查通过" in out


def test_a_corrupted_cached_balance_is_reported_and_left_as_it_is(busy_ledger):
    Account.objects.filter(code="a").update(balance_fen=9_999)  # 8,925 is right
    report = reconcile()
    assert failing(report) == {"balances_match_lines": 1, "trial_balance": 1}
    violation = next(r for r in report.results if r.name == "balances_match_lines").violations[0]
    assert violation.detail == {
        "account": "a",
        "cached_fen": 9_999,
        "lines_fen": 8_925,
        "line_count": 5,
        "lines": 5,
    }
    code, out = run_command()
    assert code == 1
    assert "账户 a" in out and "99.99 元" in out and "89.25 元" in out and "未做任何修改" in out
    assert Account.objects.get(code="a").balance_fen == 9_999  # not "fixed"


def test_the_json_report_lists_each_violation(busy_ledger):
    Account.objects.filter(code="sink").update(balance_fen=1)
    code, out = run_command("--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    check = next(c for c in data["checks"] if c["name"] == "balances_match_lines")
    assert check["sample"][0]["detail"]["account"] == "sink"


def test_an_unbalanced_entry_is_reported(busy_ledger):
    entry = JournalEntry.objects.order_by("id").last()
    JournalLine.objects.create(
        entry=entry, account=Account.objects.get(code="world"), side="D", amount_fen=7, balance_after_fen=0
    )
    assert {"entries_balance", "balances_match_lines", "running_balances"} <= set(failing(reconcile()))


def test_a_lost_line_is_reported(busy_ledger):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the DELETE itself (test_constraints)")
    line = JournalLine.objects.filter(account__code="a").order_by("id")[1]
    JournalLine.objects.filter(pk=line.pk)._raw_delete(connection.alias)
    assert {"entries_balance", "balances_match_lines", "running_balances", "postings_match_entries"} <= set(
        failing(reconcile())
    )


def test_a_held_amount_that_does_not_match_the_holds_is_reported(busy_ledger):
    Account.objects.filter(code="a").update(held_fen=0)
    assert failing(reconcile()) == {"holds_match": 1}


def test_a_hold_marked_captured_without_its_entry_is_reported(busy_ledger):
    hold = Hold.objects.get(status="active")
    Hold.objects.filter(pk=hold.pk).update(status="voided", resolved_at=hold.created_at)
    assert "holds_match" in failing(reconcile())


def test_an_entry_without_its_posting_record_is_reported(busy_ledger):
    JournalEntry.objects.create(kind="x", memo="来历不明", total_fen=5, line_count=2)
    assert {"entries_balance", "postings_match_entries"} <= set(failing(reconcile()))


def test_a_posting_whose_request_was_altered_is_reported(busy_ledger):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses the UPDATE itself (test_constraints)")
    posting = Posting.objects.filter(operation="post").order_by("id").last()
    request = dict(posting.request, memo="改过的摘要")
    Posting.objects.filter(pk=posting.pk).update(request=request)
    assert failing(reconcile()) == {"postings_match_entries": 1}


def test_a_negative_balance_is_reported_when_the_constraint_is_gone(busy_ledger):
    """The CHECK constraint stops this in practice; the check is there for a database restored without it."""
    checks = [r for r in reconcile(only=["nothing_negative"]).results]
    assert checks[0].ok and checks[0].checked == Account.objects.count()


def test_the_reconciliation_changes_nothing(busy_ledger):
    Account.objects.filter(code="a").update(balance_fen=9_000)
    before = list(Account.objects.order_by("pk").values())
    counts = (JournalEntry.objects.count(), JournalLine.objects.count(), Posting.objects.count())
    run_command()
    assert list(Account.objects.order_by("pk").values()) == before
    assert (JournalEntry.objects.count(), JournalLine.objects.count(), Posting.objects.count()) == counts
