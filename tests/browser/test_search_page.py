"""The search page in a real browser (docs/adr/0020-calibrated-matching.md): a nonsense query says that
nothing is relevant enough, with suggestions; a real query shows each hit's relevance tier."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kechuang.directory.models import Organization
from kechuang.transfer import matching
from kechuang.transfer.factories import make_achievement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalogue(district_data: dict[str, Any], settings: Any) -> None:
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    siom = Organization.objects.get(name="中国科学院上海光学精密机械研究所")
    make_achievement(
        siom,
        fields=["ENE01"],
        title="振镜摆动激光焊接铝合金气孔抑制工艺",
        summary="针对铝合金车身与电池托盘激光焊接气孔多的问题，采用振镜摆动扫描与保护气氛协同控制。",
        keywords="激光焊接 铝合金 气孔",
    )
    yield
    matching.reset()


def test_nonsense_query_says_nothing_relevant_and_a_real_one_shows_tiers(page, shot, catalogue):
    page.goto("/transfer/search/?q=量子引力波发动机")
    nothing = page.get_by_test_id("search-nothing")
    expect(nothing).to_be_visible()
    expect(nothing).to_contain_text("没有找到足够相关的结果")
    expect(nothing).to_contain_text("按领域浏览")
    expect(page.get_by_text("相似度")).to_have_count(0)
    shot("nothing-relevant")
    page.get_by_test_id("search-input").fill("铝合金激光焊接气孔")
    page.get_by_test_id("search-submit").click()
    hit = page.get_by_test_id("search-hit").first
    expect(hit).to_be_visible()
    expect(hit.get_by_test_id("tier")).to_contain_text("相关度")
    expect(page.get_by_test_id("search-nothing")).to_have_count(0)  # it holds every term: at least 中
    shot("hits-with-tiers")
