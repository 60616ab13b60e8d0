"""Who may see and change directory records: visibility querysets and rules predicates."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kechuang.accounts.choices import STAFF_ROLES, Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate

from .choices import PUBLIC_KINDS, OrganizationKind
from .models import Organization, Person

# Organizations whose members are the platform's own staff: membership there is where they work, not a
# party to any business on the platform.
STAFF_ORGANIZATION_KINDS = frozenset({OrganizationKind.GOVERNMENT})


def organization_visible_to(user: Any) -> QuerySet[Organization]:
    """Anonymous visitors see public kinds (institutes, providers, parks' operators…); signed-in users
    see the whole directory (contact phones are masked by the presenters, not here)."""
    qs = Organization.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.filter(kind__in=PUBLIC_KINDS)
    return qs


def person_visible_to(user: Any) -> QuerySet[Person]:
    """People need a signed-in user."""
    if not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    return Person.objects.all()


def investor_organization_ids(user: Any) -> set[int]:
    """The investment institutions (投资机构) the user acts for as a member. An investor's member takes part
    in roadshows for their institution (docs/adr/0025-events-and-competitions.md); being an investor
    grants no role: what a role allows is unchanged, and the modules that serve enterprises (spaces,
    vouchers, the service desk) check the organization's kind and refuse an investor as an enterprise."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_investor_org_ids", None)
    if cached is None:
        cached = set(
            user.memberships.filter(organization__kind=OrganizationKind.INVESTOR).values_list(
                "organization_id", flat=True
            )
        )
        user._investor_org_ids = cached
    return cached


def member_organization_ids(user: Any) -> set[int]:
    """The organizations whose own business the user may see as a member: their enterprise, institute or
    provider. Membership of a government unit (the district's management committee) grants nothing by
    itself (docs/reliability.md L2, docs/adr/0022-separation-of-duties.md): district staff see what their
    role's duty needs, through the role; the system administrator and the auditor, no business content."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_member_org_ids", None)
    if cached is None:
        loaded = getattr(user, "_memberships_cache", None)  # the request's principal (accounts.principal)
        if loaded is not None:
            cached = {
                m.organization_id for m in loaded if m.organization.kind not in STAFF_ORGANIZATION_KINDS
            }
        else:
            cached = set(
                user.memberships.exclude(organization__kind__in=STAFF_ORGANIZATION_KINDS).values_list(
                    "organization_id", flat=True
                )
            )
        user._member_org_ids = cached
    return cached


def may_see_full_phone(user: Any, organization_id: int | None) -> bool:
    """Staff, and members of the organization itself, see phone numbers in full (docs/reliability.md D1)."""
    roles = roles_of(user)
    if roles & STAFF_ROLES:
        return True
    return organization_id is not None and organization_id in member_organization_ids(user)


@predicate
def is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


@predicate
def is_organization_admin(user: Any, organization: Organization | None) -> bool:
    if organization is None or not getattr(user, "is_authenticated", False):
        return False
    return user.memberships.filter(organization=organization, is_admin=True).exists()  # type: ignore[no-any-return]


@predicate
def is_person_organization_admin(user: Any, person: Person | None) -> bool:
    if person is None or person.organization_id is None:
        return False
    return bool(is_organization_admin(user, person.organization))


can_create_organization = is_operator
can_change_organization = is_operator | is_organization_admin
can_import_directory = is_operator
can_create_person = is_operator | is_organization_admin
can_change_person = is_operator | is_person_organization_admin
can_edit_taxonomy = is_operator

add_perm("directory.add_organization", can_create_organization)
add_perm("directory.change_organization", can_change_organization)
add_perm("directory.import_directory", can_import_directory)
add_perm("directory.add_person", can_create_person)
add_perm("directory.change_person", can_change_person)
add_perm("directory.change_technologyfield", can_edit_taxonomy)

# The approved role × action table (docs/reliability.md B3): the tests generate the matrix from the code and
# compare it with this.
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "directory.add_organization": frozenset({Role.OPERATOR}),
    "directory.import_directory": frozenset({Role.OPERATOR}),
    "directory.change_technologyfield": frozenset({Role.OPERATOR}),
}
