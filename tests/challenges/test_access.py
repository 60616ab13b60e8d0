"""docs/reliability.md B1–B3 for the challenge module: the approved role × action matrix, every page and API
route answered as approved for each role, other organizations' objects are 404 and refused writes change
nothing; conflicts of interest and blind scoring hold on the pages and in the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from kechuang.challenges import factories, permissions, services
from kechuang.challenges.models import Application, Challenge, Milestone, Score, TranchePayment

pytestmark = pytest.mark.django_db

ROLES = [
    "operator",
    "leader",
    "commissioner",
    "enterprise_user",
    "other_enterprise_user",
    "institute_user",
    "provider_user",
    "expert_user",
    "sysadmin",
    "auditor",
]

# The approved matrix (B3): who may do each action at all (object rules come on top).
APPROVED = {
    "create_challenge": {"operator", "enterprise_user", "other_enterprise_user"},
    "review_challenge": {"operator"},
    "apply": {"enterprise_user", "other_enterprise_user", "institute_user", "provider_user"},
    "build_panel": {"operator"},
    "score": {"expert_user"},
    "close_panel": {"operator"},
    "award": {"operator"},
    "sign_task_book": {"operator", "enterprise_user", "other_enterprise_user"},
    "deliver_milestone": {"enterprise_user", "other_enterprise_user", "institute_user", "provider_user"},
    "accept_milestone": {"operator", "enterprise_user", "other_enterprise_user"},
    "request_tranche": {"operator"},
    "approve_tranche": {"operator", "leader"},
    "read_all": {"operator", "leader", "auditor"},
}


@pytest.fixture
def people(request):
    return {name: request.getfixturevalue(name) for name in ROLES}


def test_permission_table_matches_the_approved_matrix(people):
    generated = {
        action: {name for name, user in people.items() if permissions.may(user, action)}
        for action in permissions.PERMISSION_TABLE
    }
    assert generated == APPROVED


def test_system_administrator_and_auditor_cannot_change_anything(award, sysadmin, auditor):
    milestone = award.milestones.get(sequence=1)
    for user in (sysadmin, auditor):
        assert not permissions.can_deliver_milestone(user, milestone)
        assert not permissions.can_create_challenge(user, award.challenge.issuer)
        assert not permissions.can_award(user, award.challenge)


# --- pages: the role matrix ------------------------------------------------------------------------------


@pytest.fixture
def world(award, applications, enterprise_user, enterprise_org, experts, media_root):
    draft = factories.make_challenge(actor=enterprise_user, issuer=enterprise_org, title="草稿")
    return {
        "award": award,
        "challenge": award.challenge,
        "draft": draft,
        "won": applications.institute,
        "lost": applications.enterprise,
    }


OK, LOGIN, DENIED, HIDDEN = 200, "login", 403, 404


def _status(response):
    if response.status_code == 302 and "/accounts/login/" in response["Location"]:
        return LOGIN
    return response.status_code


@pytest.mark.slow
def test_pages_answer_each_role_as_approved(client, world, people):
    c, d, won, award = world["challenge"].code, world["draft"].code, world["won"].code, world["award"].code
    pages = {
        reverse("challenges:home"): {None: OK, "*": OK},
        reverse("challenges:work"): {None: LOGIN, "*": OK},
        reverse("challenges:challenge-create"): {
            None: LOGIN,
            "*": DENIED,
            "operator": OK,
            "enterprise_user": OK,
            "other_enterprise_user": OK,
        },
        reverse("challenges:challenge-detail", args=[c]): {None: OK, "*": OK},
        reverse("challenges:challenge-progress", args=[c]): {None: OK, "*": OK},
        reverse("challenges:award-detail", args=[award]): {None: OK, "*": OK},
        reverse("challenges:challenge-detail", args=[d]): {
            None: HIDDEN,
            "*": HIDDEN,
            "enterprise_user": OK,
            "operator": OK,
            "leader": OK,
            "auditor": OK,
        },
        reverse("challenges:challenge-update", args=[d]): {
            None: LOGIN,
            "*": HIDDEN,
            "enterprise_user": OK,
            "operator": OK,
            "leader": DENIED,
            "auditor": DENIED,
        },
        reverse("challenges:challenge-candidates", args=[c]): {
            None: LOGIN,
            "*": DENIED,
            "operator": OK,
            "enterprise_user": OK,
        },
        reverse("challenges:panel", args=[c]): {
            None: LOGIN,
            "*": DENIED,
            "operator": OK,
            "leader": OK,
            "auditor": OK,
            "expert_user": OK,
            "enterprise_user": OK,
        },
        reverse("challenges:application-detail", args=[won]): {
            None: LOGIN,
            "*": HIDDEN,
            "operator": OK,
            "leader": OK,
            "auditor": OK,
            "institute_user": OK,
            "enterprise_user": OK,
            "expert_user": OK,
        },
        reverse("challenges:application-create", args=[c]): {None: LOGIN, "*": DENIED},
    }
    wrong = {}
    for url, expected in pages.items():
        for name in [None, *ROLES]:
            client.logout()
            if name:
                client.force_login(people[name])
            want = expected.get(name, expected.get("*"))
            got = _status(client.get(url))
            if got != want:
                wrong[(url, name)] = (got, want)
    assert not wrong


def test_another_organization_cannot_act_on_an_application_and_nothing_changes(
    client, world, other_enterprise_user, media_root
):
    won = world["won"]
    client.force_login(other_enterprise_user)
    before = list(Application.objects.order_by("pk").values())
    for name in ("application-withdraw", "application-attach", "application-score"):
        response = client.post(
            reverse(f"challenges:{name}", args=[won.code]),
            {"file": SimpleUploadedFile("a.pdf", factories.minimal_pdf())},
        )
        assert response.status_code == 404, name
    assert list(Application.objects.order_by("pk").values()) == before


def test_another_organization_cannot_move_milestones_or_pay(
    client, world, other_enterprise_user, provider_user
):
    milestone = world["award"].milestones.get(sequence=1)
    for user in (other_enterprise_user, provider_user):
        client.force_login(user)
        for step in ("deliver", "accept", "request", "pay"):
            client.post(reverse(f"challenges:milestone-{step}", args=[milestone.code]), {"note": "越权"})
    milestone.refresh_from_db()
    assert milestone.status == "planned" and not TranchePayment.objects.exists()


def test_another_enterprise_cannot_edit_submit_or_withdraw_a_draft(client, world, other_enterprise_user):
    draft = world["draft"]
    client.force_login(other_enterprise_user)
    for name in ("challenge-update", "challenge-submit", "challenge-withdraw", "challenge-review"):
        assert (
            client.post(reverse(f"challenges:{name}", args=[draft.code]), {"reason": "x"}).status_code == 404
        )
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.title == "草稿"


def test_attachments_download_only_for_those_who_see_the_application(
    client, challenge, institute_user, institute_org, other_enterprise_user, enterprise_user, media_root
):
    application = factories.make_application(
        challenge=challenge, actor=institute_user, organization=institute_org
    )
    attachment = services.attachment_add(
        actor=institute_user,
        application=application,
        file=SimpleUploadedFile("方案.pdf", factories.minimal_pdf()),
    )
    url = reverse("challenges:attachment-download", args=[attachment.token])
    assert client.get(url).status_code == 404
    client.force_login(other_enterprise_user)
    assert client.get(url).status_code == 404
    client.force_login(enterprise_user)  # the issuer
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


# --- conflicts of interest and blind scoring on the pages --------------------------------------------------


def test_conflicted_expert_sees_neither_the_application_page_nor_its_attachment(
    client, panel, applications, experts, media_root
):
    panel.members.create(expert=experts.conflicted.person)  # forced behind the service's back
    client.force_login(experts.conflicted.user)
    assert (
        client.get(reverse("challenges:application-detail", args=[applications.institute.code])).status_code
        == 404
    )
    assert (
        client.get(reverse("challenges:application-detail", args=[applications.enterprise.code])).status_code
        == 200
    )
    page = client.get(reverse("challenges:panel", args=[panel.challenge.code])).content.decode()
    assert applications.institute.code not in page and applications.enterprise.code in page


def test_conflicted_expert_cannot_download_the_attachment(
    client, panel, applications, experts, institute_user, media_root
):
    from kechuang.challenges.models import ApplicationAttachment

    attachment = ApplicationAttachment.objects.create(
        application=applications.institute,
        original_name="方案.pdf",
        content_type="application/pdf",
        kind_label="PDF",
        size=10,
        sha256="0" * 64,
        file="challenges/none",
    )
    panel.members.create(expert=experts.conflicted.person)
    client.force_login(experts.conflicted.user)
    assert client.get(reverse("challenges:attachment-download", args=[attachment.token])).status_code == 404


def test_scores_stay_hidden_on_the_pages_until_the_panel_closes(
    client, scored_panel, applications, experts, operator
):
    code = scored_panel.challenge.code
    client.force_login(experts.b.user)
    page = client.get(reverse("challenges:panel", args=[code])).content.decode()
    assert "80.00" in page and "90.00" not in page  # own score only (expert a gave 90)
    detail = client.get(
        reverse("challenges:application-detail", args=[applications.institute.code])
    ).content.decode()
    assert "score-table" not in detail and "90" not in detail.split("score-box")[0][-200:]
    client.force_login(operator)
    page = client.get(reverse("challenges:panel", args=[code])).content.decode()
    assert "90.00" not in page and "80.00" not in page and "•••" in page
    services.panel_close(actor=operator, panel=scored_panel)
    page = client.get(reverse("challenges:panel", args=[code])).content.decode()
    assert "90" in page and "85.00" in page  # every score and the mean once closed


# --- the API ------------------------------------------------------------------------------------------------


def _api(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def test_published_challenges_are_readable_anonymously_and_drafts_are_not(world):
    api = _api()
    listing = api.get("/api/v1/challenges/")
    codes = {row["code"] for row in listing.json()["results"]}
    assert world["challenge"].code in codes and world["draft"].code not in codes
    assert api.get(f"/api/v1/challenges/{world['draft'].code}/").status_code == 404
    assert api.get(f"/api/v1/challenges/{world['challenge'].code}/progress/").status_code == 200
    for url in (
        "/api/v1/challenges/applications/",
        "/api/v1/challenges/awards/",
        "/api/v1/challenges/milestones/",
    ):
        assert api.get(url).status_code in (401, 403)


@pytest.mark.slow
def test_api_applications_are_visible_only_to_their_parties(world, people):
    won = world["won"].code
    expected = {"operator", "leader", "auditor", "institute_user", "enterprise_user", "expert_user"}
    for name in ROLES:
        got = _api(people[name]).get(f"/api/v1/challenges/applications/{won}/").status_code
        assert got == (200 if name in expected else 404), name


@pytest.mark.slow
def test_api_refused_writes_change_nothing(
    world, other_enterprise_user, institute_user, enterprise_user, operator
):
    milestone = world["award"].milestones.get(sequence=1)
    before = list(Milestone.objects.order_by("pk").values())
    assert (
        _api(other_enterprise_user)
        .post(f"/api/v1/challenges/milestones/{milestone.code}/deliver/", {"note": "越权"}, format="json")
        .status_code
        == 403
    )
    assert (
        _api(institute_user)
        .post(f"/api/v1/challenges/milestones/{milestone.code}/accept/", {}, format="json")
        .status_code
        == 403
    )
    assert (
        _api(enterprise_user).post(f"/api/v1/challenges/milestones/{milestone.code}/pay/").status_code == 400
    )
    assert (
        _api(other_enterprise_user)
        .post(f"/api/v1/challenges/applications/{world['won'].code}/withdraw/")
        .status_code
        == 404
    )
    assert _api(institute_user).post(
        f"/api/v1/challenges/{world['challenge'].code}/award/",
        {"winners": [world["won"].code]},
        format="json",
    ).status_code in (400, 403)
    assert list(Milestone.objects.order_by("pk").values()) == before


def test_api_conflicted_expert_cannot_see_or_score(panel, applications, experts):
    panel.members.create(expert=experts.conflicted.person)
    api = _api(experts.conflicted.user)
    assert api.get(f"/api/v1/challenges/applications/{applications.institute.code}/").status_code == 404
    codes = {row["code"] for row in api.get("/api/v1/challenges/applications/").json()["results"]}
    assert applications.institute.code not in codes and applications.enterprise.code in codes
    response = api.post(
        f"/api/v1/challenges/applications/{applications.institute.code}/score/",
        {"values": {"tech": 90, "team": 90, "indicators": 90, "budget": 90}},
        format="json",
    )
    assert response.status_code == 404 and not Score.objects.exists()


def test_api_panel_build_refuses_a_conflicted_expert(challenge, applications, operator, experts):
    services.challenge_close(actor=operator, challenge=challenge)
    response = _api(operator).post(
        f"/api/v1/challenges/{challenge.code}/panel/",
        {"experts": [experts.conflicted.person.pk]},
        format="json",
    )
    assert response.status_code == 400 and "利益冲突" in str(response.json())
    assert Challenge.objects.get(pk=challenge.pk).status == "closed"


def test_api_scores_are_blind_until_the_panel_closes(scored_panel, experts, operator, leader):
    code = scored_panel.challenge.code
    mine = _api(experts.a.user).get(f"/api/v1/challenges/{code}/panel/").json()
    assert {s["expert"] for s in mine["scores"]} == {experts.a.person.name} and mine["ranking"] == []
    staff = _api(leader).get(f"/api/v1/challenges/{code}/panel/").json()
    assert staff["scores"] == [] and staff["scored"] == 4
    _api(operator).post(f"/api/v1/challenges/{code}/close-panel/")
    staff = _api(leader).get(f"/api/v1/challenges/{code}/panel/").json()
    assert len(staff["scores"]) == 4 and staff["ranking"][0]["score"] == 85.0
