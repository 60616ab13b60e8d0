"""Ledger fixtures: a few accounts."""

from __future__ import annotations

import pytest
from ledger_helpers import open_account

from kechuang.ledger.choices import AccountKind


@pytest.fixture
def accounts(db):
    """``a`` and ``sink`` (liabilities), ``world`` (external)."""
    return {
        "a": open_account("a"),
        "sink": open_account("sink"),
        "world": open_account("world", AccountKind.EXTERNAL, normal_side="C"),
    }
