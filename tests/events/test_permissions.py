"""docs/reliability.md B1–B3 for events: the role × action matrix generated from the rules and compared
with the approved one; another enterprise cannot see or touch an enterprise's draft, sign-ups or door
(web and API: 404/403 and nothing changed); anonymous visitors read only public events."""

from __future__ import annotations

import pytest
import rules
from competition_helpers import make_competition, track
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from events_helpers import make_event, participants
from rest_framework.test import APIClient

from kechuang.events import services
from kechuang.events.choices import EventStatus, Round
from kechuang.events.models import Event, Registration
from kechuang.events.permissions import PERMISSION_TABLE
from kechuang.testing.factories import PersonFactory
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = MATRIX_ROLES
OP = frozenset({"operator"})
ORGANIZERS = frozenset({"operator", "institute", "enterprise", "provider"})
OWNER_ORG = frozenset({"operator", "enterprise"})
PARTICIPANTS = frozenset(
    {"operator", "commissioner", "leader", "institute", "enterprise", "provider", "expert"}
)
NOBODY: frozenset[str] = frozenset()

# perm → scope → roles. Scopes: "-" no object; "own": the enterprise user's organization's event (a draft
# for the edit rights, a submitted one for review, published for the rest) or the enterprise user's own
# registration; "other": another organization's event, or another person's registration.
APPROVED = {
    "events.add_event": {"-": ORGANIZERS, "own": OWNER_ORG, "other": OP},  # object: the organizer
    "events.change_event": {"-": ORGANIZERS, "own": OWNER_ORG, "other": OP},
    "events.review_event": {"-": OP, "own": OP, "other": OP},
    "events.cancel_event": {"-": OP, "own": OWNER_ORG, "other": OP},
    "events.manage_event": {"-": ORGANIZERS, "own": OWNER_ORG, "other": OP},
    "events.checkin_event": {"-": ORGANIZERS, "own": OWNER_ORG, "other": OP},
    "events.finish_event": {"-": ORGANIZERS, "own": NOBODY, "other": NOBODY},  # not begun yet
    "events.register_event": {"-": PARTICIPANTS, "own": PARTICIPANTS, "other": PARTICIPANTS},
    "events.cancel_registration": {
        "-": PARTICIPANTS,
        "own": frozenset({"operator", "enterprise"}),
        "other": OP,
    },
    "events.add_feedback": {"-": PARTICIPANTS, "own": NOBODY, "other": NOBODY},  # not held yet
    # competitions: "own"/"other" are an open competition (entering), the expert's panel and another panel
    # (scoring), a competition not in 公示 (objecting)
    "events.manage_competition": {"-": OP, "own": OP, "other": OP},
    "events.enter_competition": {
        "-": frozenset({"institute", "enterprise", "provider"}),
        "own": frozenset({"institute", "enterprise", "provider"}),
        "other": frozenset({"institute", "enterprise", "provider"}),
    },
    "events.score_entry": {"-": frozenset({"expert"}), "own": frozenset({"expert"}), "other": NOBODY},
    "events.object_competition": {"-": PARTICIPANTS, "own": NOBODY, "other": NOBODY},
}
# The roadshow and after-prize permissions depend on an investment institution's membership, not on a
# role: their matrix (investor, other investor, team, other team, staff) is in tests/events/test_roadshow.py.
ROADSHOW_PERMS = {
    "events.add_investorinterest",
    "events.answer_meeting",
    "events.withdraw_meeting",
    "events.offer_aftercare",
    "events.answer_aftercare",
}


