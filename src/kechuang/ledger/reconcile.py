"""Reconciliation: every invariant of docs/reliability.md G, checked against the database as it is, changing
nothing. Each check yields the violations it finds; :func:`reconcile` runs them all in one read-only
snapshot (PostgreSQL REPEATABLE READ READ ONLY), so postings running meanwhile never cause a false alarm.

Modules that keep money in the ledger add their own checks (caps, per-scheme identities…) with
:func:`register_check` from their AppConfig.ready().
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kechuang.core.money import format_fen
from kechuang.core.registry import reconcile_checks, register_reconcile_check

from .choices import NON_NEGATIVE_KINDS, HoldStatus, PostingOperation

SAMPLE = 20  # violations kept per check for the report (all are counted)


@dataclass(frozen=True)
class Violation:
    check: str
    subject: str  # the account, entry, hold… the problem is about
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckResult:
    name: str
    title: str
    checked: int = 0
    violations: list[Violation] = field(default_factory=list)
    count: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.count == 0


@dataclass
class Report:
    started_at: Any
    results: list[CheckResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def violation_count(self) -> int:
        return sum(r.count for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "seconds": round(self.seconds, 3),
            "violations": self.violation_count,
            "checks": [
                {
                    "name": r.name,
                    "title": r.title,
                    "checked": r.checked,
                    "violations": r.count,
                    "seconds": round(r.seconds, 3),
                    "warnings": r.warnings,
                    "sample": [
                        {"subject": v.subject, "message": v.message, "detail": v.detail} for v in r.violations
                    ],
                }
                for r in self.results
            ],
        }


class Check:
    """A named check: ``run()`` yields violations and may set ``self.checked`` and ``self.warnings``.
    ``counting`` off skips the statements that only count what was checked (for checks run after every
    step of a property test)."""

    name = ""
    title = ""

    def __init__(self, counting: bool = True) -> None:
        self.checked = 0
        self.counting = counting
        self.warnings: list[str] = []

    def count(self, sql: str, params: Iterable[Any] = ()) -> int:
        return int(fetch_scalar(sql, params) or 0) if self.counting else 0

    def run(self) -> Iterator[Violation]:  # pragma: no cover - abstract
        raise NotImplementedError


CheckFactory = Callable[..., Check]


def register_check(name: str, factory: CheckFactory) -> None:
    """Add a module's own check (a Check subclass or a factory returning one); the kernel's registry
    holds them (core.registry, ADR 0019)."""
    register_reconcile_check(name, factory)


def _plain(value: Any) -> Any:
    """PostgreSQL sums BIGINTs into NUMERIC: hand integers back as ``int``."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def fetch_rows(sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [tuple(_plain(v) for v in row) for row in cursor.fetchall()]


def _uuid_text(value: Any) -> str:
    return str(uuid.UUID(str(value))) if value is not None else ""


def fetch_scalar(sql: str, params: Iterable[Any] = ()) -> Any:
    rows = fetch_rows(sql, params)
    return rows[0][0] if rows else None


def _non_negative_kinds_sql() -> str:
    return ", ".join(f"'{kind}'" for kind in sorted(NON_NEGATIVE_KINDS))


# --- the core checks ----------------------------------------------------------------------------------


class EntriesBalance(Check):
    name = "entries_balance"
    title = "每笔凭证借贷平衡、行数与金额相符"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM ledger_journalentry")
        debit = "COALESCE(SUM(CASE WHEN l.side = 'D' THEN l.amount_fen ELSE 0 END), 0)"
        credit = "COALESCE(SUM(CASE WHEN l.side = 'C' THEN l.amount_fen ELSE 0 END), 0)"
        sql = f"""
            SELECT e.id, e.uuid, e.total_fen, e.line_count, {debit}, {credit}, COUNT(l.id)
            FROM ledger_journalentry e LEFT JOIN ledger_journalline l ON l.entry_id = e.id
            GROUP BY e.id, e.uuid, e.total_fen, e.line_count
            HAVING {debit} <> {credit} OR {debit} <> e.total_fen OR COUNT(l.id) <> e.line_count
                   OR COUNT(l.id) < 2
            ORDER BY e.id"""  # noqa: S608 - built from constants, no input
        for entry_id, entry_uuid, total, line_count, debits, credits, lines in fetch_rows(sql):
            yield Violation(
                self.name,
                f"凭证 #{entry_id}",
                f"借方合计 {format_fen(debits)}，贷方合计 {format_fen(credits)}，凭证金额 "
                f"{format_fen(total)}；分录 {lines} 行（应为 {line_count} 行）",
                {
                    "entry": _uuid_text(entry_uuid),
                    "debits_fen": debits,
                    "credits_fen": credits,
                    "total_fen": total,
                    "lines": lines,
                    "line_count": line_count,
                },
            )


