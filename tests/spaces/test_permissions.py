"""docs/reliability.md B1–B3 for spaces: the role × action matrix generated from the rules and compared with the
approved one; enterprise B cannot see or change enterprise A's request or viewing (web and API:
403/404 and nothing changed); anonymous callers get nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from spaces_helpers import days

from kechuang.spaces import services
from kechuang.spaces.choices import RequestStatus, ViewingStatus
from kechuang.spaces.models import Lease, Reservation, SpaceRequest, SpaceUnit, Viewing
from kechuang.spaces.permissions import PERMISSION_TABLE
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = [*MATRIX_ROLES[:-1], "park_operator", "anonymous"]
OP = frozenset({"operator"})
MANAGERS_HERE = frozenset({"operator", "park_operator"})
OWNER = frozenset({"enterprise"})
NOBODY: frozenset[str] = frozenset()

# perm → scope → roles. Scopes: "-" no object; "own": the user's own enterprise's request/viewing, or a
# unit/hold in the park operator's park; "other": another enterprise's, or a unit outside that park.
APPROVED = {
    "spaces.change_spaceunit": {"-": MANAGERS_HERE, "own": MANAGERS_HERE, "other": OP},
    "spaces.import_spaceunits": {"-": OP, "own": OP, "other": OP},
    "spaces.add_spacerequest": {"-": OWNER, "own": OWNER, "other": OWNER},
    "spaces.cancel_spacerequest": {"-": OP, "own": OP | OWNER, "other": OP},
    "spaces.book_viewing": {"-": NOBODY, "own": OWNER, "other": NOBODY},
    "spaces.handle_viewing": {"-": MANAGERS_HERE, "own": MANAGERS_HERE, "other": OP},
    "spaces.cancel_viewing": {"-": MANAGERS_HERE, "own": MANAGERS_HERE | OWNER, "other": OP},
    "spaces.reserve_spaceunit": {"-": MANAGERS_HERE, "own": MANAGERS_HERE, "other": OP},
    "spaces.lease_spaceunit": {"-": MANAGERS_HERE, "own": MANAGERS_HERE, "other": OP},
    "spaces.handle_hold": {"-": MANAGERS_HERE, "own": MANAGERS_HERE, "other": OP},
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
    park_operator,
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
        "park_operator": park_operator,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def world(units, space_request, other_request, enterprise_user, other_enterprise_user, operator):
    """Objects "own" to the enterprise user and to the park operator (the BTIT park), and "other" ones."""
    soon = timezone.now() + dt.timedelta(days=3)
    own_viewing = services.viewing_book(
        actor=enterprise_user, space_request=space_request, unit=units["clean"], scheduled_at=soon
    )
    other_viewing = services.viewing_book(
        actor=other_enterprise_user, space_request=other_request, unit=units["office"], scheduled_at=soon
    )
    in_park = services.reservation_create(
        actor=operator,
        unit=units["clean_big"],
        organization=space_request.organization,
        start_date=days(1),
        end_date=days(30),
    )
    outside = services.reservation_create(
        actor=operator,
        unit=units["office"],
        organization=other_request.organization,
        start_date=days(1),
        end_date=days(30),
    )
    return {
        "own": {"unit": units["clean"], "request": space_request, "viewing": own_viewing, "hold": in_park},
        "other": {
            "unit": units["office"],
            "request": other_request,
            "viewing": other_viewing,
            "hold": outside,
        },
    }


def subject(perm: str, scope: str, world) -> object:
    if scope == "-":
        return None
    objects = world[scope]
    if perm.endswith("spacerequest") or perm == "spaces.book_viewing":
        return objects["request"]
    if perm.endswith("_viewing"):
        return objects["viewing"]
    if perm == "spaces.handle_hold":
        return objects["hold"]
    return objects["unit"]


def generated(people, world) -> dict:
    matrix: dict = {}
    for perm in sorted(p for p in rules.permissions.permissions if p.startswith("spaces.")):
        matrix[perm] = {scope: set() for scope in ("-", "own", "other")}
        for role in ROLES:
            for scope in ("-", "own", "other"):
                if (
                    people[role].has_perm(perm, subject(perm, scope, world))
                    if role != "anonymous"
                    else rules.has_perm(perm, people[role], subject(perm, scope, world))
                ):
                    matrix[perm][scope].add(role)
    return matrix


def test_every_spaces_permission_is_in_the_approved_matrix():
    assert {p for p in rules.permissions.permissions if p.startswith("spaces.")} == set(APPROVED)


def test_role_matrix_generated_from_the_rules_matches_the_approved_matrix(people, world):
    assert generated(people, world) == {
        k: {s: set(v) for s, v in scopes.items()} for k, scopes in APPROVED.items()
    }


def test_permission_table_states_the_role_only_permissions():
    for perm, roles in PERMISSION_TABLE.items():
        assert {str(r) for r in roles} == set(APPROVED[perm]["-"])


def test_system_administrator_and_auditor_hold_no_space_permission():
    for scopes in APPROVED.values():
        for roles in scopes.values():
            assert not roles & {"sysadmin", "auditor"}


# --- IDOR: enterprise B against enterprise A's objects ----------------------------------------------


def snapshot() -> tuple:
    return (
        list(SpaceRequest.objects.order_by("pk").values("pk", "status")),
        list(Viewing.objects.order_by("pk").values("pk", "status")),
        list(Reservation.objects.order_by("pk").values("pk", "status")),
        list(Lease.objects.order_by("pk").values("pk", "status")),
        list(SpaceUnit.objects.order_by("pk").values("pk", "status", "rent_fen_per_m2_day")),
    )


def test_enterprise_b_cannot_see_or_cancel_enterprise_a_request_or_viewing_on_the_web(
    client, world, other_enterprise_user
):
    mine = world["own"]
    client.force_login(other_enterprise_user)
    before = snapshot()
    gets = [reverse("spaces:request-detail", args=[mine["request"].code])]
    posts = [
        reverse("spaces:request-cancel", args=[mine["request"].code]),
        reverse("spaces:viewing-book", args=[mine["request"].code]),
        reverse("spaces:viewing-action", args=[mine["viewing"].code, "cancel"]),
        reverse("spaces:viewing-action", args=[mine["viewing"].code, "confirm"]),
        reverse("spaces:unit-reserve", args=[mine["unit"].code]),
        reverse("spaces:reservation-lease", args=[mine["hold"].code]),
        reverse("spaces:reservation-cancel", args=[mine["hold"].code]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        response = client.post(
            url,
            {
                "unit": mine["unit"].code,
                "scheduled_at": "2031-01-01T10:00",
                "start_date": "2031-01-01",
                "end_date": "2031-12-31",
                "rent": "1",
            },
        )
        assert response.status_code in (403, 404), (url, response.status_code)
    assert snapshot() == before
    listing = client.get(reverse("spaces:request-list")).content.decode()
    assert mine["request"].title not in listing
    assert mine["viewing"].code not in client.get(reverse("spaces:viewing-list")).content.decode()


def test_enterprise_b_cannot_see_or_cancel_enterprise_a_request_through_the_api(world, other_enterprise_user):
    mine = world["own"]
    api = APIClient()
    api.force_authenticate(other_enterprise_user)
    before = snapshot()
    base = f"/api/v1/space-requests/{mine['request'].code}/"
    assert api.get(base).status_code == 404
    assert api.get(base + "matches/").status_code == 404
    assert api.post(base + "cancel/").status_code == 404
    assert (
        api.post(
            base + "viewings/",
            {"unit": mine["unit"].code, "scheduled_at": "2031-01-01T10:00:00+08:00"},
            format="json",
        ).status_code
        == 404
    )
    unit_url = f"/api/v1/space-units/{mine['unit'].code}/"
    assert (
        api.post(
            unit_url + "reserve/",
            {
                "organization": mine["request"].organization_id,
                "start_date": "2031-01-01",
                "end_date": "2031-02-01",
            },
            format="json",
        ).status_code
        == 403
    )
    assert api.patch(unit_url, {"rent_fen_per_m2_day": 1}, format="json").status_code == 403
    codes = [r["code"] for r in api.get("/api/v1/space-requests/").json()["results"]]
    assert codes == [world["other"]["request"].code]
    assert snapshot() == before


def test_park_operator_manages_its_park_only(client, world, park_operator):
    client.force_login(park_operator)
    before = snapshot()
    outside = world["other"]
    assert client.post(reverse("spaces:reservation-cancel", args=[outside["hold"].code])).status_code == 404
    assert (
        client.post(
            reverse("spaces:unit-reserve", args=[outside["unit"].code]),
            {"space_request": outside["request"].code, "start_date": "2031-01-01", "end_date": "2031-02-01"},
        ).status_code
        == 403
    )
    assert snapshot() == before
    assert (
        client.post(reverse("spaces:reservation-cancel", args=[world["own"]["hold"].code])).status_code == 302
    )
    world["own"]["hold"].refresh_from_db()
    assert world["own"]["hold"].status == "cancelled"
    # it sees the viewing in its park, not the one elsewhere
    page = client.get(reverse("spaces:viewing-list")).content.decode()
    assert world["own"]["viewing"].unit.building.name in page and "菊东数字经济产业楼" not in page


def test_owner_cancels_its_own_request(client, world, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post(reverse("spaces:request-cancel", args=[world["own"]["request"].code]))
    assert response.status_code == 302
    world["own"]["request"].refresh_from_db()
    assert world["own"]["request"].status == RequestStatus.CANCELLED
    world["own"]["viewing"].refresh_from_db()
    assert world["own"]["viewing"].status == ViewingStatus.CANCELLED


def test_anonymous_visitors_are_sent_to_login_and_the_api_refuses(client, world):
    for name, args in [
        ("spaces:unit-list", []),
        ("spaces:vacancy-map", []),
        ("spaces:request-list", []),
        ("spaces:unit-detail", [world["own"]["unit"].code]),
        ("spaces:import-start", []),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert APIClient().get("/api/v1/space-units/").status_code == 401
    assert APIClient().get("/api/v1/space-units/vacancy/").status_code == 401


@pytest.mark.parametrize(
    "role,expected", [("operator", 200), ("enterprise", 403), ("commissioner", 403), ("park_operator", 403)]
)
def test_import_page_is_for_operators_only(client, people, role, expected):
    client.force_login(people[role])
    assert client.get(reverse("spaces:import-start")).status_code == expected
