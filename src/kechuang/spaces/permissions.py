"""Who may see and change space records: visibility querysets and rules predicates.

Actors:
- operators (运营) run the inventory of the whole district: units, reservations, leases, imports;
- a park operator is a member of an organization of kind ``park_operator`` whose ``park`` is set; it
  manages the units of that park's buildings (whatever its role group);
- enterprises file space requests for the organization they are members of and book viewings;
- leaders read everything (no writes); a commissioner reads what concerns the enterprises assigned to
  them (docs/reliability.md L2);
- any signed-in user browses the inventory and the vacancy map; anonymous visitors see nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.accounts.choices import STAFF_ROLES, Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.permissions import STAFF_ORGANIZATION_KINDS

from .models import Lease, Reservation, SpaceRequest, SpaceUnit, Viewing


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _memberships(user: Any) -> list[tuple[int, str, int | None]]:
    """(organization id, kind, park id) of the user's memberships, read once per user object."""
    if not _signed_in(user):
        return []
    cached = getattr(user, "_space_memberships", None)
    if cached is None:
        loaded = getattr(user, "_memberships_cache", None)  # the request's principal (accounts.principal)
        if loaded is not None:
            cached = [(m.organization_id, m.organization.kind, m.organization.park_id) for m in loaded]
        else:
            cached = list(
                user.memberships.values_list("organization_id", "organization__kind", "organization__park_id")
            )
        user._space_memberships = cached
    return cached


def member_organization_ids(user: Any) -> set[int]:
    """Membership of a government unit grants nothing by itself (docs/reliability.md L2)."""
    return {org_id for org_id, kind, _park in _memberships(user) if kind not in STAFF_ORGANIZATION_KINDS}


def enterprise_ids(user: Any) -> set[int]:
    """Enterprises the user acts for (enterprise role and a membership)."""
    if Role.ENTERPRISE not in roles_of(user):
        return set()
    return {org_id for org_id, kind, _park in _memberships(user) if kind == OrganizationKind.ENTERPRISE}


def managed_park_ids(user: Any) -> set[int]:
    return {
        park for _org, kind, park in _memberships(user) if kind == OrganizationKind.PARK_OPERATOR and park
    }


def is_space_staff(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def reads_all_holds(user: Any) -> bool:
    """Operators run the inventory and leaders oversee it: they read every request and hold."""
    return bool(roles_of(user) & {Role.OPERATOR, Role.LEADER})


def served_organization_ids(user: Any) -> set[int]:
    """The enterprises a commissioner serves (their current assignments)."""
    if Role.COMMISSIONER not in roles_of(user):
        return set()
    from kechuang.servicedesk.permissions import assigned_organization_ids

    return assigned_organization_ids(user)


def is_park_operator(user: Any) -> bool:
    return bool(managed_park_ids(user))


# --- visibility ----------------------------------------------------------------------------------


def unit_visible_to(user: Any) -> QuerySet[SpaceUnit]:
    return SpaceUnit.objects.all() if _signed_in(user) else SpaceUnit.objects.none()


def _scoped(qs: QuerySet[Any], user: Any, *, org_field: str, park_field: str) -> QuerySet[Any]:
    if not _signed_in(user):
        return qs.none()
    if reads_all_holds(user):
        return qs
    orgs = member_organization_ids(user) | served_organization_ids(user)
    return qs.filter(Q(**{f"{org_field}__in": orgs}) | Q(**{f"{park_field}__in": managed_park_ids(user)}))


def request_visible_to(user: Any) -> QuerySet[SpaceRequest]:
    """Operators and leaders see every request; an enterprise its own; a commissioner those of the
    enterprises they serve; a park operator those with a viewing or a reservation in its park."""
    qs = SpaceRequest.objects.all()
    if not _signed_in(user):
        return qs.none()
    if reads_all_holds(user):
        return qs
    parks = managed_park_ids(user)
    in_park = Q(pk__in=Viewing.objects.filter(unit__building__park__in=parks).values("request_id")) | Q(
        pk__in=Reservation.objects.filter(unit__building__park__in=parks).values("request_id")
    )
    if not parks:
        in_park = Q(pk__in=[])
    orgs = member_organization_ids(user) | served_organization_ids(user)
    return qs.filter(Q(organization__in=orgs) | in_park)


def viewing_visible_to(user: Any) -> QuerySet[Viewing]:
    return _scoped(Viewing.objects.all(), user, org_field="organization", park_field="unit__building__park")


def reservation_visible_to(user: Any) -> QuerySet[Reservation]:
    return _scoped(
        Reservation.objects.all(), user, org_field="organization", park_field="unit__building__park"
    )


def lease_visible_to(user: Any) -> QuerySet[Lease]:
    return _scoped(Lease.objects.all(), user, org_field="organization", park_field="unit__building__park")


def may_see_holders(user: Any, unit: SpaceUnit | None = None) -> bool:
    """Who holds a unit is shown to staff and to the unit's park operator, not to other enterprises."""
    if is_space_staff(user):
        return True
    parks = managed_park_ids(user)
    if unit is None:
        return bool(parks)
    return unit.building.park_id in parks


# --- predicates ----------------------------------------------------------------------------------


@predicate
def is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


@predicate
def manages_unit(user: Any, unit: SpaceUnit | None) -> bool:
    """A park operator: any unit of its park (with no object: it manages some park)."""
    parks = managed_park_ids(user)
    if unit is None:
        return bool(parks)
    return unit.building.park_id is not None and unit.building.park_id in parks


@predicate
def manages_unit_of(user: Any, obj: Viewing | Reservation | Lease | None) -> bool:
    return bool(manages_unit(user, obj.unit if obj is not None else None))


@predicate
def files_requests(user: Any) -> bool:
    return bool(enterprise_ids(user))


@predicate
def owns_request(user: Any, obj: SpaceRequest | Viewing | None) -> bool:
    return obj is not None and obj.organization_id in enterprise_ids(user)


can_manage_unit = is_operator | manages_unit
can_import_units = is_operator
can_create_request = files_requests
can_cancel_request = is_operator | owns_request
can_book_viewing = owns_request
can_handle_viewing = is_operator | manages_unit_of
can_cancel_viewing = is_operator | owns_request | manages_unit_of
can_reserve_unit = is_operator | manages_unit
can_lease_unit = is_operator | manages_unit
can_handle_hold = is_operator | manages_unit_of  # cancel a reservation, lease it, release a lease

add_perm("spaces.change_spaceunit", can_manage_unit)
add_perm("spaces.import_spaceunits", can_import_units)
add_perm("spaces.add_spacerequest", can_create_request)
add_perm("spaces.cancel_spacerequest", can_cancel_request)
add_perm("spaces.book_viewing", can_book_viewing)
add_perm("spaces.handle_viewing", can_handle_viewing)
add_perm("spaces.cancel_viewing", can_cancel_viewing)
add_perm("spaces.reserve_spaceunit", can_reserve_unit)
add_perm("spaces.lease_spaceunit", can_lease_unit)
add_perm("spaces.handle_hold", can_handle_hold)

# Role-only permissions (docs/reliability.md B3), compared with the approved matrix in tests/spaces.
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "spaces.import_spaceunits": frozenset({Role.OPERATOR}),
}
