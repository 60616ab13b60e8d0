"""Helpers for the ledger tests: open accounts, fund them, spend from them."""

from __future__ import annotations

import itertools
from typing import Any

from kechuang.ledger import services as ledger
from kechuang.ledger.choices import AccountKind
from kechuang.ledger.models import Account

_keys = itertools.count(1)


def next_key(prefix: str = "test") -> str:
    return f"{prefix}:{next(_keys)}"


def open_account(code: str, kind: str = AccountKind.LIABILITY, **kwargs: Any) -> Account:
    return ledger.account_open(code=code, name=code, kind=kind, **kwargs)


def fund(account: Account | str, amount_fen: int, *, source: str = "world") -> ledger.PostingResult:
    """Credit ``amount_fen`` to a liability account from the external ``world`` account."""
    open_account(source, AccountKind.EXTERNAL, normal_side="C")
    return ledger.post(
        actor=None,
        idempotency_key=next_key("fund"),
        memo="注资",
        kind="test.fund",
        lines=[ledger.debit(source, amount_fen), ledger.credit(account, amount_fen)],
    )


def spend(
    account: Account | str, amount_fen: int, *, key: str | None = None, sink: str = "sink", memo: str = "支出"
) -> ledger.PostingResult:
    """Move ``amount_fen`` from a liability account to the liability account ``sink``."""
    return ledger.post(
        actor=None,
        idempotency_key=key or next_key("spend"),
        memo=memo,
        kind="test.spend",
        lines=[ledger.debit(account, amount_fen), ledger.credit(sink, amount_fen)],
    )


def balance(code: str) -> int:
    return Account.objects.get(code=code).balance_fen
