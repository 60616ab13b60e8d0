"""The only writer of the ledger.

Every write takes an idempotency key. Its steps, in one transaction:

1. If a posting with this key exists, answer from it: the stored answer when the request is the same
   (a replay), a refusal when it is not (:class:`IdempotencyConflict`). Nothing is written.
2. Otherwise take a transaction-scoped lock on the key (PostgreSQL advisory lock; SQLite's IMMEDIATE
   transactions already serialise writers) and look again: a concurrent twin may just have committed.
3. Lock the rows involved in one fixed order — the hold first, then the accounts by primary key
   (``SELECT … FOR UPDATE … ORDER BY id``) — so two postings never wait for each other in a cycle.
4. Check (balanced, enough available balance, hold still active), then write the entry, its lines with
   the running balance, the cached balances, the posting with its answer, and the audit record.

The whole transaction is retried a bounded number of times on a serialization failure or a deadlock
(:mod:`kechuang.ledger.retry`); the database's CHECK and UNIQUE constraints are the last line of defence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.money import MAX_FEN

from .choices import NORMAL_SIDE, AccountKind, HoldStatus, PostingOperation, Side
from .errors import (
    DuplicateBusinessReference,
    HoldNotActive,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidPosting,
)
from .models import Account, Hold, JournalEntry, JournalLine, Posting
from .retry import run_with_retry

MAX_KEY_LENGTH = 160
MAX_LINES = 50
_ADVISORY_NAMESPACE = 0x4C47  # "LG": the ledger's half of PostgreSQL's two-key advisory lock space

# Test hook: called with (stage, idempotency_key) at fixed points inside the posting transaction, so a
# crash test can kill the process mid-posting. Always None in production.
_test_hook: Callable[[str, str], None] | None = None


@dataclass(frozen=True)
class Line:
    """One requested line: ``amount_fen`` on ``side`` of ``account`` (an Account or its code)."""

    account: Account | str
    side: str
    amount_fen: int

    @property
    def code(self) -> str:
        return self.account.code if isinstance(self.account, Account) else str(self.account)


def debit(account: Account | str, amount_fen: int) -> Line:
    return Line(account, Side.DEBIT, amount_fen)


def credit(account: Account | str, amount_fen: int) -> Line:
    return Line(account, Side.CREDIT, amount_fen)


@dataclass(frozen=True)
class PostingResult:
    """The answer to a ledger write. ``response`` is what is stored and replayed, byte for byte;
    ``replayed`` tells whether this call wrote anything."""

    idempotency_key: str
    operation: str
    response: dict[str, Any]
    replayed: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def entry_uuid(self) -> str | None:
        return self.response.get("entry")

    @property
    def hold_uuid(self) -> str | None:
        return self.response.get("hold")

    def balance_after(self, account_code: str) -> int | None:
        for line in self.response.get("lines", []):
            if line["account"] == account_code:
                return int(line["balance_after_fen"])
        return None


# --- helpers ------------------------------------------------------------------------------------------


def _hook(stage: str, key: str) -> None:
    if _test_hook is not None:
        _test_hook(stage, key)


def _clean_key(key: str) -> str:
    key = (key or "").strip()
    if not key:
        raise InvalidPosting(_("缺少幂等键。"), code="missing_key")
    if len(key) > MAX_KEY_LENGTH or any(ord(c) < 32 for c in key):
        raise InvalidPosting(
            _("幂等键无效：不超过 %(n)s 个字符，不含控制字符。") % {"n": MAX_KEY_LENGTH}, code="bad_key"
        )
    return key


def _clean_amount(amount: Any) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidPosting(_("金额必须是以分为单位的整数。"), code="bad_amount")
    if amount <= 0:
        raise InvalidPosting(_("金额必须大于零。"), code="zero_amount")
    if amount > MAX_FEN:
        raise InvalidPosting(_("金额过大。"), code="amount_too_large")
    return amount


def _clean_text(value: str, limit: int) -> str:
    value = (value or "").replace("\x00", "")
    return value[:limit]


def _fingerprint(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _normalise_lines(lines: Iterable[Line]) -> list[tuple[str, str, int]]:
    specs: list[tuple[str, str, int]] = []
    for line in lines:
        if line.side not in (Side.DEBIT, Side.CREDIT):
            raise InvalidPosting(_("借贷方向无效。"), code="bad_side")
        specs.append((line.code, str(line.side), _clean_amount(line.amount_fen)))
    if len(specs) < 2:
        raise InvalidPosting(_("一笔凭证至少需要两行分录。"), code="too_few_lines")
    if len(specs) > MAX_LINES:
        raise InvalidPosting(_("一笔凭证的分录行数过多。"), code="too_many_lines")
    codes = [code for code, _side, _amount in specs]
    if len(set(codes)) != len(codes):
        raise InvalidPosting(_("同一账户在一笔凭证中只能出现一次。"), code="duplicate_account")
    debits = sum(a for _c, s, a in specs if s == Side.DEBIT)
    credits = sum(a for _c, s, a in specs if s == Side.CREDIT)
    if debits != credits:
        raise InvalidPosting(
            _("借贷不平衡：借方 %(d)s 分，贷方 %(c)s 分。") % {"d": debits, "c": credits}, code="unbalanced"
        )
    return sorted(specs)


def _lock_key(key: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_ADVISORY_NAMESPACE, key])


def _lock_accounts(codes: Sequence[str]) -> dict[str, Account]:
    """The accounts, locked in primary-key order."""
    accounts = list(Account.objects.select_for_update().filter(code__in=set(codes)).order_by("pk"))
    found = {account.code: account for account in accounts}
    missing = sorted(set(codes) - set(found))
    if missing:
        raise InvalidPosting(
            _("账户不存在：%(codes)s") % {"codes": "、".join(missing)}, code="unknown_account"
        )
    return found


def _canonical(response: dict[str, Any]) -> dict[str, Any]:
    """The answer in one fixed shape (keys sorted), so a replay is identical to the first answer even
    though the database stores JSON with its own key order."""
    return json.loads(json.dumps(response, ensure_ascii=False, sort_keys=True))  # type: ignore[no-any-return]


def _replay(key: str, fingerprint: str) -> PostingResult | None:
    posting = Posting.objects.filter(idempotency_key=key).only("fingerprint", "response", "operation").first()
    if posting is None:
        return None
    if posting.fingerprint != fingerprint:
        raise IdempotencyConflict(key)
    return PostingResult(key, posting.operation, _canonical(posting.response), replayed=True)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _after_integrity_error(
    key: str, fingerprint: str, business_reference: str | None, error: IntegrityError
) -> PostingResult:
    replay = _replay(key, fingerprint)
    if replay is not None:
        return replay
    if business_reference and JournalEntry.objects.filter(business_reference=business_reference).exists():
        raise DuplicateBusinessReference(business_reference) from error
    raise error


def _write_entry(
    *,
    key: str,
    actor: Any,
    accounts: dict[str, Account],
    specs: Sequence[tuple[str, str, int]],
    kind: str,
    memo: str,
    reference: str,
    business_reference: str | None,
    posted_at: dt.datetime | None,
    released: dict[str, int] | None = None,
) -> tuple[JournalEntry, list[dict[str, Any]]]:
    """Check every line against the locked accounts, then write the entry, its lines and the balances.
    ``released`` is held money freed in the same step (a captured hold), by account code."""
    released = released or {}
    new_balances: dict[str, int] = {}
    for code, side, amount in specs:
        account = accounts[code]
        balance = account.balance_fen + account.signed(side, amount)
        held = account.held_fen - released.get(code, 0)
        if account.must_not_go_negative and balance < held:
            raise InsufficientFunds(code, available_fen=account.balance_fen - held, requested_fen=amount)
        new_balances[code] = balance
    entry = JournalEntry.objects.create(
        kind=kind,
        memo=memo,
        reference=reference,
        business_reference=business_reference,
        total_fen=sum(a for _c, s, a in specs if s == Side.DEBIT),
        line_count=len(specs),
        posted_at=posted_at or timezone.now(),
        created_by=_user(actor),
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(
                entry=entry,
                account=accounts[code],
                side=side,
                amount_fen=amount,
                balance_after_fen=new_balances[code],
            )
            for code, side, amount in specs
        ]
    )
    _hook("after_lines", key)
    changed = []
    for code, _side, _amount in specs:
        account = accounts[code]
        account.balance_fen = new_balances[code]
        account.held_fen -= released.get(code, 0)
        account.line_count += 1
        changed.append(account)
    Account.objects.bulk_update(changed, ["balance_fen", "held_fen", "line_count"])
    lines = [
        {"account": code, "side": side, "amount_fen": amount, "balance_after_fen": new_balances[code]}
        for code, side, amount in specs
    ]
    return entry, lines


def _entry_response(entry: JournalEntry, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "entry": str(entry.uuid),
        "number": entry.number,
        "kind": entry.kind,
        "memo": entry.memo,
        "reference": entry.reference,
        "business_reference": entry.business_reference,
        "total_fen": entry.total_fen,
        "posted_at": entry.posted_at.isoformat(),
        "lines": lines,
    }


# --- accounts -----------------------------------------------------------------------------------------


def account_open(
    *, code: str, name: str, kind: str, normal_side: str | None = None, group: str = "", reference: str = ""
) -> Account:
    """The account with ``code``, created empty if it does not exist (safe to call concurrently)."""
    if kind not in AccountKind.values:
        raise InvalidPosting(_("账户类别无效。"), code="bad_kind")
    side = NORMAL_SIDE.get(kind) or normal_side or Side.DEBIT  # type: ignore[call-overload]
    if normal_side and normal_side != side:
        raise InvalidPosting(_("账户类别与余额方向不符。"), code="bad_side")
    account, _created = Account.objects.get_or_create(
        code=code,
        defaults={
            "name": name[:160],
            "kind": kind,
            "normal_side": side,
            "group": group[:60],
            "reference": reference[:60],
        },
    )
    if account.kind != kind:
        raise InvalidPosting(_("账户 %(code)s 已存在且类别不同。") % {"code": code}, code="kind_mismatch")
    return account


# --- postings -----------------------------------------------------------------------------------------


def post(
    *,
    actor: Any,
    idempotency_key: str,
    lines: Iterable[Line],
    memo: str,
    kind: str = "manual",
    reference: str = "",
    business_reference: str | None = None,
    posted_at: dt.datetime | None = None,
) -> PostingResult:
    """Post one balanced entry. Replaying the same key with the same request returns the first answer;
    the same key with a different request raises :class:`IdempotencyConflict`; nothing is written when
    any check fails (:class:`InsufficientFunds` says "余额不足")."""
    key = _clean_key(idempotency_key)
    specs = _normalise_lines(lines)
    memo = _clean_text(memo, 200) or kind
    kind = _clean_text(kind, 40)
    reference = _clean_text(reference, 60)
    business_reference = _clean_text(business_reference, 120) or None if business_reference else None
    request = {
        "operation": PostingOperation.POST.value,
        "kind": kind,
        "memo": memo,
        "reference": reference,
        "business_reference": business_reference,
        "lines": [list(s) for s in specs],
    }
    fingerprint = _fingerprint(request)

    def once() -> PostingResult:
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        _lock_key(key)
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        try:
            with transaction.atomic():
                accounts = _lock_accounts([code for code, _s, _a in specs])
                _hook("locked", key)
                entry, out_lines = _write_entry(
                    key=key,
                    actor=actor,
                    accounts=accounts,
                    specs=specs,
                    kind=kind,
                    memo=memo,
                    reference=reference,
                    business_reference=business_reference,
                    posted_at=posted_at,
                )
                response = _entry_response(entry, out_lines)
                Posting.objects.create(
                    idempotency_key=key,
                    operation=PostingOperation.POST,
                    fingerprint=fingerprint,
                    request=request,
                    response=response,
                    entry=entry,
                    created_by=_user(actor),
                )
                _hook("after_posting", key)
        except IntegrityError as error:
            return _after_integrity_error(key, fingerprint, business_reference, error)
        audit.record(
            "ledger.post",
            actor=actor,
            object_type="ledger.journalentry",
            object_id=str(entry.uuid),
            object_repr=f"{entry.number} {memo}"[:200],
            detail={"key": key, "kind": kind, "total_fen": entry.total_fen, "lines": out_lines},
        )
        return PostingResult(key, PostingOperation.POST, _canonical(response))

    return run_with_retry(once)


def transfer(
    *,
    actor: Any,
    idempotency_key: str,
    source: Account | str,
    destination: Account | str,
    amount_fen: int,
    memo: str,
    kind: str = "transfer",
    reference: str = "",
    business_reference: str | None = None,
) -> PostingResult:
    """Move ``amount_fen`` from ``source`` to ``destination`` (both of the same balance side): the source's
    balance goes down, the destination's up."""
    src, dst = _sides_of([source, destination])
    return post(
        actor=actor,
        idempotency_key=idempotency_key,
        memo=memo,
        kind=kind,
        reference=reference,
        business_reference=business_reference,
        lines=[Line(src[0], _opposite(src[1]), amount_fen), Line(dst[0], dst[1], amount_fen)],
    )


