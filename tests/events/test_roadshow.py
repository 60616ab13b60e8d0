"""Roadshows (issue 17, item 4): investment institutions (directory kind 投资机构) register interest in the
entries that reached the defence, meet their teams (request, accept or decline, time) and record what
came of it (follow-up, term sheet, investment amount in fen). Role matrix and IDOR for the new objects:
who sees and does what, and a refused call changes nothing (web and API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from roadshow_helpers import investor, soon

from kechuang.core.models import AuditEvent
from kechuang.events import permissions as perms
from kechuang.events import selectors, services
from kechuang.events.choices import MeetingSide, MeetingStatus, OutcomeKind
from kechuang.events.models import InvestorInterest, Meeting, RoadshowOutcome
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(db):
    return investor("上海天图创业投资管理有限公司", "vc")


@pytest.fixture
def other_fund(db):
    return investor("康同天使投资有限公司", "angel")


@pytest.fixture
def world(roadshow):
    return roadshow


def snapshot() -> tuple:
    return (
        list(InvestorInterest.objects.order_by("pk").values("pk", "note")),
        list(Meeting.objects.order_by("pk").values("pk", "status", "scheduled_at")),
        list(RoadshowOutcome.objects.order_by("pk").values("pk", "kind", "amount_fen")),
    )


def test_an_investor_shows_interest_meets_the_team_and_records_an_investment(world, fund, enterprise_user):
    org, member = fund
    a = world["a"]
    assert perms.can_show_interest(member, a) and not perms.can_show_interest(member, world["c"])
    interest = services.interest_register(actor=member, entry=a, investor=org, note="看好快检赛道")
    with pytest.raises(ValidationError, match="已关注"):
        services.interest_register(actor=member, entry=a, investor=org)
    meeting = services.meeting_request(
        actor=member, entry=a, investor=org, proposed_at=soon(3), place="菊园路演厅", message="想了解量产计划"
    )
    assert meeting.code.startswith("YT-") and meeting.asked_by_side == MeetingSide.INVESTOR
    assert Notification.objects.filter(recipient=enterprise_user, kind="events.meeting").exists()
    with pytest.raises(ValidationError, match="待回复"):
        services.meeting_request(actor=member, entry=a, investor=org, proposed_at=soon(4))
    with pytest.raises(PermissionDenied):  # the asker does not answer their own request
        services.meeting_answer(actor=member, meeting=meeting, accept=True)
    later = soon(5)
    meeting = services.meeting_answer(actor=enterprise_user, meeting=meeting, accept=True, scheduled_at=later)
    assert meeting.status == MeetingStatus.ACCEPTED and meeting.scheduled_at == later
    assert Notification.objects.filter(recipient=member, kind="events.meeting").exists()
    today = timezone.localdate()
    services.outcome_record(
        actor=member,
        entry=a,
        investor=org,
        kind=OutcomeKind.TERM_SHEET,
        amount_fen=500_000_000,
        occurred_on=today,
    )
    invested = services.outcome_record(
        actor=enterprise_user,
        entry=a,
        investor=org,
        kind=OutcomeKind.INVESTED,
        amount_fen=800_000_000,
        occurred_on=today,
        meeting=meeting,
    )
    assert invested.code.startswith("TR-") and invested.amount_fen == 800_000_000
    assert interest.pk and AuditEvent.objects.filter(action="events.outcome.record").count() == 2


def test_outcomes_need_an_amount_only_for_money_and_never_in_the_future(world, fund):
    org, member = fund
    a = world["a"]
    services.interest_register(actor=member, entry=a, investor=org)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="投资金额"):
        services.outcome_record(
            actor=member, entry=a, investor=org, kind=OutcomeKind.INVESTED, occurred_on=today
        )
    with pytest.raises(ValidationError, match="不填金额"):
        services.outcome_record(
            actor=member, entry=a, investor=org, kind=OutcomeKind.FOLLOW_UP, amount_fen=100, occurred_on=today
        )
    with pytest.raises(ValidationError, match="晚于今天"):
        services.outcome_record(
            actor=member,
            entry=a,
            investor=org,
            kind=OutcomeKind.PASSED,
            occurred_on=today + dt.timedelta(days=1),
        )
    with pytest.raises(ValidationError):
        services.outcome_record(
            actor=member,
            entry=a,
            investor=org,
            kind=OutcomeKind.INVESTED,
            amount_fen=10**14,
            occurred_on=today,
        )
    assert not RoadshowOutcome.objects.exists()


def test_a_team_asks_only_investors_interested_in_its_entry_and_declines_with_a_reason(
    world, fund, other_fund, enterprise_user
):
    org, member = fund
    other_org, _other_member = other_fund
    a = world["a"]
    with pytest.raises(PermissionDenied):  # no interest yet: no cold call
        services.meeting_request(actor=enterprise_user, entry=a, investor=org, proposed_at=soon())
    services.interest_register(actor=member, entry=a, investor=org)
    meeting = services.meeting_request(actor=enterprise_user, entry=a, investor=org, proposed_at=soon())
    assert meeting.asked_by_side == MeetingSide.TEAM
    with pytest.raises(PermissionDenied):
        services.meeting_request(actor=enterprise_user, entry=a, investor=other_org, proposed_at=soon())
    with pytest.raises(ValidationError, match="回复"):
        services.meeting_answer(actor=member, meeting=meeting, accept=False)
    meeting = services.meeting_answer(actor=member, meeting=meeting, accept=False, answer="本期基金已投满")
    assert meeting.status == MeetingStatus.DECLINED and meeting.scheduled_at is None
    again = services.meeting_request(actor=enterprise_user, entry=a, investor=org, proposed_at=soon(7))
    with pytest.raises(PermissionDenied):  # only the asker withdraws
        services.meeting_withdraw(actor=member, meeting=again)
    assert services.meeting_withdraw(actor=enterprise_user, meeting=again).status == MeetingStatus.WITHDRAWN


def test_meeting_times_are_in_the_coming_year(world, fund):
    org, member = fund
    for when in (timezone.now() - dt.timedelta(hours=1), timezone.now() + dt.timedelta(days=400)):
        with pytest.raises(ValidationError, match="一年之内"):
            services.meeting_request(actor=member, entry=world["a"], investor=org, proposed_at=when)


def test_an_entry_outside_the_roadshow_and_a_non_investor_organization_are_refused(
    world, fund, provider_org, provider_user
):
    org, member = fund
    with pytest.raises(ValidationError, match="未进入路演"):
        services.interest_register(actor=member, entry=world["c"], investor=org)
    with pytest.raises(ValidationError, match="投资机构"):
        services.interest_register(actor=member, entry=world["a"], investor=provider_org)
    with pytest.raises(PermissionDenied):
        services.interest_register(actor=provider_user, entry=world["a"], investor=org)
    assert not InvestorInterest.objects.exists()


def test_an_investor_member_cannot_enter_the_competition_for_the_investor(world, fund):
    from kechuang.core.roles import Role

    org, member = fund
    from django.contrib.auth.models import Group

    member.groups.add(Group.objects.get_or_create(name=Role.ENTERPRISE)[0])
    member = type(member).objects.get(pk=member.pk)
    world["competition"].status = "open"
    assert not perms.can_enter(member, world["competition"], org)


# --- role matrix and IDOR -------------------------------------------------------------------------------


@pytest.fixture
def contacts(world, fund, enterprise_user):
    """One of each roadshow object between the fund and the team's entry a."""
    org, member = fund
    interest = services.interest_register(actor=member, entry=world["a"], investor=org)
    meeting = services.meeting_request(actor=member, entry=world["a"], investor=org, proposed_at=soon())
    outcome = services.outcome_record(
        actor=member,
        entry=world["a"],
        investor=org,
        kind=OutcomeKind.FOLLOW_UP,
        occurred_on=timezone.localdate(),
    )
    return {"interest": interest, "meeting": meeting, "outcome": outcome}


