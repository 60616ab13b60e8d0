"""Bounded retry of a whole transaction on serialization failures and deadlocks.

Only the outermost transaction can be retried: once PostgreSQL aborts a transaction for a deadlock, the
work done in it is gone, so the retry has to start from the top. :func:`atomic_with_retry` therefore
retries only when it is the outermost ``atomic``; nested inside another one it runs the function once
and lets the error travel up to whoever owns the transaction (a service decorated with it, a view).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from .errors import LedgerBusy

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MAX_ATTEMPTS = 6
BASE_DELAY = 0.01  # seconds; doubled each attempt, with full jitter
MAX_DELAY = 0.4

# SQLSTATE codes worth a retry: serialization_failure, deadlock_detected, lock_not_available.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_retryable(error: BaseException) -> bool:
    """A serialization failure or deadlock (PostgreSQL), or a busy database (SQLite)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        sqlstate = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if sqlstate in RETRYABLE_SQLSTATES:
            return True
        text = str(current).lower()
        if "database is locked" in text or "deadlock detected" in text:
            return True
        current = current.__cause__ or current.__context__
    return False


def run_with_retry(fn: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS, attempts: int = MAX_ATTEMPTS) -> T:
    """Run ``fn`` in a transaction, retried up to ``attempts`` times on a retryable error when this is the
    outermost transaction. Raises :class:`LedgerBusy` when every attempt failed that way."""
    if connections[using].in_atomic_block:
        with transaction.atomic(using=using):
            return fn()
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic(using=using):
                return fn()
        except OperationalError as error:
            if not is_retryable(error):
                raise
            if attempt == attempts:
                logger.warning("ledger: giving up after %s attempts: %s", attempts, error)
                raise LedgerBusy() from error
            delay = random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2 ** (attempt - 1)))
            logger.info("ledger: retry %s after %s (%.3fs)", attempt, type(error.__cause__).__name__, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def atomic_with_retry(fn: Callable[P, T]) -> Callable[P, T]:
    """Decorator: the function runs in one transaction, retried on serialization failures and deadlocks
    when it is the outermost one."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return run_with_retry(lambda: fn(*args, **kwargs))

    return wrapper
