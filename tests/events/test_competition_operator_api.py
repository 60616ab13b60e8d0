"""The operators' competition steps in the API (issue 17, item 3): open and close the entries, the
eligibility check, a round's panel opened and closed, the 公示, an objection resolved, finalising, a
prize tranche and the after-prize offer. Each step is refused to anyone but an operator (403, 401 for
anonymous callers), and a refused call changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from competition_helpers import defence_sheet, expert, sheet
from django.utils import timezone
from rest_framework.test import APIClient

from kechuang.events import services
from kechuang.events.models import Competition, Entry, JudgingPanel, Objection, PrizePayment

pytestmark = pytest.mark.django_db


def as_user(user) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def state(competition: Competition) -> tuple:
    return (
        Competition.objects.filter(pk=competition.pk).values_list("status", "publicity_ends_on").get(),
        list(Entry.objects.filter(competition=competition).order_by("pk").values_list("status", "rank")),
        JudgingPanel.objects.filter(track__competition=competition).count(),
        list(JudgingPanel.objects.filter(track__competition=competition).values_list("status", flat=True)),
        PrizePayment.objects.count(),
        list(Objection.objects.values_list("status", flat=True)),
    )


def refused_to_others(competition, path, body, others) -> None:
    before = state(competition)
    for user, expected in others:
        response = as_user(user).post(path, body, format="json")
        assert response.status_code in expected, (path, user, response.status_code, response.content)
    assert state(competition) == before


@pytest.fixture
def others(enterprise_user, leader, commissioner, expert_user, sysadmin, auditor):
    """Everyone but the operator: anonymous (401/403) and every other role (403, or 404 where the
    competition is not theirs to see: a draft is seen by operators and leaders only)."""
    return [(None, (401, 403))] + [
        (user, (403, 404)) for user in (enterprise_user, leader, commissioner, expert_user, sysadmin, auditor)
    ]


def test_an_operator_runs_a_competition_through_the_api(
    operator, district_office, enterprise_user, enterprise_org, commissioner, others
):
    competition = services.competition_create(
        actor=operator,
        title="高价值专利运营大赛（2026）",
        rules="一个赛道；初赛网评，决赛答辩；公示 5 个工作日。",
        organizer=district_office,
        entry_deadline=timezone.localdate() + dt.timedelta(days=20),
        finalists_per_track=1,
        tracks=[services.TrackInput("专利运营", [services.PrizeInput(1, "一等奖", 10_000_000, tranches=2)])],
    )
    base = f"/api/v1/competitions/{competition.code}/"
    op = as_user(operator)

    refused_to_others(competition, base + "open/", {}, others)
    assert op.post(base + "open/").json()["status"] == "open"
    entry = services.entry_submit(
        actor=enterprise_user,
        competition=competition,
        track=competition.tracks.get(),
        organization=enterprise_org,
        details=services.EntryDetails(project="专利池运营平台", summary="专利池", team="四人"),
    )
    refused_to_others(competition, base + "close-entries/", {}, others)
    assert op.post(base + "close-entries/").json()["status"] == "screening"

    screen = {"entry": entry.code, "eligible": True}
    refused_to_others(competition, base + "screen/", screen, others)
    assert (
        op.post(base + "screen/", {"entry": entry.code, "eligible": False}, format="json").status_code == 400
    )
    assert op.post(base + "screen/", screen, format="json").json()["status"] == "eligible"

    judge_user, judge = expert("评审甲")
    first = {"track": competition.tracks.get().pk, "round": "first", "experts": [judge.pk]}
    refused_to_others(competition, base + "panels/", first, others)
    built = op.post(base + "panels/", first, format="json")
    assert built.status_code == 201 and built.json()["judges"] == ["评审甲"]
    panel_url = f"/api/v1/competitions/panels/{built.json()['id']}/"
    refused_to_others(competition, panel_url + "close/", {}, others)
    assert op.post(panel_url + "close/").status_code == 409  # a sheet is missing
    scored = as_user(judge_user).post(
        panel_url + "score/", {"entry": entry.code, "values": sheet(80)}, format="json"
    )
    assert scored.status_code == 200
    assert op.post(panel_url + "close/").json()["status"] == "closed"

    defence = {"track": competition.tracks.get().pk, "round": "defence", "experts": [judge.pk]}
    built = op.post(base + "panels/", defence, format="json")
    assert built.status_code == 201
    panel_url = f"/api/v1/competitions/panels/{built.json()['id']}/"
    as_user(judge_user).post(
        panel_url + "score/", {"entry": entry.code, "values": defence_sheet(85)}, format="json"
    )
    assert op.post(panel_url + "close/").status_code == 200

    refused_to_others(competition, base + "publicize/", {}, others)
    published = op.post(base + "publicize/").json()
    assert published["status"] == "publicity" and published["publicity_ends_on"]
    objection = services.objection_file(
        actor=enterprise_user, competition=competition, entry=entry, reason="复核"
    )
    resolve = {"objection": objection.code, "upheld": False, "resolution": "复核无误"}
    refused_to_others(competition, base + "resolve-objection/", resolve, others)
    assert op.post(base + "resolve-objection/", resolve, format="json").json()["status"] == "dismissed"

    assert op.post(base + "finalize/").status_code == 409  # the 公示 is not over
    Competition.objects.filter(pk=competition.pk).update(
        publicity_ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    refused_to_others(competition, base + "finalize/", {}, others)
    assert op.post(base + "finalize/").json()["status"] == "final"
    competition.refresh_from_db()
    assert competition.followup_until == services.followup_end(timezone.localdate())

    refused_to_others(competition, base + "pay/", {"entry": entry.code}, others)
    first_tranche = op.post(base + "pay/", {"entry": entry.code}, format="json")
    assert first_tranche.status_code == 201 and first_tranche.json()["amount_fen"] == 5_000_000
    assert op.post(base + "pay/", {"entry": "CS-0000-00000"}, format="json").status_code == 400

    offer = {"entry": entry.code, "commissioner": commissioner.pk}
    refused_to_others(competition, base + "aftercare/", offer, others)
    assert op.post(base + "aftercare/", offer, format="json").status_code == 201


def test_an_operator_step_on_another_stage_is_a_conflict_and_changes_nothing(operator, district_office):
    from competition_helpers import make_competition

    competition = make_competition(operator, district_office)  # open for entries
    before = state(competition)
    op = as_user(operator)
    base = f"/api/v1/competitions/{competition.code}/"
    for step in ("open/", "publicize/", "finalize/"):
        assert op.post(base + step).status_code == 409, step
    assert (
        op.post(base + "panels/", {"track": 1, "round": "first", "experts": [1]}, format="json").status_code
        == 400
    )
    assert state(competition) == before