@pytest.fixture
def people(
    operator,
    commissioner,
    leader,
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
    operator,
    enterprise_org,
    other_enterprise_org,
    enterprise_user,
    other_enterprise_user,
    expert_user,
    building,
    series,
):
    """The operator creates the events; a second operator publishes them (tests/events/events_helpers.py)."""
    own_draft = make_event(operator, enterprise_org, building, status=EventStatus.DRAFT)
    other_draft = make_event(operator, other_enterprise_org, building, status=EventStatus.DRAFT)
    own_submitted = make_event(operator, enterprise_org, building, status=EventStatus.SUBMITTED)
    other_submitted = make_event(operator, other_enterprise_org, building, status=EventStatus.SUBMITTED)
    own = make_event(operator, enterprise_org, building, capacity=5)
    other = make_event(operator, other_enterprise_org, building, capacity=5)
    mine = services.registration_create(actor=enterprise_user, event=other)
    theirs = services.registration_create(actor=other_enterprise_user, event=own)
    open_competition = make_competition(operator, enterprise_org)
    judged = make_competition(operator, enterprise_org)
    services.competition_close_entries(actor=operator, competition=judged)
    own_panel = services.panel_build(
        actor=operator,
        track=track(judged),
        round=Round.FIRST,
        experts=[PersonFactory(user=expert_user, is_expert=True)],
    )
    other_panel = services.panel_build(
        actor=operator,
        track=track(judged, "初创企业"),
        round=Round.FIRST,
        experts=[PersonFactory(is_expert=True)],
    )
    return {
        "own": {
            "draft": own_draft,
            "submitted": own_submitted,
            "event": own,
            "registration": mine,
            "competition": open_competition,
            "panel": own_panel,
        },
        "other": {
            "draft": other_draft,
            "submitted": other_submitted,
            "event": other,
            "registration": theirs,
            "competition": open_competition,
            "panel": other_panel,
        },
    }


def subject(perm: str, scope: str, world) -> object:
    if scope == "-":
        return None
    objects = world[scope]
    if perm == "events.score_entry":
        return objects["panel"]
    if perm.endswith("_competition"):
        return objects["competition"]
    if perm == "events.add_event":
        return objects["event"].organizer
    if perm == "events.change_event":
        return objects["draft"]
    if perm == "events.review_event":
        return objects["submitted"]
    if perm.endswith("_registration") or perm == "events.add_feedback":
        return objects["registration"]
    return objects["event"]


def generated(people, world) -> dict:
    matrix: dict = {}
    for perm in sorted(
        p for p in rules.permissions.permissions if p.startswith("events.") and p not in ROADSHOW_PERMS
    ):
        matrix[perm] = {scope: set() for scope in ("-", "own", "other")}
        for role in ROLES:
            for scope in ("-", "own", "other"):
                if rules.has_perm(perm, people[role], subject(perm, scope, world)):
                    matrix[perm][scope].add(role)
    return matrix


def test_every_events_permission_is_in_the_approved_matrix():
    assert {p for p in rules.permissions.permissions if p.startswith("events.")} == set(
        APPROVED
    ) | ROADSHOW_PERMS


def test_role_matrix_generated_from_the_rules_matches_the_approved_matrix(people, world):
    # the review of an own/other submitted event: the operator reviews what another operator created? No:
    # make_event's creator is the operator fixture, so the operator may not review them (maker-checker).
    approved = {k: {s: set(v) for s, v in scopes.items()} for k, scopes in APPROVED.items()}
    approved["events.review_event"]["own"] = set()
    approved["events.review_event"]["other"] = set()
    assert generated(people, world) == approved


def test_permission_table_states_the_role_only_permissions():
    for perm, roles in PERMISSION_TABLE.items():
        assert {str(r) for r in roles} == set(APPROVED[perm]["-"])


def test_system_administrator_and_auditor_hold_no_event_permission():
    for scopes in APPROVED.values():
        for roles in scopes.values():
            assert not roles & {"sysadmin", "auditor"}


def snapshot() -> tuple:
    return (
        list(Event.objects.order_by("pk").values("pk", "status", "title", "capacity")),
        list(Registration.objects.order_by("pk").values("pk", "status", "checked_in_at")),
    )