def test_roadshow_role_matrix(
    contacts,
    world,
    fund,
    other_fund,
    enterprise_user,
    other_enterprise_user,
    operator,
    leader,
    commissioner,
    provider_user,
    expert_user,
    sysadmin,
    auditor,
):
    """Who sees the fund–team records, who sees the roadshow entries, who answers the meeting."""
    people = {
        "investor": fund[1],
        "other investor": other_fund[1],
        "team": enterprise_user,
        "other team": other_enterprise_user,
        "operator": operator,
        "leader": leader,
        "commissioner": commissioner,
        "provider": provider_user,
        "expert": expert_user,
        "sysadmin": sysadmin,
        "auditor": auditor,
        "anonymous": AnonymousUser(),
    }
    meeting = contacts["meeting"]
    matrix = {
        name: (
            perms.interest_visible_to(user).filter(pk=contacts["interest"].pk).exists(),
            perms.meeting_visible_to(user).filter(pk=meeting.pk).exists(),
            perms.outcome_visible_to(user).filter(pk=contacts["outcome"].pk).exists(),
            perms.roadshow_entries_visible_to(user).filter(pk=world["a"].pk).exists(),
            perms.can_answer_meeting(user, meeting),
            perms.can_withdraw_meeting(user, meeting),
            perms.can_record_outcome(user, world["a"], fund[0]),
        )
        for name, user in people.items()
    }
    reads_everything = (True, True, True, True, False, False)
    assert matrix == {
        "investor": (True, True, True, True, False, True, True),
        "other investor": (False, False, False, True, False, False, False),
        "team": (True, True, True, False, True, False, True),
        "other team": (False, False, False, False, False, False, False),
        "operator": (*reads_everything, True),
        "leader": (*reads_everything, False),
        "commissioner": (False,) * 7,
        "provider": (False,) * 7,
        "expert": (False,) * 7,
        "sysadmin": (False,) * 7,
        "auditor": (False,) * 7,
        "anonymous": (False,) * 7,
    }