class BalancesMatchLines(Check):
    name = "balances_match_lines"
    title = "缓存余额等于分录合计"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM ledger_account")
        sql = """
            SELECT a.id, a.code, a.balance_fen, a.line_count, COALESCE(s.total, 0), COALESCE(s.n, 0)
            FROM ledger_account a LEFT JOIN (
                SELECT l.account_id,
                       SUM(CASE WHEN l.side = a2.normal_side THEN l.amount_fen ELSE -l.amount_fen END) AS total,
                       COUNT(*) AS n
                FROM ledger_journalline l JOIN ledger_account a2 ON a2.id = l.account_id
                GROUP BY l.account_id) s ON s.account_id = a.id
            WHERE a.balance_fen <> COALESCE(s.total, 0) OR a.line_count <> COALESCE(s.n, 0)
            ORDER BY a.id"""
        for _pk, code, cached, line_count, total, lines in fetch_rows(sql):
            yield Violation(
                self.name,
                f"账户 {code}",
                f"缓存余额 {format_fen(cached)}，分录合计 {format_fen(total)}"
                f"（相差 {format_fen(cached - total)}）；记录行数 {line_count}，实际 {lines}",
                {
                    "account": code,
                    "cached_fen": cached,
                    "lines_fen": total,
                    "line_count": line_count,
                    "lines": lines,
                },
            )


class RunningBalances(Check):
    name = "running_balances"
    title = "逐行记账后余额连续（无丢失、无插入）"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM ledger_journalline")
        sql = """
            SELECT id, code, balance_after_fen, prev, signed FROM (
                SELECT l.id, a.code, l.balance_after_fen,
                       COALESCE(LAG(l.balance_after_fen) OVER (PARTITION BY l.account_id ORDER BY l.id), 0) AS prev,
                       CASE WHEN l.side = a.normal_side THEN l.amount_fen ELSE -l.amount_fen END AS signed
                FROM ledger_journalline l JOIN ledger_account a ON a.id = l.account_id) x
            WHERE balance_after_fen <> prev + signed
            ORDER BY id"""
        for line_id, code, after, prev, signed in fetch_rows(sql):
            yield Violation(
                self.name,
                f"分录 #{line_id}",
                f"账户 {code}：上一行后余额 {format_fen(prev)} 加本行 {format_fen(signed)}，"
                f"应为 {format_fen(prev + signed)}，记录为 {format_fen(after)}",
                {"line": line_id, "account": code, "expected_fen": prev + signed, "recorded_fen": after},
            )


class NothingNegative(Check):
    name = "nothing_negative"
    title = "余额不为负、冻结不超过余额"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM ledger_account")
        sql = f"""
            SELECT code, balance_fen, held_fen FROM ledger_account
            WHERE held_fen < 0 OR (kind IN ({_non_negative_kinds_sql()})
                                   AND (balance_fen < 0 OR balance_fen < held_fen))
            ORDER BY id"""  # noqa: S608 - built from constants, no input
        for code, balance, held in fetch_rows(sql):
            yield Violation(
                self.name,
                f"账户 {code}",
                f"余额 {format_fen(balance)}，冻结 {format_fen(held)}，可用 {format_fen(balance - held)}",
                {"account": code, "balance_fen": balance, "held_fen": held},
            )


