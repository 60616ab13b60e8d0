"""docs/reliability.md B1–B3 for investment: the role × action matrix generated from the rules and
compared with the approved one; leads are confidential (an enterprise, an institute or anyone outside the
district staff sees none of them, on the web or through the API: 403/404 and nothing changed); within
the staff only the lead's leader, case officer and operators see its investment and terms."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from rest_framework.test import APIClient

from kechuang.investment import services
from kechuang.investment.models import KeyProject, Lead, RetentionCase, StageEvidence
from kechuang.investment.permissions import PERMISSION_TABLE
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = [*MATRIX_ROLES[:3], "other_leader", *MATRIX_ROLES[3:]]
STAFF = frozenset({"operator", "commissioner", "leader", "other_leader"})
OP = frozenset({"operator"})
NOBODY: frozenset[str] = frozenset()

# perm → scope → roles. Scopes: "-" no object; "own": a lead led by ``leader`` and handled by
# ``commissioner`` (a project led by ``leader``, a case owned by ``commissioner``); "other": one where
# neither is an owner.
APPROVED = {
    "investment.view_lead": {"-": STAFF, "own": STAFF, "other": STAFF},
    "investment.add_lead": {"-": STAFF, "own": STAFF, "other": STAFF},
    "investment.see_confidential": {"-": OP, "own": OP | {"leader", "commissioner"}, "other": OP},
    "investment.work_lead": {"-": OP, "own": OP | {"leader", "commissioner"}, "other": OP},
    "investment.assign_lead": {"-": OP, "own": OP, "other": OP},
    "investment.view_pipeline": {"-": STAFF, "own": STAFF, "other": STAFF},
    "investment.add_keyproject": {"-": OP, "own": OP, "other": OP},
    # the "other" project is led by other_leader
    "investment.manage_keyproject": {"-": OP, "own": OP | {"leader"}, "other": OP | {"other_leader"}},
    "investment.add_retentioncase": {"-": STAFF, "own": STAFF, "other": STAFF},
    "investment.work_retentioncase": {"-": OP, "own": OP | {"commissioner"}, "other": OP},
}


@pytest.fixture
def other_leader(district_office):
    from kechuang.accounts.choices import Role
    from kechuang.testing.factories import user_with_role

    return user_with_role(Role.LEADER, district_office, username="lead2")


@pytest.fixture
def people(
    operator,
    commissioner,
    leader,
    other_leader,
    institute_user,
    enterprise_user,
    provider_user,
    expert_user,
    sysadmin,
    auditor,
):
    return {
        "operator": operator,
        "commissioner": commissioner,
        "leader": leader,
        "other_leader": other_leader,
        "institute": institute_user,
        "enterprise": enterprise_user,
        "provider": provider_user,
        "expert": expert_user,
        "sysadmin": sysadmin,
        "auditor": auditor,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def world(
    lead, other_lead, operator, leader, other_leader, commissioner, enterprise_org, other_enterprise_org
):
    own_project = services.project_create(
        actor=operator, name="智感二期", leader=leader, organization=enterprise_org
    )
    other_project = services.project_create(actor=operator, name="光擎新线", leader=other_leader)
    own_case = services.retention_case_open(
        actor=operator, organization=enterprise_org, signal="move_plan", detail="考虑外迁", owner=commissioner
    )
    other_case = services.retention_case_open(
        actor=operator,
        organization=other_enterprise_org,
        signal="move_plan",
        detail="考虑外迁",
        owner=operator,
    )
    return {
        "own": {"lead": lead, "project": own_project, "case": own_case},
        "other": {"lead": other_lead, "project": other_project, "case": other_case},
    }


def subject(perm: str, scope: str, world) -> object:
    if scope == "-":
        return None
    if perm.endswith("keyproject"):
        return world[scope]["project"]
    if perm.endswith("retentioncase"):
        return world[scope]["case"]
    return world[scope]["lead"]


def generated(people, world) -> dict:
    matrix: dict = {}
    for perm in sorted(p for p in rules.permissions.permissions if p.startswith("investment.")):
        matrix[perm] = {scope: set() for scope in ("-", "own", "other")}
        for role in ROLES:
            for scope in ("-", "own", "other"):
                if rules.has_perm(perm, people[role], subject(perm, scope, world)):
                    matrix[perm][scope].add(role)
    return matrix


def test_every_investment_permission_is_in_the_approved_matrix():
    assert {p for p in rules.permissions.permissions if p.startswith("investment.")} == set(APPROVED)


def test_role_matrix_generated_from_the_rules_matches_the_approved_matrix(people, world):
    assert generated(people, world) == {
        k: {s: set(v) for s, v in scopes.items()} for k, scopes in APPROVED.items()
    }


def test_permission_table_states_the_role_only_permissions():
    for perm, roles in PERMISSION_TABLE.items():
        assert {str(r) for r in roles} == set(APPROVED[perm]["-"]) - {"other_leader"}


# --- confidential: outsiders see nothing ------------------------------------------------------------------


def snapshot() -> tuple:
    return (
        list(
            Lead.objects.order_by("pk").values_list(
                "pk", "stage", "leader_id", "case_officer_id", "closed_reason"
            )
        ),
        StageEvidence.objects.count(),
        list(KeyProject.objects.order_by("pk").values_list("pk", "status")),
        list(RetentionCase.objects.order_by("pk").values_list("pk", "status")),
    )


@pytest.mark.parametrize(
    "outsider", ["enterprise_user", "institute_user", "provider_user", "expert_user", "auditor"]
)
def test_outsiders_get_nothing_on_the_web(client, world, outsider, request):
    client.force_login(request.getfixturevalue(outsider))
    lead, project, case = world["own"]["lead"], world["own"]["project"], world["own"]["case"]
    before = snapshot()
    for url in [
        reverse("investment:lead-board"),
        reverse("investment:leader-view"),
        reverse("investment:project-list"),
        reverse("investment:retention-list"),
        reverse("investment:lead-create"),
    ]:
        assert client.get(url).status_code == 403, url
    for url in [
        reverse("investment:lead-detail", args=[lead.code]),
        reverse("investment:project-detail", args=[project.code]),
        reverse("investment:retention-detail", args=[case.code]),
    ]:
        assert client.get(url).status_code in (403, 404), url
    for url, data in [
        (reverse("investment:lead-action", args=[lead.code, "advance"]), {"note": "研判"}),
        (
            reverse("investment:lead-action", args=[lead.code, "close"]),
            {"outcome": "lost", "reason_code": "own"},
        ),
        (reverse("investment:lead-action", args=[lead.code, "owners"]), {}),
        (reverse("investment:lead-create"), {"source": "event", "name": "新线索"}),
        (
            reverse("investment:project-action", args=[project.code, "status"]),
            {"status": "blocked", "note": "x"},
        ),
        (
            reverse("investment:retention-action", args=[case.code, "close"]),
            {"outcome": "lost", "reason_code": "own", "reason": "x"},
        ),
    ]:
        assert client.post(url, data).status_code in (403, 404), url
    assert snapshot() == before
    home = client.get(reverse("core:home")).content.decode()
    assert lead.name not in home and 'data-testid="investment-home"' not in home


def test_outsiders_get_nothing_through_the_api(world, enterprise_user):
    api = APIClient()
    api.force_authenticate(enterprise_user)
    lead = world["own"]["lead"]
    before = snapshot()
    assert api.get("/api/v1/leads/").json()["results"] == []
    assert api.get("/api/v1/key-projects/").json()["results"] == []
    base = f"/api/v1/leads/{lead.code}/"
    assert api.get(base).status_code == 404
    assert api.post(base + "advance/", {"note": "研判"}, format="json").status_code == 404
    assert (
        api.post(base + "close/", {"outcome": "lost", "reason_code": "own"}, format="json").status_code == 404
    )
    assert api.post("/api/v1/leads/", {"source": "event", "name": "新线索"}, format="json").status_code == 403
    assert snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("investment:lead-detail", args=[world["own"]["lead"].code]))
    assert response.status_code == 302 and "login" in response["Location"]
    assert APIClient().get("/api/v1/leads/").status_code in (401, 403)


# --- within the staff: confidential fields --------------------------------------------------------------


def test_only_owners_and_operators_see_investment_and_terms(
    client, world, leader, other_leader, commissioner, operator
):
    lead = world["own"]["lead"]
    url = reverse("investment:lead-detail", args=[lead.code])
    for user, sees in ((leader, True), (commissioner, True), (operator, True), (other_leader, False)):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert ("三年租金减半" in page) is sees, user
        assert ('data-testid="lead-investment"' in page) is sees, user
        assert ('data-testid="lead-confidential-hidden"' in page) is not sees, user
        api = APIClient()
        api.force_authenticate(user)
        answer = api.get(f"/api/v1/leads/{lead.code}/").json()
        assert (answer["planned_investment_fen"] == lead.planned_investment_fen) is sees
        assert (answer["terms"] is None) is not sees


def test_a_staff_member_who_does_not_own_the_lead_cannot_move_it(client, world, other_leader):
    lead = world["own"]["lead"]
    before = snapshot()
    client.force_login(other_leader)
    assert (
        client.post(
            reverse("investment:lead-action", args=[lead.code, "advance"]), {"note": "研判"}
        ).status_code
        == 403
    )
    api = APIClient()
    api.force_authenticate(other_leader)
    assert api.post(f"/api/v1/leads/{lead.code}/advance/", {"note": "研判"}, format="json").status_code == 403
    assert snapshot() == before


def test_documents_are_served_only_to_those_who_see_confidential_fields(
    client, world, commissioner, other_leader
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lead = world["own"]["lead"]
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    document = services.document_add(
        actor=commissioner,
        lead=lead,
        file=SimpleUploadedFile("商业计划书.pdf", pdf, content_type="application/pdf"),
    )
    url = reverse("investment:document-download", args=[document.token])
    client.force_login(commissioner)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == pdf
    client.force_login(other_leader)
    assert client.get(url).status_code == 403
