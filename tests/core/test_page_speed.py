"""Page speed (issue 15, docs/adr/0029-page-speed.md): the home panels kept in the shared cache per viewer
until the next write, cached figures computed once when many requests miss together, and the menu's
addresses reversed once."""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.core.cache import cache
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.core import figures, roles
from kechuang.core.figures import cached_figures, data_changed
from kechuang.testing import factories

pytestmark = pytest.mark.django_db


def _panels(page) -> str:
    """The panels' section of a home page (the rest carries per-request tokens)."""
    text = page.content.decode()
    match = re.search(r'<section class="mb-4" data-testid="home-panels">.*?</section>', text, re.S)
    return match.group(0) if match else ""


def _queries(client, url: str) -> int:
    from django.db import connection

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["operator", "leader", "commissioner", "enterprise_user", "institute_user"])
def test_home_panels_from_the_cache_show_what_the_computed_ones_show(client, request, settings, who):
    client.force_login(request.getfixturevalue(who))
    settings.INSIGHTS_CACHE_SECONDS = 0
    computed = _panels(client.get(reverse("core:home")))
    settings.INSIGHTS_CACHE_SECONDS = 60
    cache.clear()
    first = _panels(client.get(reverse("core:home")))
    second = _panels(client.get(reverse("core:home")))
    assert computed and first == computed and second == computed


def test_a_second_home_visit_costs_a_few_queries_and_a_write_shows_at_once(client, operator, cached):
    client.force_login(operator)
    first = _queries(client, reverse("core:home"))
    again = _queries(client, reverse("core:home"))
    assert again <= 8 < first  # session, user, roles, membership, token, panels, unread count
    factories.OrganizationFactory(name="新入驻的测试企业")
    assert "新入驻的测试企业" not in _panels(client.get(reverse("core:home")))  # no write through a service
    data_changed()  # what every service's audit record does after its commit
    assert "新入驻的测试企业" in _panels(client.get(reverse("core:home")))


def test_the_cached_panels_are_per_viewer(client, enterprise_user, other_enterprise_user, cached):
    client.force_login(enterprise_user)
    mine = client.get(reverse("core:home")).content.decode()
    client.force_login(other_enterprise_user)
    theirs = client.get(reverse("core:home")).content.decode()
    assert enterprise_user.memberships.first().organization.name in mine
    assert other_enterprise_user.memberships.first().organization.name in theirs
    assert enterprise_user.memberships.first().organization.name not in _panels_or_all(theirs)


def _panels_or_all(text: str) -> str:
    match = re.search(r'<section class="mb-4" data-testid="home-panels">.*?</section>', text, re.S)
    return match.group(0) if match else text


def test_home_queries_are_the_same_for_few_and_many_rows(client, operator, settings):
    settings.INSIGHTS_CACHE_SECONDS = 0
    settings.PRINCIPAL_CACHE_SECONDS = 0  # every query counted: a new organization retires the principal
    client.force_login(operator)
    client.get(reverse("core:home"))
    few = _queries(client, reverse("core:home"))
    for _ in range(10):
        factories.PersonFactory(organization=factories.OrganizationFactory())
    assert _queries(client, reverse("core:home")) == few


def test_concurrent_misses_compute_once(cached):
    """Eight requests miss the same figure at once: one computes, the seven others wait for its value."""
    calls = []
    start = threading.Barrier(8)
    results = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return {"n": 42}

    def visit():
        start.wait()
        results.append(cached_figures("test:stampede", compute))

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert results == [{"n": 42}] * 8


def test_a_follower_computes_itself_when_the_leader_gave_up(cached, monkeypatch):
    monkeypatch.setattr(figures, "FLIGHT_WAIT_SECONDS", 0.2)
    token = figures.topic_token()
    cache.add(f"kechuang:figures:{token}:test:stuck:computing", 1, 30)  # a leader that never finishes
    started = time.monotonic()
    assert cached_figures("test:stuck", lambda: 7) == 7
    assert time.monotonic() - started < 2


def test_the_menu_reverses_each_address_once(operator, monkeypatch):
    roles.navigation_for(operator)
    calls = []
    monkeypatch.setattr(roles, "reverse", lambda *a, **k: calls.append(a) or "/")
    items = roles.navigation_for(operator)
    assert items and not calls
    assert {"url": reverse("core:home")}.items() <= items[0].items()


def test_a_kept_value_past_its_time_is_served_while_one_request_refreshes_it(cached, monkeypatch):
    """Refreshed ahead: a value kept for INSIGHTS_CACHE_SECONDS without a write is recomputed by one
    request while the others get the kept one, instead of all of them waiting for the computation."""
    computed = []

    def compute(n):
        return lambda: computed.append(n) or n

    assert cached_figures("test:ahead", compute(1)) == 1
    assert cached_figures("test:ahead", compute(2)) == 1  # fresh: kept
    now = time.time()
    monkeypatch.setattr(figures.time, "time", lambda: now + 61)  # a minute later, no write meanwhile
    lock = f"kechuang:figures:{figures.topic_token()}:test:ahead:computing"
    cache.add(lock, 1, 30)  # another request is computing the next value
    started = time.monotonic()
    assert cached_figures("test:ahead", compute(3)) == 1  # served the kept value at once
    assert time.monotonic() - started < 0.5
    cache.delete(lock)
    assert cached_figures("test:ahead", compute(4)) == 4  # this request refreshes it
    assert cached_figures("test:ahead", compute(5)) == 4
    assert computed == [1, 4]
    data_changed()  # after a write nothing is kept under the new generation: computed at once
    assert cached_figures("test:ahead", compute(6)) == 6