class HoldsMatch(Check):
    name = "holds_match"
    title = "冻结金额等于未处理冻结之和，已入账冻结与凭证相符"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM ledger_hold")
        sql = """
            SELECT a.code, a.held_fen, COALESCE(h.total, 0) FROM ledger_account a LEFT JOIN (
                SELECT account_id, SUM(amount_fen) AS total FROM ledger_hold WHERE status = %s GROUP BY account_id
            ) h ON h.account_id = a.id
            WHERE a.held_fen <> COALESCE(h.total, 0) ORDER BY a.id"""
        for code, held, total in fetch_rows(sql, [HoldStatus.ACTIVE.value]):
            yield Violation(
                self.name,
                f"账户 {code}",
                f"缓存冻结 {format_fen(held)}，未处理冻结合计 {format_fen(total)}",
                {"account": code, "held_fen": held, "holds_fen": total},
            )
        sql = """
            SELECT h.uuid, h.status, h.amount_fen, h.captured_fen, e.total_fen,
                   (SELECT COUNT(*) FROM ledger_journalline l WHERE l.entry_id = e.id AND l.account_id = h.account_id)
            FROM ledger_hold h LEFT JOIN ledger_journalentry e ON e.id = h.capture_entry_id
            WHERE (h.status = %s AND (e.id IS NULL OR e.total_fen <> h.captured_fen OR h.captured_fen > h.amount_fen
                   OR (SELECT COUNT(*) FROM ledger_journalline l WHERE l.entry_id = e.id
                       AND l.account_id = h.account_id) <> 1))
               OR (h.status <> %s AND (h.capture_entry_id IS NOT NULL OR h.captured_fen <> 0))"""
        for hold_uuid, status, amount, captured, total, own_lines in fetch_rows(
            sql, [HoldStatus.CAPTURED.value, HoldStatus.CAPTURED.value]
        ):
            yield Violation(
                self.name,
                f"冻结 {_uuid_text(hold_uuid)}",
                f"状态 {status}，冻结 {format_fen(amount)}，入账 {format_fen(captured)}，"
                f"入账凭证金额 {format_fen(total) if total is not None else '无'}；"
                f"凭证中本账户分录 {own_lines or 0} 行",
                {"hold": _uuid_text(hold_uuid), "status": status},
            )
        overdue = self.count(
            "SELECT COUNT(*) FROM ledger_hold WHERE status = %s AND expires_at < %s",
            [HoldStatus.ACTIVE.value, timezone.now()],
        )
        if overdue:
            self.warnings.append(f"{overdue} 笔冻结已到期尚未解冻（由定时任务处理，不算差错）")


class PostingsMatchEntries(Check):
    name = "postings_match_entries"
    title = "每笔凭证有且仅有一条记账请求，请求指纹、应答与凭证一致"

    def run(self) -> Iterator[Violation]:
        for entry_id, entry_uuid in fetch_rows("""
                SELECT e.id, e.uuid FROM ledger_journalentry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
                WHERE p.id IS NULL ORDER BY e.id"""):
            yield Violation(
                self.name,
                f"凭证 #{entry_id}",
                "凭证没有对应的记账请求（幂等记录）",
                {"entry": _uuid_text(entry_uuid)},
            )
        entry_ops = {PostingOperation.POST.value, PostingOperation.CAPTURE.value}
        lines_by_entry = self._lines_by_entry()
        current_entry, current_lines = next(lines_by_entry, (None, []))
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT p.idempotency_key, p.operation, p.fingerprint, p.request, p.response, e.id, e.uuid,
                       e.total_fen
                FROM ledger_posting p LEFT JOIN ledger_journalentry e ON e.id = p.entry_id
                ORDER BY e.id, p.id""")
            while True:
                rows = cursor.fetchmany(5000)
                if not rows:
                    break
                for key, operation, fingerprint, request, response, entry_id, entry_uuid, total in rows:
                    self.checked += 1
                    request = json.loads(request) if isinstance(request, str) else request
                    response = json.loads(response) if isinstance(response, str) else response
                    subject = f"记账请求 {key}"
                    canonical = json.dumps(request, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                    if hashlib.sha256(canonical.encode("utf-8")).hexdigest() != fingerprint:
                        yield Violation(self.name, subject, "请求指纹与保存的请求不符", {"key": key})
                    if operation in entry_ops:
                        if entry_id is None:
                            yield Violation(self.name, subject, "记账请求没有凭证", {"key": key})
                            continue
                        if (
                            response.get("entry") != _uuid_text(entry_uuid)
                            or response.get("total_fen") != total
                        ):
                            yield Violation(
                                self.name,
                                subject,
                                "保存的应答与凭证不符",
                                {"key": key, "entry": _uuid_text(entry_uuid)},
                            )
                        while current_entry is not None and current_entry < entry_id:
                            current_entry, current_lines = next(lines_by_entry, (None, []))
                        actual = current_lines if current_entry == entry_id else []
                        if operation == PostingOperation.POST.value:
                            expected = sorted(tuple(x) for x in request.get("lines", []))
                        else:
                            expected = sorted(
                                (line["account"], line["side"], line["amount_fen"])
                                for line in response.get("lines", [])
                            )
                        if sorted(actual) != expected:
                            yield Violation(
                                self.name,
                                subject,
                                "凭证分录与记账请求不符",
                                {"key": key, "expected": expected, "actual": sorted(actual)},
                            )

    @staticmethod
    def _lines_by_entry() -> Iterator[tuple[int, list[tuple[str, str, int]]]]:
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT l.entry_id, a.code, l.side, l.amount_fen FROM ledger_journalline l
                JOIN ledger_account a ON a.id = l.account_id ORDER BY l.entry_id, l.id""")
            current: int | None = None
            lines: list[tuple[str, str, int]] = []
            while True:
                rows = cursor.fetchmany(10000)
                if not rows:
                    break
                for entry_id, code, side, amount in rows:
                    if entry_id != current:
                        if current is not None:
                            yield current, lines
                        current, lines = entry_id, []
                    lines.append((code, side, amount))
            if current is not None:
                yield current, lines


