"""docs/reliability.md B5: a confidential listing never reaches another organization — not through lists,
details, search, recommendations, exports, the home page or the API; members-only needs a login."""

import pytest
from django.urls import reverse

from kechuang.transfer import selectors
from kechuang.transfer.factories import make_achievement, make_demand
from kechuang.transfer.permissions import achievement_visible_to, demand_visible_to

pytestmark = pytest.mark.django_db

SECRET = "保密：车身激光焊接在线监测系统"


@pytest.fixture
def world(institute_org, enterprise_org, fields, confidential_achievement):
    public = make_achievement(institute_org, title="铝合金车身激光焊接气孔抑制技术")
    members = make_achievement(
        institute_org,
        title="会员可见：激光焊缝跟踪传感器",
        visibility="members",
        summary="激光焊缝跟踪传感器，基于结构光视觉，实时纠偏焊接轨迹，用于车身焊装。",
    )
    draft = make_achievement(institute_org, title="草稿：激光焊接工艺数据库", status="draft")
    demand = make_demand(enterprise_org)
    return {
        "public": public,
        "members": members,
        "draft": draft,
        "secret": confidential_achievement,
        "demand": demand,
    }


def _text(response):
    return response.content.decode()


def _results(response):
    """The search results section only (the query itself is echoed in the search box)."""
    html = _text(response)
    return html[html.find('data-testid="search-results"') :]


def test_querysets(world, enterprise_user, institute_user, operator):
    anonymous = achievement_visible_to(None)
    assert set(anonymous) == {world["public"]}
    assert set(achievement_visible_to(enterprise_user)) == {world["public"], world["members"]}
    assert world["secret"] in achievement_visible_to(institute_user)  # the owner organization
    assert world["draft"] in achievement_visible_to(institute_user)
    assert world["secret"] in achievement_visible_to(operator)


def test_confidential_achievement_absent_from_list_detail_and_export(client, world, enterprise_user):
    client.force_login(enterprise_user)
    assert world["secret"].code not in _text(client.get(reverse("transfer:achievement-list")))
    assert world["secret"].code not in _text(
        client.get(reverse("transfer:achievement-list"), {"q": "在线监测"})
    )
    assert client.get(reverse("transfer:achievement-detail", args=[world["secret"].code])).status_code == 404
    started = client.get(reverse("transfer:achievement-export"))  # the task worker builds the file
    assert started.status_code == 302
    download = started["Location"].rstrip("/") + "/download/"
    export = client.get(download).content.decode()
    assert world["public"].code in export and world["secret"].code not in export and SECRET not in export


def test_confidential_achievement_absent_from_search_everywhere(client, world, enterprise_user):
    client.force_login(enterprise_user)
    for query in ("激光焊接 在线监测", "保密 同轴视觉 光谱 气孔 未焊透", SECRET):
        html = _results(client.get(reverse("transfer:search"), {"q": query}))
        assert world["secret"].code not in html and "同轴视觉" not in html
        api = client.get("/api/v1/search/", {"q": query}).json()
        assert all(r["title"] != SECRET for r in api["results"])
        assert all(
            (m.kind, m.obj.pk) != ("achievement", world["secret"].pk)
            for m in selectors.search(actor=enterprise_user, query=query)
        )


def test_confidential_achievement_absent_from_recommendations(client, world, enterprise_user):
    client.force_login(enterprise_user)
    recs = selectors.demand_recommendations(actor=enterprise_user, demand=world["demand"], k=20)
    assert world["public"] in [m.obj for m in recs.primary]
    assert world["secret"] not in [m.obj for m in recs.primary]
    page = _text(client.get(reverse("transfer:demand-detail", args=[world["demand"].code])))
    assert world["public"].code in page and world["secret"].code not in page and SECRET not in page
    api = client.get(f"/api/v1/demands/{world['demand'].code}/recommendations/").json()
    assert all(m["title"] != SECRET for m in api["primary"])
    home = _text(client.get(reverse("core:home")))
    assert SECRET not in home and world["secret"].code not in home


def test_confidential_achievement_absent_from_the_api(client, world, enterprise_user):
    client.force_login(enterprise_user)
    codes = [a["code"] for a in client.get("/api/v1/achievements/", {"page_size": 200}).json()["results"]]
    assert world["secret"].code not in codes and world["draft"].code not in codes
    assert client.get(f"/api/v1/achievements/{world['secret'].code}/").status_code == 404
    assert client.get("/api/v1/achievements/", {"q": "在线监测"}).json()["count"] == 0 or all(
        a["code"] != world["secret"].code
        for a in client.get("/api/v1/achievements/", {"q": "在线监测"}).json()["results"]
    )


@pytest.mark.slow
def test_operator_sees_confidential_in_search(client, world, operator):
    client.force_login(operator)
    assert world["secret"].code in _results(client.get(reverse("transfer:search"), {"q": "在线监测"}))


def test_members_only_listing_needs_login(client, world):
    assert client.get(reverse("transfer:achievement-detail", args=[world["members"].code])).status_code == 404
    assert world["members"].code not in _results(client.get(reverse("transfer:search"), {"q": "焊缝跟踪"}))
    assert client.get(f"/api/v1/achievements/{world['members'].code}/").status_code == 404
    assert client.get(reverse("transfer:achievement-detail", args=[world["public"].code])).status_code == 200


def test_drafts_never_leave_the_owner(client, world, enterprise_user, other_enterprise_user, enterprise_org):
    draft_demand = make_demand(enterprise_org, title="草稿：焊点检测需求", status="draft")
    assert draft_demand not in demand_visible_to(other_enterprise_user)
    client.force_login(other_enterprise_user)
    assert client.get(reverse("transfer:demand-detail", args=[draft_demand.code])).status_code == 404
    assert client.get(f"/api/v1/demands/{draft_demand.code}/").status_code == 404


def test_confidential_demand_not_recommended_to_institutes(
    client, institute_user, enterprise_org, fields, achievement
):
    secret_demand = make_demand(enterprise_org, title="保密需求：下一代电池托盘焊接", visibility="operators")
    client.force_login(institute_user)
    recs = selectors.achievement_recommendations(actor=institute_user, achievement=achievement)
    assert secret_demand not in [m.obj for m in recs.primary]
    page = _text(client.get(reverse("transfer:achievement-detail", args=[achievement.code])))
    assert "保密需求" not in page and secret_demand.code not in page
