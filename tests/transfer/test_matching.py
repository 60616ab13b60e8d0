"""The matching integration: freshness through the index version, vectors from the background task,
reasons in Chinese, highlighted search, and strong-match notifications once per pair."""

import pytest

from kechuang.accounts.choices import Role
from kechuang.notifications.models import Notification
from kechuang.testing.factories import user_with_role
from kechuang.transfer import matching, selectors, services, strong
from kechuang.transfer.factories import make_achievement, make_demand
from kechuang.transfer.models import ListingVector, StrongMatch

pytestmark = pytest.mark.django_db


def _ids(hits):
    return [h.id for h in hits]


def test_a_new_listing_is_searchable_at_once(institute_org, operator, institute_user, fields):
    engine = matching.get_engine()
    # nothing about terahertz is listed yet (other fixtures' names may share a single character)
    assert not [h for h in engine.search("太赫兹成像安检", k=5) if h.kind == "achievement"]
    a = make_achievement(
        institute_org,
        status="submitted",
        title="太赫兹成像安检仪",
        summary="基于太赫兹波的人体安检成像技术，可识别衣物下的非金属违禁品，分辨率优于 5 毫米。",
    )
    assert "太赫兹" not in " ".join(
        engine.get(i).title for i in engine.ids() if engine.get(i)
    )  # not yet published
    version = matching.current_version()
    services.achievement_review(actor=operator, achievement=a, approve=True)
    assert matching.current_version() > version
    hits = matching.get_engine().search("太赫兹成像安检", k=5)
    assert f"achievement:{a.pk}" in _ids(hits)
    # unpublishing removes it
    services.achievement_transition(actor=institute_user, achievement=a, target="draft")
    assert f"achievement:{a.pk}" not in _ids(matching.get_engine().search("太赫兹成像安检", k=5))


def test_another_process_builds_the_same_index_from_the_database(institute_org, fields):
    a = make_achievement(
        institute_org, title="太赫兹成像安检仪", summary="基于太赫兹波的人体安检成像技术，分辨率优于 5 毫米。"
    )
    matching.reset()  # a fresh process
    assert f"achievement:{a.pk}" in _ids(matching.get_engine().search("太赫兹 安检", k=5))


def test_vectors_are_computed_in_the_background_and_reach_other_processes(
    institute_org, operator, fields, django_capture_on_commit_callbacks
):
    a = make_achievement(institute_org, status="submitted")
    engine = matching.get_engine()
    with django_capture_on_commit_callbacks(execute=True):
        services.achievement_review(actor=operator, achievement=a, approve=True)
    stored = ListingVector.objects.get(doc_id=f"achievement:{a.pk}")
    assert stored.embedder == engine.embedder_name and stored.dim > 0 and len(stored.text_hash) == 32
    assert f"achievement:{a.pk}" not in matching.get_engine().missing_vectors()
    matching.reset()
    fresh = matching.get_engine()
    assert f"achievement:{a.pk}" not in fresh.missing_vectors()


def test_stored_vectors_are_picked_up_through_the_version(institute_org, fields):
    a = make_achievement(institute_org)
    engine = matching.get_engine()
    assert f"achievement:{a.pk}" in engine.missing_vectors()
    before = matching.current_version()
    assert matching.compute_vectors([f"achievement:{a.pk}"]) == 1  # what the worker does
    assert matching.current_version() == before + 1
    assert f"achievement:{a.pk}" not in matching.get_engine().missing_vectors()
    assert matching.compute_vectors([f"achievement:{a.pk}"]) == 0  # unchanged text: nothing to do


def test_recommendations_carry_reasons_in_chinese(enterprise_user, achievement, demand):
    recs = selectors.demand_recommendations(actor=enterprise_user, demand=demand)
    top = recs.primary[0]
    assert top.obj == achievement
    texts = [r["text"] for r in top.reasons]
    assert any(t.startswith("共同关键词：") and "激光焊接" in t for t in texts), texts
    assert any(t.startswith("领域匹配：") and "激光制造" in t for t in texts), texts
    assert "成熟度 TRL 6，符合需求（≥5）" in texts
    assert "报价 50 万元在预算 30–80 万元内" in texts
    assert recs.organizations and recs.organizations[0].obj == achievement.organization


def test_draft_demand_gets_recommendations_too(enterprise_user, enterprise_org, achievement):
    draft = make_demand(enterprise_org, title="草稿：电池托盘激光焊接气孔", status="draft")
    recs = selectors.demand_recommendations(actor=enterprise_user, demand=draft)
    assert achievement in [m.obj for m in recs.primary]


def test_achievement_owner_sees_enterprises_that_may_want_it(
    institute_user, achievement, demand, enterprise_org
):
    recs = selectors.achievement_recommendations(actor=institute_user, achievement=achievement)
    assert demand in [m.obj for m in recs.primary]
    assert enterprise_org in [m.obj for m in recs.organizations]