def _opposite(side: str) -> str:
    return Side.CREDIT if side == Side.DEBIT else Side.DEBIT


def _sides_of(accounts: Sequence[Account | str]) -> list[tuple[str, str]]:
    codes = [a.code if isinstance(a, Account) else str(a) for a in accounts]
    sides = dict(Account.objects.filter(code__in=codes).values_list("code", "normal_side"))
    missing = [c for c in codes if c not in sides]
    if missing:
        raise InvalidPosting(
            _("账户不存在：%(codes)s") % {"codes": "、".join(missing)}, code="unknown_account"
        )
    return [(c, sides[c]) for c in codes]


# --- holds --------------------------------------------------------------------------------------------


def _hold_response(hold: Hold, account: Account) -> dict[str, Any]:
    return {
        "hold": str(hold.uuid),
        "status": hold.status,
        "account": account.code,
        "amount_fen": hold.amount_fen,
        "captured_fen": hold.captured_fen,
        "held_after_fen": account.held_fen,
        "balance_after_fen": account.balance_fen,
        "expires_at": hold.expires_at.isoformat() if hold.expires_at else None,
    }


def _lock_hold(hold: Hold | str) -> Hold:
    hold_uuid = hold.uuid if isinstance(hold, Hold) else hold
    locked = Hold.objects.select_for_update().filter(uuid=hold_uuid).first()
    if locked is None:
        raise InvalidPosting(_("冻结记录不存在。"), code="unknown_hold")
    return locked


