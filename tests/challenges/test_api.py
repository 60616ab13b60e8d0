"""The whole lifecycle through the API (/api/v1/challenges/…)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from kechuang.challenges import factories
from kechuang.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.mark.slow
def test_whole_lifecycle_through_the_api(
    enterprise_user, operator, operator2, institute_user, other_enterprise_user, experts, media_root
):
    issuer = _api(enterprise_user)
    deadline = (timezone.localdate() + dt.timedelta(days=15)).isoformat()
    response = issuer.post(
        "/api/v1/challenges/",
        {
            "title": "动力电池热失控早期预警",
            "problem": "提前预警",
            "indicators": "≥ 10 分钟",
            "issuer_fen": 20_000_000,
            "subsidy_fen": 10_000_000,
            "deadline": deadline,
            "ip_terms": "共有",
            "max_winners": 1,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    assert response.json()["budget_fen"] == 30_000_000 and response.json()["status"] == "draft"
    assert issuer.post(f"/api/v1/challenges/{code}/submit/").json()["status"] == "submitted"
    reviewed = _api(operator).post(f"/api/v1/challenges/{code}/review/", {"approve": True}, format="json")
    assert reviewed.json()["status"] == "published"

    applied = _api(institute_user).post(
        f"/api/v1/challenges/{code}/apply/",
        {"team": "团队", "plan": "方案", "milestones": "三阶段", "budget_fen": 25_000_000},
        format="json",
    )
    assert applied.status_code == 201, applied.json()
    first = applied.json()["code"]
    upload = _api(institute_user).post(
        f"/api/v1/challenges/applications/{first}/attachments/",
        {"file": SimpleUploadedFile("方案.pdf", factories.minimal_pdf())},
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    bad = _api(institute_user).post(
        f"/api/v1/challenges/applications/{first}/attachments/",
        {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00binary")},
        format="multipart",
    )
    assert bad.status_code == 400 and "file" in bad.json()
    second = (
        _api(other_enterprise_user)
        .post(
            f"/api/v1/challenges/{code}/apply/",
            {"team": "团队", "plan": "方案", "milestones": "两阶段", "budget_fen": 20_000_000},
            format="json",
        )
        .json()["code"]
    )

    op = _api(operator)
    assert op.post(f"/api/v1/challenges/{code}/close/").json()["status"] == "closed"
    panel = op.post(
        f"/api/v1/challenges/{code}/panel/",
        {"experts": [experts.a.person.pk, experts.b.person.pk]},
        format="json",
    )
    assert panel.status_code == 200, panel.json()
    for user, values in ((experts.a.user, (90, 60)), (experts.b.user, (80, 70))):
        for application, value in zip((first, second), values, strict=True):
            scored = _api(user).post(
                f"/api/v1/challenges/applications/{application}/score/",
                {
                    "values": {"tech": value, "team": value, "indicators": value, "budget": value},
                    "comment": "可行",
                },
                format="json",
            )
            assert scored.status_code == 200, scored.json()
    closed = op.post(f"/api/v1/challenges/{code}/close-panel/").json()
    assert [r["application"] for r in closed["ranking"]] == [first, second]
    awarded = op.post(f"/api/v1/challenges/{code}/award/", {"winners": [first]}, format="json")
    assert awarded.status_code == 200, awarded.json()
    award = awarded.json()[0]["code"]

    today = timezone.localdate()
    plan = [
        {
            "title": f"阶段{i}",
            "criteria": "达标",
            "due_on": (today + dt.timedelta(days=30 * i)).isoformat(),
            "amount_fen": 10_000_000,
        }
        for i in (1, 2, 3)
    ]
    signed = issuer.post(
        f"/api/v1/challenges/awards/{award}/sign/", {"task_book": "任务书", "milestones": plan}, format="json"
    )
    assert signed.status_code == 200, signed.json()
    milestone = signed.json()["milestones"][0]["code"]
    assert (
        _api(institute_user)
        .post(f"/api/v1/challenges/milestones/{milestone}/deliver/", {"note": "完成"}, format="json")
        .json()["status"]
        == "delivered"
    )
    assert (
        issuer.post(f"/api/v1/challenges/milestones/{milestone}/accept/", {}, format="json").json()["status"]
        == "accepted"
    )
    assert (
        op.post(f"/api/v1/challenges/milestones/{milestone}/request-payment/").json()["status"] == "requested"
    )
    assert op.post(f"/api/v1/challenges/milestones/{milestone}/pay/").status_code == 403  # maker-checker
    paid = _api(operator2).post(f"/api/v1/challenges/milestones/{milestone}/pay/")
    assert paid.status_code == 200 and paid.json()["status"] == "paid" and paid.json()["paid_at"]
    assert JournalEntry.objects.filter(kind="challenges.tranche").count() == 1
    again = _api(operator2).post(f"/api/v1/challenges/milestones/{milestone}/pay/")
    assert again.status_code == 400 and "重复" in str(again.json())

    progress = APIClient().get(f"/api/v1/challenges/{code}/progress/").json()
    assert progress[0]["paid_fen"] == 10_000_000 and progress[0]["task_book"] is None
    loser = _api(other_enterprise_user).get(f"/api/v1/challenges/applications/{second}/").json()
    assert loser["status"] == "not_chosen" and "共 2 家" in loser["decision_reason"] and loser["rank"] == 2


def test_api_bad_input_is_a_clean_400_naming_the_field(enterprise_user):
    response = _api(enterprise_user).post(
        "/api/v1/challenges/",
        {
            "title": "长" * 121,
            "problem": "p",
            "indicators": "i",
            "issuer_fen": 0,
            "subsidy_fen": 0,
            "deadline": "2030-01-01",
            "ip_terms": "t",
        },
        format="json",
    )
    assert response.status_code == 400 and "title" in response.json()
    nul = _api(enterprise_user).post("/api/v1/challenges/", {"title": "x\x00"}, format="json")
    assert nul.status_code == 400
    response = _api(enterprise_user).post(
        "/api/v1/challenges/",
        {
            "title": "t",
            "problem": "p",
            "indicators": "i",
            "issuer_fen": 0,
            "subsidy_fen": 0,
            "deadline": "2030-01-01",
            "ip_terms": "t",
        },
        format="json",
    )
    assert response.status_code == 400 and "issuer_fen" in response.json()


def test_candidate_solvers_come_with_reasons(challenge, enterprise_user, enterprise_org, institute_user):
    from kechuang.testing.factories import InstituteFactory
    from kechuang.transfer import matching

    InstituteFactory(
        name="智能感知激光雷达研究院", description="激光雷达点云实时处理、嵌入式目标识别算法研究"
    )
    matching.reset()
    response = _api(enterprise_user).get(f"/api/v1/challenges/{challenge.code}/candidates/")
    assert response.status_code == 200
    rows = response.json()
    names = [row["name"] for row in rows if row["kind"] == "organization"]
    assert "智能感知激光雷达研究院" in names and enterprise_org.name not in names
    assert any(row["reasons"] for row in rows)
    assert _api(institute_user).get(f"/api/v1/challenges/{challenge.code}/candidates/").status_code == 403
