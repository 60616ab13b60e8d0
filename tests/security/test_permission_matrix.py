"""docs/reliability.md B3: the role × action matrix, generated from the code (the rules registered with
``rules.add_perm`` and ``directory.permissions.PERMISSION_TABLE``, evaluated for one user per role),
compared with the approved matrix written below. A new permission, or a change of who holds one,
fails here until the matrix is reviewed and updated."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from kechuang.accounts.choices import Role
from kechuang.directory.permissions import PERMISSION_TABLE
from kechuang.testing.factories import OrganizationFactory, PersonFactory
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = MATRIX_ROLES
MEMBERS = {"operator", "commissioner", "leader", "institute", "enterprise", "provider"}  # admins of an org
NOBODY: frozenset[str] = frozenset()
OPERATOR = frozenset({"operator"})
OWN_ORG_ADMINS = frozenset(MEMBERS)

# perm → scope → roles that hold it. Scopes: "-" no object; "own" the user's own organization (or a
# person in it); "other" another enterprise (or a person in it).
APPROVED = {
    "directory.add_organization": {"-": OPERATOR, "own": OPERATOR, "other": OPERATOR},
    "directory.change_organization": {"-": OPERATOR, "own": OWN_ORG_ADMINS, "other": OPERATOR},
    "directory.import_directory": {"-": OPERATOR, "own": OPERATOR, "other": OPERATOR},
    "directory.add_person": {"-": OPERATOR, "own": OWN_ORG_ADMINS, "other": OPERATOR},
    "directory.change_person": {"-": OPERATOR, "own": OWN_ORG_ADMINS, "other": OPERATOR},
    "directory.change_technologyfield": {"-": OPERATOR, "own": OPERATOR, "other": OPERATOR},
}
SCOPED_APPS = ("directory.",)


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
    district_office,
    institute_org,
    enterprise_org,
    provider_org,
):
    users = {
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
    own = {
        "operator": district_office,
        "commissioner": district_office,
        "leader": district_office,
        "institute": institute_org,
        "enterprise": enterprise_org,
        "provider": provider_org,
    }
    return users, own


def subject(perm: str, organization):
    """The object a permission is checked against: the organization itself, or a person in it."""
    if organization is None:
        return None
    if perm.endswith("_person") and perm.startswith("directory.change"):
        return PersonFactory(organization=organization)
    return organization


def generated_matrix(users, own, check) -> dict:
    stranger = OrganizationFactory(name="矩阵测试第三方企业")
    matrix: dict = {}
    for perm in sorted(p for p in rules.permissions.permissions if p.startswith(SCOPED_APPS)):
        matrix[perm] = {"-": set(), "own": set(), "other": set()}
        for role in ROLES:
            user = users[role]
            objects = {"-": None, "own": subject(perm, own.get(role)), "other": subject(perm, stranger)}
            for scope, obj in objects.items():
                if check(user, perm, obj):
                    matrix[perm][scope].add(role)
    return matrix


def test_every_registered_directory_permission_is_in_the_approved_matrix():
    registered = {p for p in rules.permissions.permissions if p.startswith(SCOPED_APPS)}
    assert registered == set(APPROVED)


def test_rules_matrix_matches_the_approved_matrix(people):
    users, own = people
    matrix = generated_matrix(users, own, lambda user, perm, obj: rules.has_perm(perm, user, obj))
    assert matrix == APPROVED


def test_user_has_perm_through_every_backend_matches_the_approved_matrix(people):
    """The same matrix through ``user.has_perm`` (rules plus Django's group permissions)."""
    users, own = people
    matrix = generated_matrix(users, own, lambda user, perm, obj: user.has_perm(perm, obj))
    assert matrix == APPROVED


def test_permission_table_states_the_role_only_permissions_of_the_matrix():
    for perm, roles in PERMISSION_TABLE.items():
        assert {str(r) for r in roles} == APPROVED[perm]["-"], perm
        assert APPROVED[perm]["own"] == APPROVED[perm]["other"] == APPROVED[perm]["-"], perm


def test_staff_roles_are_separate_from_system_administrator_and_auditor():
    assert Role.SYSADMIN not in {"operator", "commissioner", "leader"}
    for perm, scopes in APPROVED.items():
        for roles in scopes.values():
            assert "sysadmin" not in roles and "auditor" not in roles, perm


# --- the same matrix at the door: directory pages per role ---------------------------------------
# role → (new-organization form, own organization's edit form, another enterprise's edit form,
#         import page, people list)
PAGE_MATRIX = {
    "operator": (200, 200, 200, None, 200),
    "commissioner": (403, 200, 403, None, 200),
    "leader": (403, 200, 403, None, 200),
    "institute": (403, 200, 403, None, 200),
    "enterprise": (403, 200, 403, None, 200),
    "provider": (403, 200, 403, None, 200),
    "expert": (403, None, 403, None, 200),
    "sysadmin": (403, None, 403, None, 200),
    "auditor": (403, None, 403, None, 200),
    "anonymous": (302, None, 302, 302, 302),
}


@pytest.mark.parametrize("role", ROLES)
def test_directory_pages_answer_each_role_as_approved(client, people, role):
    users, own = people
    stranger = OrganizationFactory(name="页面矩阵第三方企业")
    user = users[role]
    if role != "anonymous":
        client.force_login(user)
    urls = [
        reverse("directory:organization-create"),
        reverse("directory:organization-update", args=[own[role].pk]) if role in own else None,
        reverse("directory:organization-update", args=[stranger.pk]),
        reverse("directory:import-start"),
        reverse("directory:person-list"),
    ]
    expected = PAGE_MATRIX[role]
    for url, status in zip(urls, expected, strict=True):
        if url is None or status is None:
            continue
        assert client.get(url).status_code == status, (role, url)


@pytest.mark.slow
@pytest.mark.parametrize("role", [r for r in ROLES if r != "operator"])
def test_import_page_is_not_open_to_roles_other_than_operator(client, people, role):
    users, _own = people
    if role != "anonymous":
        client.force_login(users[role])
    assert client.get(reverse("directory:import-start")).status_code in (302, 403, 404)
