"""Who may read the ledger: district staff who run or oversee the money, and the auditor."""

from __future__ import annotations

from typing import Any

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate

LEDGER_READERS = frozenset({Role.OPERATOR, Role.LEADER, Role.AUDITOR})


@predicate
def can_view_ledger(user: Any) -> bool:
    return bool(roles_of(user) & LEDGER_READERS)


add_perm("ledger.view_ledger", can_view_ledger)

# The approved role × action table for the ledger (docs/reliability.md B3).
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "ledger.view_ledger": LEDGER_READERS,
}