def hold_place(
    *,
    actor: Any,
    idempotency_key: str,
    account: Account | str,
    amount_fen: int,
    memo: str = "",
    reference: str = "",
    expires_at: dt.datetime | None = None,
) -> PostingResult:
    """Set ``amount_fen`` of the account's available balance aside (an authorisation)."""
    key = _clean_key(idempotency_key)
    amount = _clean_amount(amount_fen)
    code = account.code if isinstance(account, Account) else str(account)
    memo = _clean_text(memo, 200)
    reference = _clean_text(reference, 60)
    request = {
        "operation": PostingOperation.HOLD.value,
        "account": code,
        "amount_fen": amount,
        "memo": memo,
        "reference": reference,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }
    fingerprint = _fingerprint(request)

    def once() -> PostingResult:
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        _lock_key(key)
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        try:
            with transaction.atomic():
                locked = _lock_accounts([code])[code]
                if locked.must_not_go_negative and locked.available_fen < amount:
                    raise InsufficientFunds(code, available_fen=locked.available_fen, requested_fen=amount)
                hold = Hold.objects.create(
                    account=locked, amount_fen=amount, memo=memo, reference=reference, expires_at=expires_at
                )
                locked.held_fen += amount
                locked.save(update_fields=["held_fen"])
                response = _hold_response(hold, locked)
                Posting.objects.create(
                    idempotency_key=key,
                    operation=PostingOperation.HOLD,
                    fingerprint=fingerprint,
                    request=request,
                    response=response,
                    hold=hold,
                    created_by=_user(actor),
                )
        except IntegrityError as error:
            return _after_integrity_error(key, fingerprint, None, error)
        audit.record(
            "ledger.hold",
            actor=actor,
            object_type="ledger.hold",
            object_id=str(hold.uuid),
            object_repr=memo,
            detail={"key": key, "account": code, "amount_fen": amount},
        )
        return PostingResult(key, PostingOperation.HOLD, _canonical(response))

    return run_with_retry(once)