def test_another_investor_or_team_cannot_touch_the_records_through_the_api(
    contacts, world, fund, other_fund, other_enterprise_user, provider_user
):
    meeting = contacts["meeting"]
    before = snapshot()
    for user in (other_fund[1], other_enterprise_user, provider_user):
        api = APIClient()
        api.force_authenticate(user)
        base = "/api/v1/competitions/roadshow/"
        assert api.get(f"{base}meetings/{meeting.code}/").status_code == 404
        assert (
            api.post(f"{base}meetings/{meeting.code}/answer/", {"accept": True}, format="json").status_code
            == 404
        )
        assert api.post(f"{base}meetings/{meeting.code}/withdraw/").status_code == 404
        for listing in ("interests", "meetings", "outcomes"):
            assert api.get(f"{base}{listing}/").json()["results"] == []
        outcome = api.post(
            f"{base}outcomes/",
            {
                "entry": world["a"].code,
                "investor": fund[0].pk,
                "kind": "invested",
                "amount_fen": 100,
                "occurred_on": str(timezone.localdate()),
            },
            format="json",
        )
        assert outcome.status_code in (403, 404)
    anonymous = APIClient()
    assert anonymous.get("/api/v1/competitions/roadshow/meetings/").status_code in (401, 403)
    assert snapshot() == before


def test_another_investor_or_team_cannot_touch_the_records_on_the_web(
    client, contacts, world, fund, other_fund, other_enterprise_user
):
    meeting = contacts["meeting"]
    before = snapshot()
    for user in (other_fund[1], other_enterprise_user):
        client.force_login(user)
        page = client.get(reverse("events:roadshow"))
        assert page.status_code == 200 and meeting.code not in page.content.decode()
        answer = client.post(
            reverse("events:roadshow-action", args=["answer"]), {"meeting": meeting.code, "accept": "1"}
        )
        assert answer.status_code == 404
        outcome = client.post(
            reverse("events:roadshow-action", args=["outcome"]),
            {
                "entry": world["a"].code,
                "investor": fund[0].pk,
                "kind": "invested",
                "amount_wan": "100",
                "occurred_on": str(timezone.localdate()),
            },
        )
        assert outcome.status_code in (403, 404)  # another team: not found; another investor: refused
    assert snapshot() == before


