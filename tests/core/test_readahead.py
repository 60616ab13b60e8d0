"""The shared cache's read-ahead (src/kechuang/core/readahead.py, docs/adr/0029-page-speed.md): a repeated
request reads the keys it read last time in one round trip, sees each value as it was when it started,
and never a value older than its own writes."""

from __future__ import annotations

import logging
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.core import readahead

pytestmark = pytest.mark.django_db

ENVIRON = {"REQUEST_METHOD": "GET", "PATH_INFO": "/x/", "QUERY_STRING": "", "HTTP_COOKIE": "sessionid=abc"}


@pytest.fixture
def shared(settings):
    """The embedded default's cache (the database table) as the default cache, with the read-ahead."""
    settings.CACHES = {
        "default": {"BACKEND": "kechuang.core.readahead.DatabaseCache", "LOCATION": "kechuang_cache"},
        "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kechuang_cache"},
    }
    readahead.forget()
    caches["default"].clear()
    yield caches["default"]
    readahead.forget()


def _cache_reads(queries) -> int:
    return sum(
        1 for q in queries if "kechuang_cache" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")
    )


def _request(environ=ENVIRON):
    """The start of a request (as Django's request_started sends it) and what it read ahead."""
    with CaptureQueriesContext(connection) as captured:
        readahead.request_began(environ=environ)
    return _cache_reads(captured.captured_queries)


def _without_tokens(html: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"', "", html.decode())


def test_a_repeated_page_reads_its_cached_keys_in_one_query_and_shows_the_same(
    client, commissioner, shared, settings
):
    settings.INSIGHTS_CACHE_SECONDS = 60
    client.force_login(commissioner)
    url = reverse("servicedesk:request-list")
    counts, pages = [], []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200
        counts.append(_cache_reads(captured.captured_queries))
        pages.append(_without_tokens(page.content))
    # the first visit reads key by key; the next ones read what the first read, all in one query
    assert counts[0] >= 4 and counts[1] == counts[2] == 1, counts
    assert pages[1] == pages[2] and pages[0] == pages[1]


def test_a_value_read_ahead_answers_the_first_read_only_and_never_outlives_a_write(shared):
    other_process = caches["database"]  # the same table, without this process's read-ahead
    shared.set("a", 1)
    shared.set("b", 2)
    assert _request() == 0  # nothing remembered yet
    assert (shared.get("a"), shared.get("b"), shared.get("nothing")) == (1, 2, None)
    assert shared.get_many(["a", "c"]) == {"a": 1}
    readahead.request_ended()

    shared.set("a", 10)  # between the two requests: the next one starts with it
    assert _request() == 1  # a, b, nothing and c in one query
    other_process.set("b", 20)  # during the request, elsewhere
    with CaptureQueriesContext(connection) as captured:
        assert shared.get("a") == 10
        assert shared.get("b") == 2  # as it was when the request started
        assert shared.get("nothing", "default") == "default"  # a miss read ahead: no query either
        assert shared.get_many(["c", "a"]) == {"a": 10}  # c: a miss read ahead; a: used, so from the cache
    assert _cache_reads(captured.captured_queries) == 1  # only the second read of a
    assert shared.get("b") == 20  # a second read goes to the cache (a follower polling for its leader)
    readahead.request_ended()

    assert _request() == 1
    shared.set("a", 11)  # this request's own write drops what was read ahead
    assert shared.get("a") == 11
    shared.delete("b")
    assert shared.get("b") is None
    readahead.request_ended()


def test_other_requests_are_not_read_ahead(shared):
    shared.set("a", 1)
    _request()
    shared.get("a")
    readahead.request_ended()
    assert _request({**ENVIRON, "HTTP_COOKIE": "sessionid=someone-else"}) == 0  # another session
    readahead.request_ended()
    assert _request({**ENVIRON, "QUERY_STRING": "page=2"}) == 0
    readahead.request_ended()
    assert _request({**ENVIRON, "REQUEST_METHOD": "POST"}) == 0
    shared.get("a")
    readahead.request_ended()
    assert _request({**ENVIRON, "REQUEST_METHOD": "POST"}) == 0  # writes are never remembered
    readahead.request_ended()
    assert _request() == 1  # the first identity is still remembered


def test_the_session_is_read_from_the_cookie_header_as_django_reads_it():
    def session_part(cookie: str) -> str:
        return readahead.identity({**ENVIRON, "HTTP_COOKIE": cookie}).split("\x1f")[-1]

    assert session_part("a=b; sessionid=abc") == session_part("sessionid=abc") != session_part("")
    assert session_part('sessionid="unterminated') != session_part("")  # Django's parser keeps it
    assert session_part("\x00;;=;") == session_part("") == ""  # garbage: no session, and no error


def test_outside_a_request_every_read_goes_to_the_cache(shared):
    shared.set("a", 1)
    readahead.request_began(environ=ENVIRON)
    shared.get("a")
    readahead.request_ended()
    with CaptureQueriesContext(connection) as captured:
        assert shared.get("a") == 1  # a task or command: no request, nothing read ahead
    assert _cache_reads(captured.captured_queries) == 1


def test_a_cache_that_fails_at_the_start_costs_only_the_read_ahead(shared, monkeypatch, caplog):
    shared.set("a", 1)
    _request()
    shared.get("a")
    readahead.request_ended()

    def down(*_args, **_kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(readahead._DatabaseCache, "get_many", down)
    with caplog.at_level(logging.DEBUG, logger="kechuang.core.readahead"):
        assert _request() == 0
    assert "could not be read" in caplog.text
    monkeypatch.undo()
    assert shared.get("a") == 1  # the request's own read, from the cache
    readahead.request_ended()


def test_the_remembered_requests_are_bounded(shared, monkeypatch):
    monkeypatch.setattr(readahead, "MAX_IDENTITIES", 2)
    shared.set("a", 1)
    for path in ("/1/", "/2/", "/3/"):
        _request({**ENVIRON, "PATH_INFO": path})
        shared.get("a")
        readahead.request_ended()
    assert _request({**ENVIRON, "PATH_INFO": "/1/"}) == 0  # the least recently seen was dropped
    readahead.request_ended()
    assert _request({**ENVIRON, "PATH_INFO": "/3/"}) == 1
    readahead.request_ended()
