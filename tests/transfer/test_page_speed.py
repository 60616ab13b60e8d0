"""docs/adr/0029-page-speed.md: the matching board's rows come from the shared cache once computed (per
engine version and data generation), show what the computed ones show, and carry the visitor's own CSRF
token; the list pages' rows and filter forms likewise."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.core.figures import data_changed
from kechuang.transfer import matching
from kechuang.transfer.factories import make_achievement, make_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(institute_org, enterprise_org, other_enterprise_org, fields):
    for i in range(6):
        make_achievement(institute_org, title=f"激光焊接工艺第{i}代")
        make_demand(enterprise_org if i % 2 else other_enterprise_org, title=f"焊接气孔控制需求{i}")
    matching.get_engine()


def _rows(page) -> str:
    text = page.content.decode()
    match = re.search(r'<div data-testid="board-rows">.*</div>\s*</main>', text, re.S)
    body = match.group(0) if match else text
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_cached_board_shows_the_computed_board_with_the_visitors_token(client, board, operator, settings):
    client.force_login(operator)
    url = reverse("transfer:matching-board")
    settings.INSIGHTS_CACHE_SECONDS = 0
    computed = client.get(url)
    settings.INSIGHTS_CACHE_SECONDS = 60
    cache.clear()
    client.get(url)
    cached = client.get(url)
    assert "焊接气孔控制需求" in _rows(cached) and _rows(cached) == _rows(computed)
    assert cached.content.decode().count('data-testid="board-row"') == 6
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached.content.decode()))
    assert tokens and "kc-csrf-placeholder" not in cached.content.decode()
    client.cookies.clear()
    client.force_login(operator)
    other = client.get(url).content.decode()
    assert not tokens & set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', other))
    cache.clear()


def test_the_board_costs_a_few_queries_until_a_write(client, board, operator, institute_org, settings):
    settings.INSIGHTS_CACHE_SECONDS = 60
    cache.clear()
    client.force_login(operator)
    url = reverse("transfer:matching-board")
    first = _queries(client, url)
    assert _queries(client, url) <= 10 < first
    make_demand(institute_org, title="新发布的真空镀膜需求")
    data_changed()
    assert "新发布的真空镀膜需求" in client.get(url).content.decode()
    cache.clear()


@pytest.mark.parametrize("name", ["transfer:achievement-list", "transfer:demand-list"])
def test_cached_list_rows_and_filters_show_what_the_computed_ones_show(
    client, board, operator, settings, name
):
    client.force_login(operator)
    url = reverse(name) + "?page=1"
    settings.INSIGHTS_CACHE_SECONDS = 0
    strip = lambda page: re.sub(r"[A-Za-z0-9]{64}", "", page.content.decode())  # noqa: E731  (CSRF tokens)
    computed = strip(client.get(url))
    settings.INSIGHTS_CACHE_SECONDS = 60
    cache.clear()
    client.get(url)
    assert strip(client.get(url)) == computed
    cache.clear()