def hold_capture(
    *,
    actor: Any,
    idempotency_key: str,
    hold: Hold | str,
    destination: Account | str,
    amount_fen: int | None = None,
    memo: str,
    kind: str = "capture",
    reference: str = "",
    business_reference: str | None = None,
) -> PostingResult:
    """Post a held amount (or less: the rest is released) from the hold's account to ``destination``."""
    key = _clean_key(idempotency_key)
    hold_uuid = str(hold.uuid if isinstance(hold, Hold) else hold)
    destination_code = destination.code if isinstance(destination, Account) else str(destination)
    memo = _clean_text(memo, 200) or kind
    kind = _clean_text(kind, 40)
    reference = _clean_text(reference, 60)
    request = {
        "operation": PostingOperation.CAPTURE.value,
        "hold": hold_uuid,
        "destination": destination_code,
        "amount_fen": amount_fen,
        "memo": memo,
        "kind": kind,
        "reference": reference,
        "business_reference": business_reference,
    }
    fingerprint = _fingerprint(request)
    if amount_fen is not None:
        _clean_amount(amount_fen)

    def once() -> PostingResult:
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        _lock_key(key)
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        try:
            with transaction.atomic():
                locked_hold = _lock_hold(hold_uuid)
                if locked_hold.status != HoldStatus.ACTIVE:
                    raise HoldNotActive(locked_hold.get_status_display())
                amount = locked_hold.amount_fen if amount_fen is None else amount_fen
                if amount > locked_hold.amount_fen:
                    raise InvalidPosting(_("入账金额不能超过冻结金额。"), code="capture_exceeds_hold")
                source_code = (
                    Account.objects.filter(pk=locked_hold.account_id).values_list("code", flat=True).get()
                )
                if source_code == destination_code:
                    raise InvalidPosting(_("入账账户不能是被冻结的账户本身。"), code="same_account")
                accounts = _lock_accounts([source_code, destination_code])
                source = accounts[source_code]
                dest = accounts[destination_code]
                specs = sorted(
                    [
                        (source_code, _opposite(source.normal_side), amount),
                        (destination_code, dest.normal_side, amount),
                    ]
                )
                if source.normal_side != dest.normal_side:
                    raise InvalidPosting(_("两个账户余额方向不同，不能直接划转。"), code="unbalanced")
                entry, out_lines = _write_entry(
                    key=key,
                    actor=actor,
                    accounts=accounts,
                    specs=specs,
                    kind=kind,
                    memo=memo,
                    reference=reference,
                    business_reference=business_reference,
                    posted_at=None,
                    released={source_code: locked_hold.amount_fen},
                )
                locked_hold.status = HoldStatus.CAPTURED
                locked_hold.captured_fen = amount
                locked_hold.capture_entry = entry
                locked_hold.resolved_at = timezone.now()
                locked_hold.save(update_fields=["status", "captured_fen", "capture_entry", "resolved_at"])
                response = _entry_response(entry, out_lines)
                response.update(
                    hold=hold_uuid,
                    released_fen=locked_hold.amount_fen - amount,
                    held_after_fen=source.held_fen,
                )
                Posting.objects.create(
                    idempotency_key=key,
                    operation=PostingOperation.CAPTURE,
                    fingerprint=fingerprint,
                    request=request,
                    response=response,
                    entry=entry,
                    hold=locked_hold,
                    created_by=_user(actor),
                )
        except IntegrityError as error:
            return _after_integrity_error(key, fingerprint, business_reference, error)
        audit.record(
            "ledger.capture",
            actor=actor,
            object_type="ledger.journalentry",
            object_id=str(entry.uuid),
            object_repr=f"{entry.number} {memo}"[:200],
            detail={"key": key, "hold": hold_uuid, "total_fen": amount, "lines": out_lines},
        )
        return PostingResult(key, PostingOperation.CAPTURE, _canonical(response))

    return run_with_retry(once)


