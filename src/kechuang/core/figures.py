"""Figures that sum whole tables, shown on every visit to a home page, kept in the shared cache.

Every process of every app server reads and writes the same cache (``CACHE_URL``: Redis, or the
database's cache table; docs/adr/0016-shared-state-and-backups.md), and every remembered figure is
filed under the current *generation*: a random token kept in that cache and replaced after every
committed write (:func:`changed_on_commit`, called by ``core.audit.record``, which every service
calls). A write on one app server therefore retires every remembered figure on all of them at once;
``INSIGHTS_CACHE_SECONDS`` (default 60; 0 in tests, so query-budget tests see every query) only bounds
figures that move with the clock alone (an SLA breach as time passes). Only aggregate figures go
through here: to-do lists and anything a user acts on are read live.

Topics: a write also replaces the token of its module (``directory`` for organizations and people),
so a process that keeps something bigger than a figure, such as the matching engine's organization
documents, asks :func:`topic_token` whether it must reload.

A token rather than a counter: a replaced token can never come back, whereas two processes
incrementing a counter with a get and a set (the database cache's ``incr``) may both write the same
number, and an evicted counter would restart at a number already used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)

GENERATION = "data"
_PREFIX = "kechuang:token:"


# The tokens read during the current request, per thread (docs/adr/0029-page-speed.md): a page reads the
# data generation for each cached figure or fragment, and one read per request is enough. A write in this
# request replaces its entry at once; a write elsewhere is seen from the next request on, as if the token
# had been read once at the start. None outside a request (tasks, the shell): every read goes to the cache.
_request = threading.local()


def request_began(**_signal: Any) -> None:
    _request.tokens = {}


def request_ended(**_signal: Any) -> None:
    _request.tokens = None


def _memo() -> dict[str, str] | None:
    return getattr(_request, "tokens", None)


def remember_token(topic: str, value: Any) -> None:
    """A token read together with other keys (``accounts.principal``), kept for the rest of the request."""
    memo = _memo()
    if memo is not None and value is not None:
        memo[topic] = str(value)


def topic_token(topic: str = GENERATION) -> str:
    """The current token of ``topic`` (the whole data generation by default), shared by all processes."""
    memo = _memo()
    if memo is not None and topic in memo:
        return memo[topic]
    key = _PREFIX + topic
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, None)  # add: when two processes race, one token wins
        value = cache.get(key)
    remember_token(topic, value)
    return str(value)


def topic_key(topic: str) -> str:
    """The cache key holding the token of ``topic`` (to read it together with other keys)."""
    return _PREFIX + topic


def _replace(topic: str) -> None:
    token = uuid.uuid4().hex
    cache.set(_PREFIX + topic, token, None)
    memo = _memo()
    if memo is not None:
        memo[topic] = token


def replace_topic_token(topic: str) -> None:
    """Retire what is filed under ``topic`` alone (not the data generation): ``accounts.principal``."""
    _replace(topic)


def topic_tokens(*topics: str) -> dict[str, str]:
    """The current tokens of several topics in one round trip to the cache."""
    memo = _memo() or {}
    tokens = {topic: memo[topic] for topic in topics if topic in memo}
    keys = {_PREFIX + topic: topic for topic in topics if topic not in tokens}
    if keys:
        for key, value in cache.get_many(list(keys)).items():
            tokens[keys[key]] = str(value)
            remember_token(keys[key], value)
    for topic in topics:
        if topic not in tokens:
            tokens[topic] = topic_token(topic)
    return tokens


def data_changed(*topics: str) -> None:
    """Retire every remembered figure (and the tokens of ``topics``) in every process, now."""
    for topic in (GENERATION, *topics):
        _replace(topic)


class _Pending:
    """The after-commit callback of one transaction, collecting the topics its writes touched."""

    def __init__(self) -> None:
        self.topics: set[str] = set()

    def __call__(self) -> None:
        try:
            data_changed(*sorted(self.topics))
        except Exception as error:  # the write is committed; a cache that is down must not fail it
            logger.error("figures: could not retire the cached figures after a write (%s)", error)


def changed_on_commit(topic: str = "") -> None:
    """After the current transaction commits (at once outside one), call :func:`data_changed`; several
    writes in one transaction share one callback."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _with_topic(_Pending(), topic)()
        return
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _Pending):
            _with_topic(callback, topic)
            return
    transaction.on_commit(_with_topic(_Pending(), topic), robust=True)


def _with_topic(pending: _Pending, topic: str) -> _Pending:
    if topic:
        pending.topics.add(topic)
    return pending


FLIGHT_LOCK_SECONDS = 30  # a leader that died mid-computation holds the others back at most this long
FLIGHT_WAIT_SECONDS = 10.0  # a follower computes on its own after this
FLIGHT_POLL_SECONDS = 0.05


_KEPT = "kechuang:kept"


def _entry(value: Any, seconds: float) -> tuple[str, float, Any]:
    """What is stored: the value and the moment it stops being fresh (then served while one request
    computes the next one, up to ``seconds`` longer)."""
    return (_KEPT, time.time() + seconds, value)


