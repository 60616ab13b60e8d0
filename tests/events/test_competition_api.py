"""The competitions API: public reads (results only from the 公示 on), entering, blind scoring with
recusal, objections during the 公示; and the API fuzzing per role class."""

from __future__ import annotations

import pytest
from competition_helpers import enter, expert, make_competition, sheet, track
from rest_framework.test import APIClient

from fuzz import fuzz_roles, operations
from kechuang.events import services
from kechuang.events.choices import Round

pytestmark = pytest.mark.django_db


@pytest.fixture
def judged(operator, district_office, enterprise_user, enterprise_org, institute_user, institute_org):
    competition = make_competition(operator, district_office)
    a = enter(institute_user, competition, institute_org, "强激光清洗装备")
    b = enter(enterprise_user, competition, enterprise_org, "生物芯片快检")
    services.competition_close_entries(actor=operator, competition=competition)
    for entry in (a, b):
        services.entry_screen(actor=operator, entry=entry, eligible=True)
    fair_user, fair = expert("公正专家")
    conflicted_user, conflicted = expert("同单位专家", organization=enterprise_org)
    panel = services.panel_build(
        actor=operator, track=track(competition), round=Round.FIRST, experts=[fair, conflicted]
    )
    return {
        "competition": competition,
        "a": a,
        "b": b,
        "panel": panel,
        "fair": fair_user,
        "conflicted": conflicted_user,
    }


def test_public_reads_and_entering(operator, district_office, enterprise_user, enterprise_org):
    competition = make_competition(operator, district_office)
    public = APIClient()
    listed = public.get("/api/v1/competitions/").json()["results"]
    assert [c["code"] for c in listed] == [competition.code]
    assert (
        public.get(f"/api/v1/competitions/{competition.code}/").json()["tracks"][0]["prizes"][0]["name"]
        == "一等奖"
    )
    api = APIClient()
    api.force_authenticate(enterprise_user)
    response = api.post(
        f"/api/v1/competitions/{competition.code}/enter/",
        {
            "track": track(competition).pk,
            "organization": enterprise_org.pk,
            "project": "生物芯片快检",
            "summary": "快检芯片",
            "team": "三人",
        },
        format="json",
    )
    assert response.status_code == 201 and response.json()["code"].startswith("CS-")
    assert (
        public.get(f"/api/v1/competitions/{competition.code}/entries/").json()["results"] == []
    )  # not announced
    assert [
        e["project"] for e in api.get(f"/api/v1/competitions/{competition.code}/entries/").json()["results"]
    ] == ["生物芯片快检"]


def test_blind_scoring_and_recusal_through_the_api(judged):
    panel, a, b = judged["panel"], judged["a"], judged["b"]
    fair, conflicted = APIClient(), APIClient()
    fair.force_authenticate(judged["fair"])
    conflicted.force_authenticate(judged["conflicted"])
    url = f"/api/v1/competitions/panels/{panel.pk}/"
    refused = conflicted.post(url + "score/", {"entry": b.code, "values": sheet(99)}, format="json")
    assert refused.status_code == 403
    assert (
        conflicted.post(url + "score/", {"entry": a.code, "values": sheet(60)}, format="json").status_code
        == 200
    )
    assert fair.post(url + "score/", {"entry": a.code, "values": sheet(80)}, format="json").status_code == 200
    assert fair.post(url + "score/", {"entry": b.code, "values": sheet(70)}, format="json").status_code == 200
    mine = fair.get(url + "scores/").json()["results"]
    assert {s["entry"] for s in mine} == {a.code, b.code} and all(s["judge"] == "公正专家" for s in mine)
    assert [s["total_x100"] for s in conflicted.get(url + "scores/").json()["results"]] == [6000]
    entries = [
        e["code"]
        for e in conflicted.get(f"/api/v1/competitions/{judged['competition'].code}/entries/").json()[
            "results"
        ]
    ]
    assert b.code not in entries and a.code in entries


def test_competition_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations(r"^/api/v1/competitions")}
    for expected in [
        ("GET", "/api/v1/competitions/"),
        ("GET", "/api/v1/competitions/{code}/entries/"),
        ("POST", "/api/v1/competitions/{code}/enter/"),
        ("POST", "/api/v1/competitions/{code}/objections/"),
        ("POST", "/api/v1/competitions/panels/{id}/score/"),
        # the operators' steps
        ("POST", "/api/v1/competitions/{code}/open/"),
        ("POST", "/api/v1/competitions/{code}/close-entries/"),
        ("POST", "/api/v1/competitions/{code}/screen/"),
        ("POST", "/api/v1/competitions/{code}/panels/"),
        ("POST", "/api/v1/competitions/panels/{id}/close/"),
        ("POST", "/api/v1/competitions/{code}/publicize/"),
        ("POST", "/api/v1/competitions/{code}/resolve-objection/"),
        ("POST", "/api/v1/competitions/{code}/finalize/"),
        ("POST", "/api/v1/competitions/{code}/pay/"),
        ("POST", "/api/v1/competitions/{code}/aftercare/"),
        # roadshows and after the prize
        ("GET", "/api/v1/competitions/roadshow/entries/"),
        ("POST", "/api/v1/competitions/roadshow/interests/"),
        ("POST", "/api/v1/competitions/roadshow/meetings/"),
        ("POST", "/api/v1/competitions/roadshow/meetings/{code}/answer/"),
        ("POST", "/api/v1/competitions/roadshow/outcomes/"),
        ("POST", "/api/v1/competitions/aftercare/{code}/answer/"),
    ]:
        assert expected in paths, (expected, sorted(paths))


@pytest.mark.slow
def test_competition_calls_never_fail_and_match_the_schema_for_every_role_class(judged, request):
    fuzz_roles(request, r"^/api/v1/competitions", examples=8)


@pytest.mark.slow
def test_roadshow_and_operator_calls_never_fail_with_real_codes(roadshow, request):
    """The roadshow, after-prize and operator-step operations, half of the calls naming real objects (a
    competition in its defence, its finalists, an open meeting), so 400/403/404/409 are exercised too."""
    from roadshow_helpers import investor, soon

    world = roadshow
    fund, member = investor("上海天图创业投资管理有限公司", "vc")
    services.interest_register(actor=member, entry=world["a"], investor=fund)
    meeting = services.meeting_request(actor=member, entry=world["a"], investor=fund, proposed_at=soon())
    codes = [world["competition"].code, world["a"].code, world["b"].code, meeting.code]
    fuzz_roles(
        request,
        r"^/api/v1/competitions/(roadshow|aftercare|\{code\}/(open|close-entries|screen|panels|publicize|resolve-objection|finalize|pay|aftercare))",
        examples=6,
        real_codes=codes,
    )
