"""/api/v1/leads/ and /api/v1/key-projects/: staff create and move leads through the
services; duplicates answer 409 with the existing code; registration lands the firm."""

from __future__ import annotations

import pytest
from inv_helpers import advance
from rest_framework.test import APIClient

from kechuang.investment.choices import LeadStage
from kechuang.investment.models import Lead
from kechuang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_staff_create_a_lead_and_a_duplicate_answers_409_with_the_existing_code(
    frozen, commissioner, cluster
):
    api = client_for(commissioner)
    body = {
        "source": "spin_off",
        "name": "微纳光子研发团队",
        "cluster": cluster.code,
        "planned_investment_fen": 300_000_000,
    }
    created = api.post("/api/v1/leads/", body, format="json")
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert created.json()["stage"] == LeadStage.LEAD
    again = api.post("/api/v1/leads/", {**body, "name": "微纳光子 研发团队"}, format="json")
    assert again.status_code == 409 and code in again.json()["detail"]
    flagged = api.post(
        "/api/v1/leads/",
        {**body, "name": "微纳光子研发团队", "allow_duplicate": True},
        format="json",
    )
    assert flagged.status_code == 201
    assert Lead.objects.get(code=flagged.json()["code"]).duplicate_of.code == code


def test_the_api_moves_a_lead_and_lands_it_at_registration(lead, commissioner, operator, leader):
    api = client_for(commissioner)
    base = f"/api/v1/leads/{lead.code}/"
    refused = api.post(base + "advance/", {"note": ""}, format="json")
    assert refused.status_code == 400 and "研判意见" in str(refused.json())
    for note in ("研判通过", "意向书", "协议已签"):
        assert api.post(base + "advance/", {"note": note}, format="json").status_code == 200
    bad = api.post(base + "advance/", {"note": "营业执照", "uscc": "91310114MA1GT0000X"}, format="json")
    assert bad.status_code == 400 and "校验位" in str(bad.json())
    uscc = make_uscc(9)
    landed = api.post(
        base + "advance/",
        {"note": "营业执照", "uscc": uscc, "commissioner": commissioner.username},
        format="json",
    )
    assert landed.status_code == 200 and landed.json()["stage"] == LeadStage.REGISTERED
    assert landed.json()["organization"] is not None
    recorded = api.post(base + "record/", {"text": "已反馈企业", "feedback": True}, format="json")
    assert recorded.status_code == 200
    assigned = client_for(operator).post(
        base + "assign/", {"leader": leader.username, "case_officer": operator.username}, format="json"
    )
    assert assigned.status_code == 200 and assigned.json()["case_officer"] == operator.username
    assert (
        client_for(commissioner)
        .post(base + "assign/", {"leader": leader.username}, format="json")
        .status_code
        == 403
    )


def test_close_needs_a_reason(lead, commissioner):
    api = client_for(commissioner)
    base = f"/api/v1/leads/{lead.code}/close/"
    assert api.post(base, {"outcome": "lost", "reason": "落户外省"}, format="json").status_code == 400
    assert api.post(base, {"outcome": "lost", "reason_code": "other"}, format="json").status_code == 400
    closed = api.post(
        base, {"outcome": "lost", "reason_code": "elsewhere", "reason": "落户外省"}, format="json"
    )
    assert closed.status_code == 200
    assert (closed.json()["closed_reason_code"], closed.json()["closed_reason"]) == ("elsewhere", "落户外省")


def test_key_projects_are_listed_for_staff(frozen, operator, leader, enterprise_org):
    from kechuang.investment import services

    project = services.project_create(
        actor=operator, name="智感二期扩产", leader=leader, organization=enterprise_org
    )
    answer = client_for(leader).get("/api/v1/key-projects/").json()["results"]
    assert [row["code"] for row in answer] == [project.code]
    assert client_for(leader).get(f"/api/v1/key-projects/{project.code}/").json()["leader"] == leader.username


def test_list_queries_do_not_grow_with_the_leads(frozen, operator, lead, django_assert_max_num_queries):
    from inv_helpers import lead_input

    from kechuang.investment import services

    for index in range(10):
        services.lead_create(
            actor=operator, data=lead_input(f"测试{index}号光电有限公司"), leader=lead.leader
        )
    advance(operator, lead, "研判")
    api = client_for(operator)
    api.get("/api/v1/leads/")
    with django_assert_max_num_queries(10):
        assert len(api.get("/api/v1/leads/").json()["results"]) == 11


def test_the_projects_leader_reports_status_and_raises_issues_through_the_api(
    frozen, operator, leader, enterprise_org, district_office
):
    from kechuang.investment import services
    from kechuang.testing.factories import user_with_role

    project = services.project_create(
        actor=operator, name="智感二期扩产", leader=leader, organization=enterprise_org
    )
    base = f"/api/v1/key-projects/{project.code}/"
    reported = client_for(leader).post(
        base + "report/", {"status": "blocked", "note": "供电未批"}, format="json"
    )
    assert reported.status_code == 200 and reported.json()["status"] == "blocked"
    raised = client_for(leader).post(
        base + "issues/", {"text": "供电增容", "department": "planning"}, format="json"
    )
    assert raised.status_code == 201 and raised.json()["department"] == "planning"
    other = user_with_role("leader", district_office, username="lead2")
    assert client_for(other).post(base + "report/", {"status": "on_track"}, format="json").status_code == 403