def _unwrap(raw: Any) -> tuple[Any, bool]:
    """(value, still fresh) of a stored entry; (None, False) for nothing usable."""
    if isinstance(raw, tuple) and len(raw) == 3 and raw[0] == _KEPT:
        return raw[2], time.time() < raw[1]
    return None, False


def cached_figures(key: str, compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` until the next write anywhere (or for at most
    ``INSIGHTS_CACHE_SECONDS``). A cache that cannot be reached costs the computation, never the page.

    Computed once when many requests miss at the same moment (docs/adr/0029-page-speed.md): the first
    takes a short lock in the shared cache (``cache.add``, atomic on Redis and on the database table) and
    computes; the others, in any process of any app server, wait for its value (polling the cache) instead
    of each running the same queries, and compute themselves only when the leader takes longer than
    ``FLIGHT_WAIT_SECONDS`` or gave up.

    Refreshed ahead rather than inside every request: when a value has been kept for
    ``INSIGHTS_CACHE_SECONDS`` without a write (what moves with the clock alone), the first request takes
    the lock and computes the next value while the others are served the kept one, for at most as long
    again. After a write there is nothing kept under the new generation: every request gets the new value."""
    seconds = getattr(settings, "INSIGHTS_CACHE_SECONDS", 60)
    if not seconds:
        return compute()
    try:
        full_key = f"kechuang:figures:{topic_token()}:{key}"
        value, fresh = _unwrap(cache.get(full_key))
    except Exception as error:
        logger.warning("figures: the shared cache cannot be read (%s); computing %s", error, key)
        return compute()
    if value is not None and fresh:
        return value  # type: ignore[no-any-return]
    lock_key = f"{full_key}:computing"
    try:
        leader = cache.add(lock_key, 1, FLIGHT_LOCK_SECONDS)
    except Exception:
        leader = True
    if not leader:
        if value is not None:
            return value  # type: ignore[no-any-return]  # kept a little longer: the leader refreshes it
        waited = _wait_for(full_key, lock_key)
        if waited is not None:
            return waited  # type: ignore[no-any-return]
    try:
        value = compute()
        try:
            cache.set(full_key, _entry(value, seconds), 2 * seconds)
        except Exception as error:
            logger.warning("figures: the shared cache cannot be written (%s)", error)
    finally:
        if leader:
            try:
                cache.delete(lock_key)
            except Exception as error:  # the lock expires by itself after FLIGHT_LOCK_SECONDS
                logger.warning("figures: could not release the lock of %s (%s)", key, error)
    return value


def _wait_for(full_key: str, lock_key: str) -> Any:
    """The leader's value once it is in the cache; None when it does not come in time or the leader
    gave up (its lock is gone without a value)."""
    deadline = time.monotonic() + FLIGHT_WAIT_SECONDS
    try:
        while time.monotonic() < deadline:
            time.sleep(FLIGHT_POLL_SECONDS)
            value, _fresh = _unwrap(cache.get(full_key))
            if value is not None:
                return value
            if cache.get(lock_key) is None:
                return _unwrap(cache.get(full_key))[0]
    except Exception:
        return None
    return None


# --- a list page's count and keys, kept until the next write -------------------------------------------


def query_key(queryset: Any) -> str | None:
    """A key naming what ``queryset`` reads: its SQL and parameters (the viewer's visibility included,
    since it is in the query), so two requests that would run the same query share what it returned.
    None for a query with a moment in it (``ends_at >= now``): no two requests would share it."""
    if _has_a_moment(queryset.query.where):
        return None
    sql, params = queryset.query.sql_with_params()
    return hashlib.sha256(f"{queryset.db}|{sql}|{params!r}".encode()).hexdigest()[:32]


def _has_a_moment(node: Any) -> bool:
    """Whether a query's conditions compare with a datetime (the database may get it as text)."""
    if hasattr(node, "children"):
        return any(_has_a_moment(child) for child in node.children)
    value = getattr(node, "rhs", None)
    values = value if isinstance(value, list | tuple | set | frozenset) else [value]
    return any(isinstance(item, dt.datetime) for item in values)


def kept_count(queryset: Any) -> int:
    """``queryset.count()``, kept under the data generation (docs/adr/0029-page-speed.md): a list page's
    total, asked on every visit, is the same until the next write."""
    try:
        key = query_key(queryset)
    except EmptyResultSet:  # a query that can match nothing (``pk__in=[]``): no query, no key
        return 0
    return int(queryset.count() if key is None else cached_figures("count:" + key, queryset.count))


def kept_pks(queryset: Any) -> list[Any]:
    """The primary keys ``queryset`` returns, in order, kept under the data generation like
    :func:`kept_count` (``{% pagecache %}`` keys a page of rows by them)."""
    keys = queryset.values_list("pk", flat=True)
    try:
        key = query_key(keys)
    except EmptyResultSet:
        return []
    return list(keys) if key is None else list(cached_figures("pks:" + key, lambda: list(keys)))