def test_search_highlights_terms_and_escapes_html(client, institute_org, fields):
    make_achievement(
        institute_org,
        title="<script>alert(1)</script>激光焊接监测",
        summary="激光焊接过程监测系统，<b>实时</b>识别气孔缺陷，适用于车身焊装。",
    )
    html = client.get("/transfer/search/", {"q": "激光焊接"}).content.decode()
    assert "<mark>激光焊接</mark>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_strong_match_notifies_both_owners_once(
    settings, enterprise_user, institute_user, institute_org, achievement, demand
):
    # an expert of the institute is a member too, and is not told of the institute's matches
    expert = user_with_role(Role.EXPERT, institute_org, username="inst-expert")
    settings.MATCH_STRONG_MIN_FEATURE = 0.5
    settings.MATCH_STRONG_MIN_TERMS = 2
    assert strong.announce_for(f"demand:{demand.pk}") == 1
    assert strong.announce_for(f"achievement:{achievement.pk}") == 0  # the same pair
    assert strong.announce_for(f"demand:{demand.pk}") == 0
    assert StrongMatch.objects.count() == 1
    assert Notification.objects.filter(recipient=enterprise_user, kind="transfer.match").count() == 1
    assert Notification.objects.filter(recipient=institute_user, kind="transfer.match").count() == 1
    assert not Notification.objects.filter(recipient=expert).exists()


def test_confidential_listings_are_never_announced(
    settings, enterprise_org, institute_org, fields, enterprise_user
):
    settings.MATCH_STRONG_MIN_FEATURE = 0.0
    settings.MATCH_STRONG_MIN_TERMS = 1
    secret = make_achievement(institute_org, visibility="operators")
    demand = make_demand(enterprise_org)
    assert strong.announce_for(f"demand:{demand.pk}") == 0
    assert strong.announce_for(f"achievement:{secret.pk}") == 0
    assert not Notification.objects.filter(kind="transfer.match").exists()


def test_list_search_uses_the_engine_and_keeps_filters(client, institute_org, fields, achievement):
    other = make_achievement(
        institute_org,
        title="MEMS 压力传感器",
        fields=["IOT.SENSOR"],
        trl=4,
        summary="硅基压阻 MEMS 压力传感器，测量精度 0.1%FS，用于工业过程监测。",
        keywords="MEMS 压力",
    )
    page = client.get("/transfer/achievements/", {"q": "压力传感器"}).content.decode()
    assert other.code in page and achievement.code not in page
    page = client.get("/transfer/achievements/", {"q": "压力传感器", "trl_min": 6}).content.decode()
    assert other.code not in page
    page = client.get("/transfer/achievements/", {"field": "OPT"}).content.decode()  # a parent field
    assert achievement.code in page and other.code not in page


def test_the_first_build_reads_listings_and_vectors_in_chunks_and_builds_the_same_index(
    institute_org, enterprise_org, fields, monkeypatch
):
    """docs/adr/0030-engine-at-city-scale.md, "The platform's build streamed": the build streams the listings into
    Engine.load a chunk at a time; with chunks of two rows it gives the index one chunk gives."""
    titles = ["太赫兹成像安检仪", "激光焊接在线监测", "固态电池电解质", "柔性显示薄膜", "碳化硅功率器件"]
    achievements = [make_achievement(institute_org, title=t) for t in titles]
    demands = [make_demand(enterprise_org, title=f"需求：{t}") for t in titles[:3]]
    assert matching.compute_vectors([f"achievement:{a.pk}" for a in achievements]) == len(achievements)

    def build(chunk):
        monkeypatch.setattr(matching, "BUILD_CHUNK", chunk)
        matching.reset()
        engine = matching.get_engine()
        hits = {q: [(h.id, round(h.score, 6)) for h in engine.search(q, k=10)] for q in titles}
        return sorted(engine.ids()), dict(matching._index.meta), sorted(engine.missing_vectors()), hits

    seen = []
    real = matching._listing_rows
    monkeypatch.setattr(
        matching, "_listing_rows", lambda model, qs, tax: seen.append(qs.count()) or real(model, qs, tax)
    )
    small = build(2)
    assert seen and max(seen) == 2  # never more than one chunk of listings read at a time
    assert sum(seen) == len(achievements) + len(demands)
    whole = build(10_000)
    assert small == whole
    ids, meta, missing, _ = small
    assert {f"achievement:{a.pk}" for a in achievements} <= set(ids) and set(meta) == set(ids)
    assert not {f"achievement:{a.pk}" for a in achievements} & set(missing)  # vectors loaded in chunks too


