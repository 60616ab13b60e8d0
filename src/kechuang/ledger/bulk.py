"""Bulk writing of a ledger history (demo data, migrations from another system): many entries at once,
with exactly what :mod:`kechuang.ledger.services` would have written for each — balanced lines, the
running balance after each line, cached balances and line counts, holds, and an idempotency record
whose fingerprint and stored answer the reconciliation can check.

It is not for live postings: it takes no locks and assumes nobody else writes the same accounts while
it runs (a demo load, an import into an empty ledger). Entries are written in the order they were
queued, so each account's lines keep their order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .choices import NORMAL_SIDE, AccountKind, HoldStatus, PostingOperation, Side
from .models import Account, Hold, JournalEntry, JournalLine, Posting
from .services import _canonical, _fingerprint

BATCH = 2000


@dataclass
class QueuedEntry:
    key: str
    kind: str
    memo: str
    reference: str
    business_reference: str | None
    lines: list[tuple[str, str, int]]
    posted_at: dt.datetime
    operation: str = PostingOperation.POST.value
    hold: QueuedHold | None = None
    uuid: uuid.UUID = field(default_factory=uuid.uuid4)
    pk: int | None = None
    balances_after: dict[str, int] = field(default_factory=dict)


@dataclass
class QueuedHold:
    account: str
    amount_fen: int
    status: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None
    memo: str = ""
    reference: str = ""
    capture: QueuedEntry | None = None
    captured_fen: int = 0
    uuid: uuid.UUID = field(default_factory=uuid.uuid4)
    pk: int | None = None


class BulkJournal:
    """Queue accounts, entries and holds, then :meth:`flush` them in a few large statements."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self._new_accounts: list[Account] = []
        self.balance: dict[str, int] = {}
        self.held: dict[str, int] = {}
        self.line_count: dict[str, int] = {}
        self._entries: list[QueuedEntry] = []
        self._holds: list[QueuedHold] = []
        self.totals = {"entries": 0, "lines": 0, "holds": 0, "accounts": 0}

    # --- queueing -------------------------------------------------------------------------------------

    def account(self, code: str, *, name: str, kind: str, group: str = "", reference: str = "") -> str:
        if code not in self.accounts:
            existing = Account.objects.filter(code=code).first()
            if existing is None:
                existing = Account(
                    code=code,
                    name=name[:160],
                    kind=kind,
                    normal_side=NORMAL_SIDE[kind],  # type: ignore[index]
                    group=group[:60],
                    reference=reference[:60],
                )
                self._new_accounts.append(existing)
            self.accounts[code] = existing
            self.balance[code] = existing.balance_fen
            self.held[code] = existing.held_fen
            self.line_count[code] = existing.line_count
        return code

    def _apply(self, lines: list[tuple[str, str, int]]) -> dict[str, int]:
        after = {}
        for code, side, amount in lines:
            account = self.accounts[code]
            self.balance[code] += amount if side == account.normal_side else -amount
            self.line_count[code] += 1
            if account.kind != AccountKind.EXTERNAL and self.balance[code] < self.held[code]:
                raise ValueError(f"bulk posting would overdraw {code}")
            after[code] = self.balance[code]
        return after

    def post(
        self,
        *,
        key: str,
        kind: str,
        memo: str,
        lines: list[tuple[str, str, int]],
        posted_at: dt.datetime,
        reference: str = "",
        business_reference: str | None = None,
    ) -> QueuedEntry:
        specs = sorted(lines)
        debit = sum(a for _c, s, a in specs if s == Side.DEBIT)
        if debit != sum(a for _c, s, a in specs if s == Side.CREDIT) or debit <= 0 or len(specs) < 2:
            raise ValueError(f"unbalanced bulk entry {key}")
        entry = QueuedEntry(key, kind[:40], memo[:200], reference[:60], business_reference, specs, posted_at)
        entry.balances_after = self._apply(specs)
        self._entries.append(entry)
        return entry

    def transfer(
        self, *, key: str, source: str, destination: str, amount_fen: int, **kwargs: Any
    ) -> QueuedEntry:
        src, dst = self.accounts[source], self.accounts[destination]
        opposite = Side.CREDIT if src.normal_side == Side.DEBIT else Side.DEBIT
        return self.post(
            key=key,
            lines=[(source, opposite, amount_fen), (destination, dst.normal_side, amount_fen)],
            **kwargs,
        )

    def hold(
        self, *, account: str, amount_fen: int, created_at: dt.datetime, memo: str = "", reference: str = ""
    ) -> QueuedHold:
        if self.balance[account] - self.held[account] < amount_fen:
            raise ValueError(f"bulk hold would overdraw {account}")
        hold = QueuedHold(
            account, amount_fen, HoldStatus.ACTIVE, created_at, memo=memo[:200], reference=reference[:60]
        )
        self.held[account] += amount_fen
        self._holds.append(hold)
        return hold

    def release(self, hold: QueuedHold, *, at: dt.datetime, status: str = HoldStatus.VOIDED) -> None:
        assert hold.status == HoldStatus.ACTIVE
        self.held[hold.account] -= hold.amount_fen
        hold.status, hold.resolved_at = status, at

    def capture(
        self,
        hold: QueuedHold,
        *,
        key: str,
        destination: str,
        kind: str,
        memo: str,
        reference: str,
        at: dt.datetime,
        amount_fen: int | None = None,
    ) -> QueuedEntry:
        assert hold.status == HoldStatus.ACTIVE
        amount = hold.amount_fen if amount_fen is None else amount_fen
        self.held[hold.account] -= hold.amount_fen
        entry = self.transfer(
            key=key,
            source=hold.account,
            destination=destination,
            amount_fen=amount,
            kind=kind,
            memo=memo,
            reference=reference,
            posted_at=at,
        )
        entry.operation, entry.hold = PostingOperation.CAPTURE.value, hold
        hold.status, hold.resolved_at, hold.capture, hold.captured_fen = (
            HoldStatus.CAPTURED,
            at,
            entry,
            amount,
        )
        return entry

    # --- writing --------------------------------------------------------------------------------------

    def _request_and_response(self, entry: QueuedEntry) -> tuple[dict[str, Any], dict[str, Any]]:
        lines = [
            {"account": c, "side": s, "amount_fen": a, "balance_after_fen": entry.balances_after[c]}
            for c, s, a in entry.lines
        ]
        total = sum(a for _c, s, a in entry.lines if s == Side.DEBIT)
        response = {
            "entry": str(entry.uuid),
            "number": f"JZ{timezone.localtime(entry.posted_at):%Y%m}-{entry.pk:07d}",
            "kind": entry.kind,
            "memo": entry.memo,
            "reference": entry.reference,
            "business_reference": entry.business_reference,
            "total_fen": total,
            "posted_at": entry.posted_at.isoformat(),
            "lines": lines,
        }
        if entry.operation == PostingOperation.CAPTURE and entry.hold is not None:
            hold = entry.hold
            destination = next(c for c, _s, _a in entry.lines if c != hold.account)
            request = {
                "operation": PostingOperation.CAPTURE.value,
                "hold": str(hold.uuid),
                "destination": destination,
                "amount_fen": hold.captured_fen,
                "memo": entry.memo,
                "kind": entry.kind,
                "reference": entry.reference,
                "business_reference": entry.business_reference,
            }
            response.update(
                hold=str(hold.uuid), released_fen=hold.amount_fen - hold.captured_fen, held_after_fen=None
            )
        else:
            request = {
                "operation": PostingOperation.POST.value,
                "kind": entry.kind,
                "memo": entry.memo,
                "reference": entry.reference,
                "business_reference": entry.business_reference,
                "lines": [list(spec) for spec in entry.lines],
            }
        return request, _canonical(response)

    @transaction.atomic
    def flush(self, *, actor: Any = None) -> dict[str, int]:
        """Write everything queued since the last flush."""
        if self._new_accounts:
            Account.objects.bulk_create(self._new_accounts, batch_size=BATCH)
            for account in self._new_accounts:
                if account.pk is None:  # databases that do not return keys from bulk inserts
                    account.pk = Account.objects.values_list("pk", flat=True).get(code=account.code)
            self.totals["accounts"] += len(self._new_accounts)
            self._new_accounts = []
        entries, holds = self._entries, self._holds
        for start in range(0, len(entries), BATCH):
            chunk = entries[start : start + BATCH]
            rows = JournalEntry.objects.bulk_create(
                [
                    JournalEntry(
                        uuid=e.uuid,
                        kind=e.kind,
                        memo=e.memo,
                        reference=e.reference,
                        business_reference=e.business_reference,
                        line_count=len(e.lines),
                        total_fen=sum(a for _c, s, a in e.lines if s == Side.DEBIT),
                        posted_at=e.posted_at,
                        created_by=actor,
                    )
                    for e in chunk
                ]
            )
            for queued, row in zip(chunk, rows, strict=True):
                queued.pk = row.pk
            JournalLine.objects.bulk_create(
                [
                    JournalLine(
                        entry_id=e.pk,
                        account_id=self.accounts[c].pk,
                        side=s,
                        amount_fen=a,
                        balance_after_fen=e.balances_after[c],
                    )
                    for e in chunk
                    for c, s, a in e.lines
                ],
                batch_size=BATCH,
            )
        created_holds = Hold.objects.bulk_create(
            [
                Hold(
                    uuid=h.uuid,
                    account_id=self.accounts[h.account].pk,
                    amount_fen=h.amount_fen,
                    status=h.status,
                    captured_fen=h.captured_fen,
                    capture_entry_id=h.capture.pk if h.capture else None,
                    memo=h.memo,
                    reference=h.reference,
                    created_at=h.created_at,
                    resolved_at=h.resolved_at,
                )
                for h in holds
            ],
            batch_size=BATCH,
        )
        for queued_hold, row in zip(holds, created_holds, strict=True):
            queued_hold.pk = row.pk
        postings = []
        for e in entries:
            request, response = self._request_and_response(e)
            postings.append(
                Posting(
                    idempotency_key=e.key,
                    operation=e.operation,
                    fingerprint=_fingerprint(request),
                    request=request,
                    response=response,
                    entry_id=e.pk,
                    hold_id=e.hold.pk if e.hold else None,
                    created_by=actor,
                    created_at=e.posted_at,
                )
            )
        Posting.objects.bulk_create(postings, batch_size=BATCH)
        touched = [
            account
            for code, account in self.accounts.items()
            if (account.balance_fen, account.held_fen, account.line_count)
            != (self.balance[code], self.held[code], self.line_count[code])
        ]
        for account in touched:
            account.balance_fen = self.balance[account.code]
            account.held_fen = self.held[account.code]
            account.line_count = self.line_count[account.code]
        Account.objects.bulk_update(touched, ["balance_fen", "held_fen", "line_count"], batch_size=BATCH)
        written = {"entries": len(entries), "lines": sum(len(e.lines) for e in entries), "holds": len(holds)}
        for key, value in written.items():
            self.totals[key] += value
        self._entries, self._holds = [], []
        return written