def _release(
    *,
    actor: Any,
    idempotency_key: str,
    hold: Hold | str,
    operation: str,
    reason: str,
    now: dt.datetime | None = None,
) -> PostingResult:
    key = _clean_key(idempotency_key)
    hold_uuid = str(hold.uuid if isinstance(hold, Hold) else hold)
    reason = _clean_text(reason, 200)
    request = {"operation": operation, "hold": hold_uuid, "reason": reason}
    fingerprint = _fingerprint(request)
    status = HoldStatus.VOIDED if operation == PostingOperation.VOID else HoldStatus.EXPIRED

    def once() -> PostingResult:
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        _lock_key(key)
        replay = _replay(key, fingerprint)
        if replay is not None:
            return replay
        try:
            with transaction.atomic():
                locked_hold = _lock_hold(hold_uuid)
                if locked_hold.status != HoldStatus.ACTIVE:
                    raise HoldNotActive(locked_hold.get_status_display())
                if status == HoldStatus.EXPIRED and (
                    locked_hold.expires_at is None or locked_hold.expires_at > (now or timezone.now())
                ):
                    raise InvalidPosting(_("该笔冻结尚未到期。"), code="not_expired")
                account = Account.objects.select_for_update().get(pk=locked_hold.account_id)
                account.held_fen -= locked_hold.amount_fen
                account.save(update_fields=["held_fen"])
                locked_hold.status = status
                locked_hold.resolved_at = timezone.now()
                locked_hold.save(update_fields=["status", "resolved_at"])
                response = _hold_response(locked_hold, account)
                Posting.objects.create(
                    idempotency_key=key,
                    operation=operation,
                    fingerprint=fingerprint,
                    request=request,
                    response=response,
                    hold=locked_hold,
                    created_by=_user(actor),
                )
        except IntegrityError as error:
            return _after_integrity_error(key, fingerprint, None, error)
        audit.record(
            f"ledger.{operation}",
            actor=actor,
            object_type="ledger.hold",
            object_id=hold_uuid,
            object_repr=reason or locked_hold.memo,
            detail={"key": key, "account": account.code, "amount_fen": locked_hold.amount_fen},
        )
        return PostingResult(key, operation, _canonical(response))

    return run_with_retry(once)