def test_the_build_reads_plain_rows_and_makes_the_documents_a_listing_instance_makes(
    institute_org, enterprise_org, fields, django_assert_num_queries
):
    """docs/adr/0030-engine-at-city-scale.md, "The platform at 1M": the build reads each chunk's columns
    and field links in two queries, without a model instance per listing, and the documents and
    metadata are those that ``document_for`` makes from the instance."""
    from kechuang.directory.models import Park
    from kechuang.transfer.models import Achievement, Demand

    institute_org.park = Park.objects.create(code="GJS", name="上海光机所菊园科创园")
    institute_org.save()
    fields["AUTO"].sort_order = 100  # after OPT.LASER although its code sorts first: fields.all()'s order
    fields["AUTO"].save()
    made = [
        make_achievement(
            institute_org, keywords="激光焊接，铝合金;车身、 电池", fields=["OPT.LASER", "AUTO"]
        ),
        make_achievement(institute_org, title="无领域的成果", keywords="", fields=["OPT.LASER"]),
        make_demand(enterprise_org, budget_min_fen=100, budget_max_fen=5_000_000),
        make_demand(enterprise_org, title="无预算的需求", visibility="members"),
    ]
    Achievement.fields.through.objects.filter(achievement_id=made[1].pk).delete()  # no field at all
    tax = matching.Taxonomy.load()
    for model in (Achievement, Demand):
        listings = list(model.objects.order_by("pk"))
        for listing in listings:
            listing.refresh_from_db()
        with django_assert_num_queries(2):
            docs, meta = matching._listing_rows(model, model.objects.order_by("pk"), tax)
        assert docs == [matching.document_for(listing, tax) for listing in listings]
        assert meta == {
            f"{model.KIND}:{x.pk}": matching.DocMeta(model.KIND, x.pk, x.visibility, x.organization_id)
            for x in listings
        }
    first, no_field = matching._listing_rows(Achievement, Achievement.objects.order_by("pk"), tax)[0]
    assert first.fields == ("OPT.LASER", "AUTO") and first.park == "GJS" and "电池" in first.tags
    assert no_field.fields == () and no_field.cluster is None
    assert matching._listing_rows(Achievement, Achievement.objects.none(), tax) == ([], {})


def test_above_the_city_scale_threshold_the_substring_match_covers_only_what_the_engine_does_not_hold(
    client, operator, fields, settings
):
    """docs/adr/0030-engine-at-city-scale.md, "The list search at city scale": with more documents in
    the engine than SEARCH_SUBSTRING_ALL_MAX, a published listing is found through the engine's ranking
    only (the substring scan read every row: 13 to 21 s at a million listings), while a listing under review, which the
    engine does not hold, is still found by substring."""
    from kechuang.testing.factories import InstituteFactory

    org = InstituteFactory(name="菊园鸿鹄研究院")
    published = make_achievement(org, title="固态电池电解质", keywords="固态电池", fields=["IOT.SENSOR"])
    pending = make_achievement(org, status="submitted", title="鸿鹄焊缝跟踪算法", fields=["IOT.SENSOR"])
    query = "鸿鹄"  # in the organization's name and the pending title, not in the published text
    engine = matching.get_engine()
    assert f"achievement:{published.pk}" not in _ids(engine.search(query, k=50, kinds=("achievement",)))
    client.force_login(operator)

    def listed():
        # the API's list (every status the operator may see) and the public list page
        found = {a.code for a in selectors.achievement_list(actor=operator, filters={"q": query})}
        page = client.get("/transfer/achievements/", {"q": query}).content.decode()
        return found, {a.code for a in (published, pending) if a.code in page}

    settings.SEARCH_SUBSTRING_ALL_MAX = 50_000  # the district's catalogue: every listing by substring too
    assert listed() == ({published.code, pending.code}, {published.code})
    settings.SEARCH_SUBSTRING_ALL_MAX = 0  # as at city scale
    assert listed() == ({pending.code}, set())
    # the substring match only ever reads the statuses the engine does not hold (the status index),
    # and the page's rows are then selected by primary key
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert selectors.achievement_list(actor=operator, filters={"q": query}).count() == 1
    like = [q["sql"] for q in captured.captured_queries if "LIKE" in q["sql"]]
    assert len(like) == 1 and "'submitted'" in like[0] and "'published'" not in like[0]
    # a published listing the engine ranks is found as before
    page = client.get("/transfer/achievements/", {"q": "固态电池电解质"}).content.decode()
    assert published.code in page


def test_a_city_scale_list_search_says_it_shows_the_most_relevant_only(
    client, institute_org, fields, settings, monkeypatch
):
    from kechuang.transfer import filters

    for i in range(3):
        make_achievement(institute_org, title=f"钙钛矿光伏组件第{i}代", keywords="钙钛矿 光伏")
    monkeypatch.setattr(filters, "SEARCH_LIMIT", 2)
    settings.SEARCH_SUBSTRING_ALL_MAX = 0
    page = client.get("/transfer/achievements/", {"q": "钙钛矿光伏"}).content.decode()
    assert 'data-testid="search-capped"' in page and "只按相关度列出最相关的一批" in page
    assert "共 2 项成果" in page
    settings.SEARCH_SUBSTRING_ALL_MAX = 50_000  # a district's catalogue: all three, no note
    page = client.get("/transfer/achievements/", {"q": "钙钛矿光伏"}).content.decode()
    assert 'data-testid="search-capped"' not in page and "共 3 项成果" in page
