"""Public challenges in the matching index: found by the site search (pages and API), offered on an
achievement's page to its owners as 可揭榜的榜单, announced once to the owners of strongly fitting
achievements; drafts, rejected and withdrawn challenges never appear, and the issuer's own achievements
are never offered its challenge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.challenges import factories, services
from kechuang.notifications.models import Notification
from kechuang.transfer import matching, selectors, strong
from kechuang.transfer.factories import ensure_fields, field_objects, make_achievement

LIDAR = {
    "title": "车规级激光雷达点云实时分割算法",
    "problem": "激光雷达点云在车载嵌入式平台上的实时分割与目标识别，要求低时延、低功耗。",
    "indicators": "单帧点云分割时延 ≤ 20 ms；目标识别准确率 ≥ 95%。",
}
LIDAR_ACHIEVEMENT = {
    "title": "激光雷达点云实时分割与目标识别算法",
    "summary": "面向车载激光雷达的点云实时分割算法，嵌入式平台单帧时延 15 毫秒，目标识别准确率 96%。",
    "problem_solved": "解决激光雷达点云在嵌入式平台上实时分割的时延与功耗问题。",
    "keywords": "激光雷达 点云 分割 目标识别",
}


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    yield
    matching.reset()


@pytest.fixture
def lidar_fields(db):
    ensure_fields()
    return field_objects(["OPT.LASER", "AUTO"])


def _published(enterprise_user, enterprise_org, operator, fields, run, **extra):
    with run():
        return factories.make_challenge(
            actor=enterprise_user,
            issuer=enterprise_org,
            publish_by=operator,
            fields=fields,
            **{**LIDAR, **extra},
        )


def _search_ids(actor, query="激光雷达 点云 分割"):
    return [f"{m.kind}:{m.obj.pk}" for m in selectors.search(actor=actor, query=query)]


def test_a_published_challenge_is_searchable_and_a_draft_is_not(
    enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks, client
):
    draft = factories.make_challenge(
        actor=enterprise_user,
        issuer=enterprise_org,
        fields=lidar_fields,
        title="草稿：激光雷达点云压缩",
        problem="激光雷达点云压缩传输。",
        indicators="压缩比 ≥ 10。",
    )
    challenge = _published(
        enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
    )
    from django.contrib.auth.models import AnonymousUser

    ids = _search_ids(AnonymousUser())
    assert f"challenge:{challenge.pk}" in ids
    assert f"challenge:{draft.pk}" not in ids
    # the search page shows it with a link to its public notice, and the API lists it under its kind
    page = client.get(reverse("transfer:search"), {"q": "激光雷达 点云 分割"})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("challenges:challenge-detail", args=[challenge.code]) in html and "揭榜榜单" in html
    assert "草稿：激光雷达点云压缩" not in html
    api = client.get("/api/v1/search/", {"q": "激光雷达 点云 分割", "kind": "challenge"}).json()
    assert [(r["kind"], r["ref"], r["organization"]) for r in api["results"]] == [
        ("challenge", challenge.code, enterprise_org.name)
    ]


def test_withdrawing_takes_it_out_of_the_index(
    enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
):
    challenge = _published(
        enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
    )
    assert f"challenge:{challenge.pk}" in _search_ids(operator)
    with django_capture_on_commit_callbacks(execute=True):
        services.challenge_withdraw(actor=enterprise_user, challenge=challenge, reason="技术路线调整")
    assert f"challenge:{challenge.pk}" not in _search_ids(operator)
    assert f"challenge:{challenge.pk}" not in matching.get_engine()


def test_another_process_builds_the_same_index_from_the_database(
    enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
):
    challenge = _published(
        enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
    )
    rejected = factories.make_challenge(
        actor=enterprise_user,
        issuer=enterprise_org,
        fields=lidar_fields,
        **{**LIDAR, "title": "被退回的激光雷达榜单"},
    )
    services.challenge_submit(actor=enterprise_user, challenge=rejected)
    services.challenge_review(actor=operator, challenge=rejected, approve=False, reason="指标不够具体")
    matching.reset()  # a fresh process
    engine = matching.get_engine()
    assert f"challenge:{challenge.pk}" in engine and f"challenge:{rejected.pk}" not in engine
    # its vector is one of those the background task computes
    assert f"challenge:{challenge.pk}" in matching.missing_vector_ids()
    assert matching.compute_vectors([f"challenge:{challenge.pk}"]) == 1
    assert f"challenge:{challenge.pk}" not in matching.missing_vector_ids()


@pytest.mark.slow
def test_an_achievement_page_offers_its_owners_the_open_challenges_it_may_answer(
    client,
    enterprise_user,
    enterprise_org,
    operator,
    institute_user,
    institute_org,
    lidar_fields,
    django_capture_on_commit_callbacks,
):
    challenge = _published(
        enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
    )
    closed_one = _published(
        enterprise_user,
        enterprise_org,
        operator,
        lidar_fields,
        django_capture_on_commit_callbacks,
        title="激光雷达点云分割（已截止）",
    )
    factories.make_application(challenge=closed_one, actor=institute_user, organization=institute_org)
    services.challenge_close(actor=operator, challenge=closed_one)
    achievement = make_achievement(institute_org, fields=["OPT.LASER", "AUTO"], **LIDAR_ACHIEVEMENT)
    client.force_login(institute_user)
    html = client.get(reverse("transfer:achievement-detail", args=[achievement.code])).content.decode()
    assert 'data-testid="achievement-challenges"' in html and "可揭榜的榜单" in html
    section = html[html.find('data-testid="achievement-challenges"') :]
    assert reverse("challenges:challenge-detail", args=[challenge.code]) in section
    assert reverse("challenges:challenge-detail", args=[closed_one.code]) not in section  # no longer open
    # the issuer's own achievement is never offered its own challenge
    own = make_achievement(
        enterprise_org,
        fields=["OPT.LASER", "AUTO"],
        **{**LIDAR_ACHIEVEMENT, "title": "发榜企业自己的激光雷达成果"},
    )
    recs = selectors.achievement_recommendations(actor=enterprise_user, achievement=own)
    assert recs.challenges == []


def test_strongly_fitting_achievements_hear_of_a_new_challenge_once(
    settings,
    enterprise_user,
    enterprise_org,
    operator,
    institute_org,
    institute_user,
    lidar_fields,
    django_capture_on_commit_callbacks,
):
    settings.MATCH_STRONG_MIN_FEATURE = 0.0
    settings.MATCH_STRONG_MIN_TERMS = 2
    achievement = make_achievement(institute_org, fields=["OPT.LASER", "AUTO"], **LIDAR_ACHIEVEMENT)
    secret = make_achievement(
        institute_org,
        fields=["OPT.LASER", "AUTO"],
        visibility="operators",
        **{**LIDAR_ACHIEVEMENT, "title": "保密：激光雷达点云分割"},
    )
    own = make_achievement(
        enterprise_org,
        fields=["OPT.LASER", "AUTO"],
        **{**LIDAR_ACHIEVEMENT, "title": "发榜企业自己的激光雷达成果"},
    )
    challenge = _published(
        enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks
    )
    doc_id = f"challenge:{challenge.pk}"
    assert strong.announce_for(doc_id) == 1
    assert strong.announce_for(doc_id) == 0  # once per challenge and achievement
    [note] = Notification.objects.filter(kind="challenges.match")
    assert note.recipient == institute_user
    assert challenge.title in note.title and achievement.title in note.title
    assert note.url == reverse("challenges:challenge-detail", args=[challenge.code])
    assert secret.title not in note.title and own.title not in note.title
    assert not Notification.objects.filter(kind="challenges.match", recipient=enterprise_user).exists()
    # a challenge no longer taking applications announces nothing
    services.challenge_withdraw(actor=enterprise_user, challenge=challenge, reason="暂缓")
    Notification.objects.all().delete()
    assert strong.announce_for(doc_id) == 0


def test_an_unrelated_open_challenge_is_not_offered(
    enterprise_user,
    enterprise_org,
    operator,
    institute_user,
    institute_org,
    lidar_fields,
    django_capture_on_commit_callbacks,
):
    """With few open challenges the best one may still be about something else: it is not offered."""
    _published(enterprise_user, enterprise_org, operator, lidar_fields, django_capture_on_commit_callbacks)
    unrelated = make_achievement(
        institute_org,
        fields=["OPT.LASER", "AUTO"],
        title="中药材成分检测试剂盒",
        summary="读数仪功耗很小。基于免疫层析，十分钟出结果。",
        problem_solved="中药材质量控制。",
        advantages="",
        scenarios="中药饮片厂。",
        keywords="中药材 试剂盒",
    )
    engine = matching.get_engine()
    [hit] = engine.recommend(matching.document_for(unrelated), k=3, kinds=("challenge",))
    assert [t for t in hit.matched_terms if len(t) > 1] == [
        "功耗"
    ]  # the engine does rank it (one shared word)
    recs = selectors.achievement_recommendations(actor=institute_user, achievement=unrelated)
    assert recs.challenges == []