def hold_void(*, actor: Any, idempotency_key: str, hold: Hold | str, reason: str = "") -> PostingResult:
    """Release an active hold in full; its money is available again."""
    return _release(
        actor=actor,
        idempotency_key=idempotency_key,
        hold=hold,
        operation=PostingOperation.VOID,
        reason=reason,
    )


def hold_expire(*, actor: Any, hold: Hold | str, now: dt.datetime | None = None) -> PostingResult:
    """Release an active hold whose time has run out (the key is the hold's own, so reruns are replays)."""
    hold_uuid = str(hold.uuid if isinstance(hold, Hold) else hold)
    return _release(
        actor=actor,
        idempotency_key=f"ledger.hold-expire:{hold_uuid}",
        hold=hold_uuid,
        operation=PostingOperation.EXPIRE,
        reason=_("冻结到期自动解冻"),
        now=now,
    )


def holds_expire_due(*, actor: Any = None, now: dt.datetime | None = None, limit: int = 10_000) -> int:
    """Expire every active hold past its time, each in its own transaction. Returns how many."""
    now = now or timezone.now()
    due = list(
        Hold.objects.filter(status=HoldStatus.ACTIVE, expires_at__lte=now)
        .order_by("pk")
        .values_list("uuid", flat=True)[:limit]
    )
    done = 0
    for hold_uuid in due:
        try:
            result = hold_expire(actor=actor, hold=str(hold_uuid), now=now)
        except HoldNotActive:
            continue  # captured or voided meanwhile
        done += 0 if result.replayed else 1
    return done