class TrialBalance(Check):
    name = "trial_balance"
    title = "试算平衡：借方余额合计等于贷方余额合计"

    def run(self) -> Iterator[Violation]:
        self.checked = 1
        debit_total = fetch_scalar(
            "SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_account WHERE normal_side = 'D'"
        )
        credit_total = fetch_scalar(
            "SELECT COALESCE(SUM(balance_fen), 0) FROM ledger_account WHERE normal_side = 'C'"
        )
        if debit_total != credit_total:
            yield Violation(
                self.name,
                "全部账户",
                f"借方余额合计 {format_fen(debit_total)}，贷方余额合计 {format_fen(credit_total)}",
                {"debit_fen": debit_total, "credit_fen": credit_total},
            )


CORE_CHECKS: list[type[Check]] = [
    EntriesBalance,
    BalancesMatchLines,
    RunningBalances,
    NothingNegative,
    HoldsMatch,
    PostingsMatchEntries,
    TrialBalance,
]


def all_checks(*, counting: bool = True) -> list[Check]:
    return [cls(counting) for cls in CORE_CHECKS] + [
        factory(counting) for _name, factory in reconcile_checks()
    ]


def _run_check(check: Check) -> CheckResult:
    started = time.perf_counter()
    result = CheckResult(check.name, check.title)
    for violation in check.run():
        result.count += 1
        if len(result.violations) < SAMPLE:
            result.violations.append(violation)
    result.checked = check.checked
    result.warnings = list(check.warnings)
    result.seconds = time.perf_counter() - started
    return result


def reconcile(*, only: Iterable[str] | None = None, counting: bool = True) -> Report:
    """Run every check (or those named in ``only``) in one read-only snapshot."""
    started_at = timezone.now()
    started = time.perf_counter()
    wanted = set(only) if only else None
    checks = [c for c in all_checks(counting=counting) if wanted is None or c.name in wanted]
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        results = [_run_check(check) for check in checks]
    return Report(started_at, results, time.perf_counter() - started)


def violations(**kwargs: Any) -> list[Violation]:
    """Every violation found (the samples), flattened: handy in tests."""
    return [v for r in reconcile(**kwargs).results for v in r.violations]


def quick_counts() -> dict[str, int]:
    """The core invariants as violation counts, in one statement (for checks after every step of a property
    test or a frequent health probe): unbalanced entries, cached balances or line counts that differ
    from the lines, negative or over-held accounts, held amounts that differ from the active holds."""
    non_negative = _non_negative_kinds_sql()
    sql = f"""
        SELECT
          (SELECT COUNT(*) FROM (
              SELECT e.id FROM ledger_journalentry e LEFT JOIN ledger_journalline l ON l.entry_id = e.id
              GROUP BY e.id, e.total_fen, e.line_count
              HAVING COALESCE(SUM(CASE WHEN l.side = 'D' THEN l.amount_fen ELSE -l.amount_fen END), 0) <> 0
                  OR COALESCE(SUM(CASE WHEN l.side = 'D' THEN l.amount_fen ELSE 0 END), 0) <> e.total_fen
                  OR COUNT(l.id) <> e.line_count) x),
          (SELECT COUNT(*) FROM ledger_account a LEFT JOIN (
              SELECT l.account_id, COUNT(*) AS n,
                     SUM(CASE WHEN l.side = a2.normal_side THEN l.amount_fen ELSE -l.amount_fen END) AS total
              FROM ledger_journalline l JOIN ledger_account a2 ON a2.id = l.account_id GROUP BY l.account_id
          ) s ON s.account_id = a.id
           WHERE a.balance_fen <> COALESCE(s.total, 0) OR a.line_count <> COALESCE(s.n, 0)),
          (SELECT COUNT(*) FROM ledger_account WHERE held_fen < 0 OR (kind IN ({non_negative})
                                                  AND (balance_fen < 0 OR balance_fen < held_fen))),
          (SELECT COUNT(*) FROM ledger_account a LEFT JOIN (
              SELECT account_id, SUM(amount_fen) AS total FROM ledger_hold WHERE status = 'active'
              GROUP BY account_id) h ON h.account_id = a.id
           WHERE a.held_fen <> COALESCE(h.total, 0))"""  # noqa: S608 - built from constants, no input
    row = fetch_rows(sql)[0]
    return dict(
        zip(
            ["entries_balance", "balances_match_lines", "nothing_negative", "holds_match"],
            (int(v) for v in row),
            strict=True,
        )
    )
