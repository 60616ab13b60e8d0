"""Read-ahead for the shared cache: a repeated request reads in one round trip the keys it read last time.

A signed-in page reads a handful of keys from the shared cache one after another (docs/adr/0029-page-speed.md):
the session, the principal, the bell's count, the kept figures, the row keys and the rendered fragments of
its lists. On Redis each read is a round trip and a switch between the server's threads; on the database's
cache table each is a query. Most requests repeat one seen a moment ago (the same person reloading a page,
paging back, a list refreshed after an action), and read the same keys again.

So each process remembers, per request *identity* (method, path, query string, whether htmx asked, and a
digest of the session cookie), which keys the request read; the next request with that identity reads
them all with one ``get_many`` when it starts. A key read ahead answers only the **first** read of that
key in the request, and any write to it in the request (set, add, delete, touch, incr) drops it, so:

- the request sees each value as it was when the request started, the moment the data generation token
  is already read as (``core.figures``), never a value older than that;
- a second read of a key, such as a follower polling for the value its leader is computing
  (``core.figures._wait_for``), goes to the cache;
- a key the request does not read again costs its bytes in the one round trip, nothing else.

Nothing is shared between viewers that the cache does not already share: a read-ahead value is returned
only for the key it was read under, which the same call would have read from the cache. Outside a request
(tasks, commands, the shell) every call goes straight to the cache. A cache that cannot be reached when
the request starts costs nothing but the read-ahead: the request's own reads go to the cache as before.

Used by the Redis and database-table backends chosen in ``kechuang.settings.base`` (``CACHE_URL``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as _DatabaseCache
from django.core.cache.backends.redis import RedisCache as _RedisCache
from django.http.cookie import parse_cookie

logger = logging.getLogger(__name__)

MAX_IDENTITIES = 2048  # request identities remembered per process (least recently seen dropped first)
MAX_KEYS = 32  # keys read ahead per identity (a page reads about ten)

_MISSING = object()  # read ahead and not in the cache
_ABSENT = object()  # not read ahead (or already used)
_Key = tuple[str, Any]  # (key, version) as the caller gave them

_state = threading.local()  # .identity, .read (dict of keys in reading order), .ahead ({key: value})
_recent: OrderedDict[str, tuple[_Key, ...]] = OrderedDict()
_recent_lock = threading.Lock()


def identity(environ: dict[str, Any]) -> str | None:
    """What makes two requests read the same keys, or None for a request not worth remembering (writes)."""
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return None
    session = ""
    cookies = environ.get("HTTP_COOKIE", "")
    if cookies:  # read as the request will read it (Django's parser, which never raises)
        value = parse_cookie(cookies).get(settings.SESSION_COOKIE_NAME, "")
        session = hashlib.sha256(value.encode()).hexdigest()[:32] if value else ""
    htmx = "htmx" if environ.get("HTTP_HX_REQUEST") else ""
    return "\x1f".join((method, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), htmx, session))


def request_began(environ: dict[str, Any] | None = None, **_signal: Any) -> None:
    """``request_started``: read ahead what the same request read last time."""
    key = identity(environ) if environ is not None else None
    _state.identity = key
    _state.read = {}
    _state.ahead = {}
    if key is None:
        return
    with _recent_lock:
        keys = _recent.get(key)
        if keys is not None:
            _recent.move_to_end(key)
    if not keys:
        return
    from django.core.cache import caches

    cache = caches["default"]
    if isinstance(cache, ReadAhead):
        _state.ahead = cache.read_ahead(keys)


def request_ended(**_signal: Any) -> None:
    """``request_finished``: remember which keys this request read."""
    key = getattr(_state, "identity", None)
    read = getattr(_state, "read", None)
    _state.identity = _state.read = _state.ahead = None
    if key is None or not read:
        return
    keys = tuple(read)[:MAX_KEYS]
    with _recent_lock:
        _recent[key] = keys
        _recent.move_to_end(key)
        while len(_recent) > MAX_IDENTITIES:
            _recent.popitem(last=False)


def forget() -> None:
    """Drop every remembered identity of this process (tests)."""
    with _recent_lock:
        _recent.clear()


def _reading() -> tuple[dict[_Key, None], dict[_Key, Any]] | None:
    read = getattr(_state, "read", None)
    if read is None:
        return None
    return read, _state.ahead


class ReadAhead:
    """The read-ahead behaviour, mixed into a Django cache backend (below)."""

    def read_ahead(self, keys: Iterable[_Key]) -> dict[_Key, Any]:
        """The values of ``keys`` in one round trip per version (misses included, as missing)."""
        by_version: dict[Any, list[str]] = {}
        for key, version in keys:
            by_version.setdefault(version, []).append(key)
        ahead: dict[_Key, Any] = {}
        try:
            for version, names in by_version.items():
                found = super().get_many(names, version=version)  # type: ignore[misc]
                for name in names:
                    ahead[(name, version)] = found.get(name, _MISSING)
        except Exception as error:  # the request's own reads will meet the cache as they always did
            logger.debug("read-ahead: the shared cache could not be read (%s)", error)
            return {}
        return ahead

    def get(self, key: str, default: Any = None, version: Any = None) -> Any:
        reading = _reading()
        if reading is not None:
            read, ahead = reading
            read[(key, version)] = None
            value = ahead.pop((key, version), _ABSENT) if ahead else _ABSENT
            if value is not _ABSENT:
                return default if value is _MISSING else value
        return super().get(key, default, version=version)  # type: ignore[misc]

    def get_many(self, keys: Iterable[str], version: Any = None) -> dict[str, Any]:
        keys = list(keys)
        reading = _reading()
        if reading is None:
            return super().get_many(keys, version=version)  # type: ignore[misc, no-any-return]
        read, ahead = reading
        found: dict[str, Any] = {}
        rest: list[str] = []
        for key in keys:
            read[(key, version)] = None
            value = ahead.pop((key, version), _ABSENT) if ahead else _ABSENT
            if value is _ABSENT:
                rest.append(key)
            elif value is not _MISSING:
                found[key] = value
        if rest:
            found.update(super().get_many(rest, version=version))  # type: ignore[misc]
        return found

    def _drop(self, keys: Iterable[str], version: Any) -> None:
        reading = _reading()
        if reading is not None and reading[1]:
            for key in keys:
                reading[1].pop((key, version), None)

    def set(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> None:
        self._drop([key], version)
        super().set(key, value, timeout, version=version)  # type: ignore[misc]

    def add(self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        self._drop([key], version)
        return super().add(key, value, timeout, version=version)  # type: ignore[misc, no-any-return]

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        self._drop([key], version)
        return super().touch(key, timeout, version=version)  # type: ignore[misc, no-any-return]

    def delete(self, key: str, version: Any = None) -> bool:
        self._drop([key], version)
        return super().delete(key, version=version)  # type: ignore[misc, no-any-return]

    def incr(self, key: str, delta: int = 1, version: Any = None) -> int:
        self._drop([key], version)
        return super().incr(key, delta, version=version)  # type: ignore[misc, no-any-return]

    def set_many(
        self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[str]:
        self._drop(data, version)
        return super().set_many(data, timeout, version=version)  # type: ignore[misc, no-any-return]

    def delete_many(self, keys: Iterable[str], version: Any = None) -> None:
        keys = list(keys)
        self._drop(keys, version)
        super().delete_many(keys, version=version)  # type: ignore[misc]

    def clear(self) -> None:
        reading = _reading()
        if reading is not None and reading[1]:
            reading[1].clear()
        super().clear()  # type: ignore[misc]


class RedisCache(ReadAhead, _RedisCache):
    """Django's Redis backend with read-ahead (``CACHE_URL=redis://…``)."""


class DatabaseCache(ReadAhead, _DatabaseCache):
    """Django's database-table backend with read-ahead (the embedded default)."""