def test_another_enterprise_cannot_see_or_touch_an_enterprise_event_on_the_web(
    client, world, other_enterprise_user
):
    mine = world["own"]
    client.force_login(other_enterprise_user)
    before = snapshot()
    assert client.get(reverse("events:event-detail", args=[mine["draft"].code])).status_code == 404
    assert client.get(reverse("events:event-edit", args=[mine["draft"].code])).status_code == 404
    assert client.get(reverse("events:registration-list", args=[mine["event"].code])).status_code == 404
    assert client.get(reverse("events:checkin", args=[mine["event"].code])).status_code == 404
    code = world["other"]["registration"].checkin_code
    assert (
        client.post(reverse("events:checkin", args=[mine["event"].code]), {"code": code}).status_code == 404
    )
    for action in ("submit", "cancel", "finish"):
        response = client.post(
            reverse("events:event-action", args=[mine["draft"].code, action]), {"reason": "x"}
        )
        assert response.status_code == 404, action
    for action in ("cancel", "finish", "publish"):
        response = client.post(
            reverse("events:event-action", args=[mine["event"].code, action]), {"reason": "x"}
        )
        assert response.status_code == 403, action  # refused, nothing changed
    # another person's registration: neither cancelled nor rated
    theirs = world["own"]["registration"]
    assert client.post(reverse("events:registration-cancel", args=[theirs.code])).status_code == 404
    assert client.post(reverse("events:feedback", args=[theirs.code]), {"rating": 1}).status_code == 404
    assert snapshot() == before
    managed = client.get(reverse("events:manage-list")).content.decode()
    assert mine["draft"].code not in managed and world["other"]["draft"].code in managed


def test_another_enterprise_cannot_see_or_touch_an_enterprise_event_through_the_api(
    world, other_enterprise_user
):
    mine = world["own"]
    api = APIClient()
    api.force_authenticate(other_enterprise_user)
    before = snapshot()
    assert api.get(f"/api/v1/events/{mine['draft'].code}/").status_code == 404
    assert api.post(f"/api/v1/events/{mine['draft'].code}/submit/").status_code == 404
    assert api.get(f"/api/v1/events/{mine['event'].code}/registrations/").status_code == 403
    code = world["other"]["registration"].checkin_code
    assert (
        api.post(f"/api/v1/events/{mine['event'].code}/checkin/", {"code": code}, format="json").status_code
        == 403
    )
    assert (
        api.post(f"/api/v1/events/{mine['event'].code}/cancel/", {"reason": "x"}, format="json").status_code
        == 403
    )
    theirs = world["own"]["registration"]
    assert api.post(f"/api/v1/events/registrations/{theirs.code}/cancel/").status_code == 404
    listed = [r["code"] for r in api.get("/api/v1/events/registrations/").json()["results"]]
    # the enterprise user's sign-up to this enterprise's event is on its organizer's list …
    assert theirs.code in listed
    detail = api.get(f"/api/v1/events/registrations/{theirs.code}/").json()
    assert detail["checkin_code"] is None  # … without the code, which only its holder sees
    own = api.get(f"/api/v1/events/registrations/{world['other']['registration'].code}/").json()
    assert own["checkin_code"] == world["other"]["registration"].checkin_code
    assert snapshot() == before


def test_anonymous_visitors_read_public_events_only(client, world):
    api = APIClient()
    codes = [e["code"] for e in api.get("/api/v1/events/").json()["results"]]
    assert world["own"]["event"].code in codes and world["own"]["draft"].code not in codes
    assert api.get(f"/api/v1/events/{world['own']['draft'].code}/").status_code == 404
    assert api.post(f"/api/v1/events/{world['own']['event'].code}/register/").status_code in (401, 403)
    assert api.get("/api/v1/events/registrations/").status_code in (401, 403)
    assert client.get(reverse("events:my-registrations")).status_code == 302
    assert client.get(reverse("events:manage-list")).status_code == 302


def test_the_organizer_reads_its_sign_ups_and_the_participant_sees_only_their_own_code(
    world, enterprise_user, enterprise_org
):
    api = APIClient()
    api.force_authenticate(enterprise_user)
    event = world["own"]["event"]
    extra = participants(1, enterprise_org, prefix="guest")[0]
    services.registration_create(actor=extra, event=event)
    rows = api.get(f"/api/v1/events/{event.code}/registrations/").json()["results"]
    assert len(rows) == 2 and all(r["checkin_code"] is None for r in rows)
    mine = api.get(f"/api/v1/events/registrations/{world['own']['registration'].code}/").json()
    assert mine["checkin_code"] == world["own"]["registration"].checkin_code
