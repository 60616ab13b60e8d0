"""docs/reliability.md B3 for the service desk: the role × action matrix, generated from the registered rules
(evaluated for one user per role, without an object, on the user's own enterprise and on another one),
compared with the approved matrix below; and the same for what each role sees."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from sd_helpers import at

from kechuang.servicedesk import services
from kechuang.servicedesk.permissions import PERMISSION_TABLE, request_visible_to, visit_visible_to
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = MATRIX_ROLES
NOBODY: frozenset[str] = frozenset()
OP = frozenset({"operator"})


def same(roles: set[str] | frozenset[str]) -> dict[str, frozenset[str]]:
    return {"-": frozenset(roles), "own": frozenset(roles), "other": frozenset(roles)}


# perm → scope → roles. "own": the request (or enterprise) the role is attached to — the enterprise user's
# own enterprise, served by the commissioner and 包保 by the leader; "other": an enterprise nobody serves.
APPROVED = {
    "servicedesk.file_request": {"-": OP, "own": OP | {"commissioner", "enterprise"}, "other": OP},
    "servicedesk.handle_request": {"-": OP, "own": OP | {"commissioner"}, "other": OP},
    "servicedesk.note_request": {
        "-": OP | {"leader"},
        "own": OP | {"commissioner", "leader"},
        "other": OP | {"leader"},
    },
    "servicedesk.close_request": {"-": NOBODY, "own": frozenset({"enterprise"}), "other": NOBODY},
    "servicedesk.reassign_request": same(OP),
    "servicedesk.manage_assignments": same(OP),
    "servicedesk.view_workload": same({"operator", "leader"}),
    "servicedesk.edit_calendar": same(OP),
    "servicedesk.edit_sla_policy": same(OP),
    "servicedesk.view_figures": same({"operator", "leader", "commissioner"}),
    "servicedesk.plan_visit": {"-": OP, "own": OP | {"commissioner", "leader"}, "other": OP},
    "servicedesk.edit_plan": {"-": OP, "own": OP | {"commissioner", "leader"}, "other": OP},
    "servicedesk.view_plan": {
        "-": OP | {"leader"},
        "own": OP | {"commissioner", "leader", "enterprise"},
        "other": OP | {"leader"},
    },
    "servicedesk.set_preference": {"-": NOBODY, "own": frozenset({"enterprise"}), "other": NOBODY},
}
REQUEST_PERMS = {
    "servicedesk.handle_request",
    "servicedesk.note_request",
    "servicedesk.close_request",
    "servicedesk.reassign_request",
}

# role → (sees the own enterprise's request, sees the other enterprise's request)
VISIBILITY = {
    "operator": (True, True),
    "leader": (True, True),
    "commissioner": (True, False),
    "enterprise": (True, False),
    "institute": (False, False),
    "provider": (False, False),
    "expert": (False, False),
    "sysadmin": (False, False),
    "auditor": (False, False),
    "anonymous": (False, False),
}


@pytest.fixture
def world(desk, institute_user, provider_user, expert_user, sysadmin, auditor, frozen):
    frozen.set(at(2026, 3, 16, 10))
    own = services.request_file(
        actor=desk["user"], organization=desk["org"], category="policy", title="本企业诉求", text="内容"
    )
    other = services.request_file(
        actor=desk["other_user"],
        organization=desk["other_org"],
        category="policy",
        title="他企业诉求",
        text="内容",
    )
    users = {
        "operator": desk["operator"],
        "commissioner": desk["commissioner"],
        "leader": desk["leader"],
        "institute": institute_user,
        "enterprise": desk["user"],
        "provider": provider_user,
        "expert": expert_user,
        "sysadmin": sysadmin,
        "auditor": auditor,
        "anonymous": AnonymousUser(),
    }
    return {
        "users": users,
        "own": own,
        "other": other,
        "own_org": desk["org"],
        "other_org": desk["other_org"],
    }


def generated(world, check) -> dict:
    matrix: dict = {}
    for perm in sorted(p for p in rules.permissions.permissions if p.startswith("servicedesk.")):
        per_request = perm in REQUEST_PERMS
        objects = {
            "-": None,
            "own": world["own"] if per_request else world["own_org"],
            "other": world["other"] if per_request else world["other_org"],
        }
        matrix[perm] = {
            scope: frozenset(role for role in ROLES if check(world["users"][role], perm, obj))
            for scope, obj in objects.items()
        }
    return matrix


def test_every_registered_service_desk_permission_is_in_the_approved_matrix():
    assert {p for p in rules.permissions.permissions if p.startswith("servicedesk.")} == set(APPROVED)


def test_rules_matrix_matches_the_approved_matrix(world):
    assert generated(world, lambda user, perm, obj: rules.has_perm(perm, user, obj)) == APPROVED


def test_user_has_perm_matches_the_approved_matrix(world):
    assert generated(world, lambda user, perm, obj: user.has_perm(perm, obj)) == APPROVED


def test_permission_table_states_the_role_only_rows():
    for perm, roles in PERMISSION_TABLE.items():
        assert APPROVED[perm] == same({str(r) for r in roles}), perm


def test_system_administrator_and_auditor_hold_no_service_desk_permission():
    for perm, scopes in APPROVED.items():
        for roles in scopes.values():
            assert not roles & {"sysadmin", "auditor"}, perm


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_exactly_the_requests_it_should(world, role):
    visible = request_visible_to(world["users"][role])
    expected_own, expected_other = VISIBILITY[role]
    assert visible.filter(pk=world["own"].pk).exists() is expected_own
    assert visible.filter(pk=world["other"].pk).exists() is expected_other


def test_commissioner_loses_sight_of_an_enterprise_after_handing_it_over(world, desk):
    from kechuang.servicedesk.choices import AssignmentRole
    from kechuang.servicedesk.permissions import forget_assignments
    from kechuang.testing.factories import user_with_role

    successor = user_with_role("commissioner", None, username="comm-next")
    services.assignment_set(
        actor=desk["operator"], organization=desk["org"], role=AssignmentRole.COMMISSIONER, user=successor
    )
    forget_assignments(desk["commissioner"])
    assert not request_visible_to(desk["commissioner"]).filter(pk=world["own"].pk).exists()
    assert request_visible_to(successor).filter(pk=world["own"].pk).exists()
    assert not visit_visible_to(desk["commissioner"]).exists()