def test_the_roadshow_through_the_api(world, fund, enterprise_user):
    org, member = fund
    investor_api, team_api = APIClient(), APIClient()
    investor_api.force_authenticate(member)
    team_api.force_authenticate(enterprise_user)
    base = "/api/v1/competitions/roadshow/"
    codes = [e["code"] for e in investor_api.get(f"{base}entries/").json()["results"]]
    assert set(codes) == {world["a"].code, world["b"].code}
    assert team_api.get(f"{base}entries/").json()["results"] == []  # teams do not browse each other
    created = investor_api.post(
        f"{base}interests/", {"entry": world["a"].code, "note": "关注"}, format="json"
    )
    assert created.status_code == 201 and created.json()["investor"] == org.name
    assert (
        investor_api.post(f"{base}interests/", {"entry": world["c"].code}, format="json").status_code == 404
    )
    meeting = investor_api.post(
        f"{base}meetings/", {"entry": world["a"].code, "proposed_at": soon().isoformat()}, format="json"
    )
    assert meeting.status_code == 201, meeting.json()
    code = meeting.json()["code"]
    answered = team_api.post(f"{base}meetings/{code}/answer/", {"accept": True}, format="json")
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    outcome = team_api.post(
        f"{base}outcomes/",
        {
            "entry": world["a"].code,
            "investor": org.pk,
            "kind": "invested",
            "amount_fen": 300_000_000,
            "occurred_on": str(timezone.localdate()),
            "meeting": code,
        },
        format="json",
    )
    assert outcome.status_code == 201, outcome.json()
    assert [o["amount_fen"] for o in investor_api.get(f"{base}outcomes/").json()["results"]] == [300_000_000]
    bad = team_api.post(
        f"{base}outcomes/",
        {
            "entry": world["a"].code,
            "investor": org.pk,
            "kind": "invested",
            "amount_fen": 0,
            "occurred_on": str(timezone.localdate()),
        },
        format="json",
    )
    assert bad.status_code == 400


def test_the_roadshow_page_for_investor_team_and_operator(
    client, contacts, world, fund, enterprise_user, operator
):
    client.force_login(fund[1])
    page = client.get(reverse("events:roadshow")).content.decode()
    assert world["a"].project in page and world["b"].project in page and "已关注" in page
    client.force_login(enterprise_user)
    page = client.get(reverse("events:roadshow")).content.decode()
    assert fund[0].name in page and contacts["meeting"].code in page and world["b"].project not in page
    client.force_login(operator)
    page = client.get(reverse("events:roadshow")).content.decode()
    assert contacts["meeting"].code in page and contacts["outcome"].code in page
    # each entry's count of interested investors, counted per entry (selectors._counted)
    board = selectors.roadshow_board(actor=operator)
    counts = {e.pk: e.interest_count for e in board["entries"]}
    assert counts and all(
        n == InvestorInterest.objects.filter(entry_id=pk).count() for pk, n in counts.items()
    )
    assert any(counts.values())


def test_the_web_roadshow_steps(client, world, fund, enterprise_user):
    org, member = fund
    client.force_login(member)
    client.post(
        reverse("events:roadshow-action", args=["interest"]), {"entry": world["a"].code, "note": "看好"}
    )
    assert InvestorInterest.objects.filter(investor=org, entry=world["a"]).exists()
    when = timezone.localtime(soon()).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("events:roadshow-action", args=["meeting"]), {"entry": world["a"].code, "proposed_at": when}
    )
    meeting = Meeting.objects.get()
    client.force_login(enterprise_user)
    client.post(reverse("events:roadshow-action", args=["answer"]), {"meeting": meeting.code, "accept": "1"})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ACCEPTED
    client.post(
        reverse("events:roadshow-action", args=["outcome"]),
        {
            "pair": f"{world['a'].code}|{org.pk}",
            "kind": "invested",
            "amount_wan": "500",
            "occurred_on": str(timezone.localdate()),
        },
    )
    assert RoadshowOutcome.objects.get().amount_fen == 500 * 1_000_000
