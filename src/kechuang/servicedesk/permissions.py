"""Who may see and change service-desk records: the visibility querysets and the rules predicates.

Visibility of a request (and of its events and attachments):
- operators and leaders see every request (leaders oversee, 督办);
- a commissioner sees the requests of the enterprises currently assigned to them, and the requests
  routed to them personally (they handled them);
- members of the enterprise with the enterprise role see their enterprise's requests;
- nobody else sees any. Internal notes (``is_internal`` events) are never shown to the enterprise.
Every list, figure, export and API result starts from these querysets (docs/design.md §4).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core.figures import cached_figures
from kechuang.core.predicates import add_perm, predicate
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.permissions import member_organization_ids

from .choices import AssignmentRole
from .models import OPEN_STATUSES, Assignment, Plan, RequestAttachment, RequestEvent, ServiceRequest, Visit

STAFF_READERS = frozenset({Role.OPERATOR, Role.LEADER})


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _has(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def assigned_organization_ids(user: Any, role: str = AssignmentRole.COMMISSIONER) -> set[int]:
    """Enterprises the user currently serves as commissioner (or, with ``role="leader"``, is 包保 for).
    Kept on the user object for the request, and in the shared cache until the next write: every
    assignment service records an audit entry, and any other save or delete of an assignment (the admin's)
    retires the cache too (``apps``; docs/adr/0029-page-speed.md). A commissioner's every page filters
    by it."""
    if not _signed_in(user):
        return set()
    cache: dict[str, set[int]] = user.__dict__.setdefault("_servicedesk_assigned", {})
    if role not in cache:

        def current() -> list[int]:
            return sorted(
                Assignment.objects.filter(user=user, role=role, ended_at__isnull=True).values_list(
                    "organization_id", flat=True
                )
            )

        cache[role] = set(cached_figures(f"servicedesk:assigned:{user.pk}:{role}", current))
    return cache[role]


def forget_assignments(user: Any) -> None:
    """Drop the cached assignment ids (after a change in the same request)."""
    if user is not None:
        user.__dict__.pop("_servicedesk_assigned", None)


def enterprise_member_ids(user: Any) -> set[int]:
    """Organizations the user acts for as an enterprise user."""
    if not _has(user, Role.ENTERPRISE):
        return set()
    return member_organization_ids(user)


def request_visible_to(user: Any) -> QuerySet[ServiceRequest]:
    qs = ServiceRequest.objects.all()
    if not _signed_in(user):
        return qs.none()
    if _has(user, *STAFF_READERS):
        return qs
    condition = Q(pk__in=[])
    if _has(user, Role.COMMISSIONER):
        condition |= Q(organization_id__in=assigned_organization_ids(user)) | Q(commissioner=user)
    members = enterprise_member_ids(user)
    if members:
        condition |= Q(organization_id__in=members)
    return qs.filter(condition)


def event_visible_to(user: Any) -> QuerySet[RequestEvent]:
    qs = RequestEvent.objects.filter(request__in=request_visible_to(user).values("pk"))
    if not _is_staff(user):
        qs = qs.filter(is_internal=False)
    return qs


def attachment_visible_to(user: Any) -> QuerySet[RequestAttachment]:
    return RequestAttachment.objects.filter(request__in=request_visible_to(user).values("pk"))


def visit_visible_to(user: Any) -> QuerySet[Visit]:
    qs = Visit.objects.all()
    if not _signed_in(user):
        return qs.none()
    if _has(user, *STAFF_READERS):
        return qs
    condition = Q(pk__in=[])
    if _has(user, Role.COMMISSIONER):
        condition |= Q(organization_id__in=assigned_organization_ids(user)) | Q(visitor=user)
    members = enterprise_member_ids(user)
    if members:
        condition |= Q(organization_id__in=members)
    return qs.filter(condition)


def plan_visible_to(user: Any) -> QuerySet[Plan]:
    qs = Plan.objects.all()
    if not _signed_in(user):
        return qs.none()
    if _has(user, *STAFF_READERS):
        return qs
    ids = set(enterprise_member_ids(user))
    if _has(user, Role.COMMISSIONER):
        ids |= assigned_organization_ids(user)
    return qs.filter(organization_id__in=ids)


def _is_staff(user: Any) -> bool:
    return _has(user, Role.OPERATOR, Role.LEADER, Role.COMMISSIONER)


# --- predicates --------------------------------------------------------------------------------------


@predicate
def is_operator(user: Any) -> bool:
    return _has(user, Role.OPERATOR)


@predicate
def is_leader(user: Any) -> bool:
    return _has(user, Role.LEADER)


@predicate
def is_commissioner(user: Any) -> bool:
    return _has(user, Role.COMMISSIONER)


@predicate
def is_desk_staff(user: Any) -> bool:
    return _is_staff(user)


@predicate
def is_enterprise_user(user: Any) -> bool:
    return _has(user, Role.ENTERPRISE)


def _organization_of(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, ServiceRequest | Visit | Plan):
        return obj.organization_id
    if getattr(obj, "kind", None) == OrganizationKind.ENTERPRISE:
        return int(obj.pk)
    return None


@predicate
def serves_organization(user: Any, obj: Any) -> bool:
    """The user is the current commissioner of the enterprise (or the request was routed to them)."""
    if not _has(user, Role.COMMISSIONER):
        return False
    if isinstance(obj, ServiceRequest) and obj.commissioner_id == user.pk:
        return True
    org = _organization_of(obj)
    return org is not None and org in assigned_organization_ids(user)


@predicate
def leads_organization(user: Any, obj: Any) -> bool:
    """The user is the enterprise's responsible leader (包保)."""
    if not _has(user, Role.LEADER):
        return False
    org = _organization_of(obj)
    return org is not None and org in assigned_organization_ids(user, AssignmentRole.LEADER)


@predicate
def belongs_to_enterprise(user: Any, obj: Any) -> bool:
    """The user acts for the enterprise the object belongs to (enterprise role and membership)."""
    org = _organization_of(obj)
    return org is not None and org in enterprise_member_ids(user)


@predicate
def is_open_request(user: Any, obj: Any) -> bool:
    return isinstance(obj, ServiceRequest) and obj.status in OPEN_STATUSES


can_file_request = belongs_to_enterprise | is_operator | serves_organization
can_handle_request = is_operator | serves_organization
can_note_request = is_operator | serves_organization | is_leader
can_act_for_enterprise = belongs_to_enterprise
can_reassign_request = is_operator
can_manage_assignments = is_operator
can_view_workload = is_operator | is_leader
can_edit_calendar = is_operator
can_edit_sla_policy = is_operator
can_view_figures = is_operator | is_leader | is_commissioner
can_view_desk = is_desk_staff | is_enterprise_user
can_plan_visit = is_operator | serves_organization | leads_organization
can_edit_plan = is_operator | serves_organization | leads_organization
can_view_plan = is_operator | is_leader | serves_organization | belongs_to_enterprise
can_set_preference = belongs_to_enterprise

add_perm("servicedesk.file_request", can_file_request)
add_perm("servicedesk.handle_request", can_handle_request)
add_perm("servicedesk.note_request", can_note_request)
add_perm("servicedesk.close_request", can_act_for_enterprise)
add_perm("servicedesk.reassign_request", can_reassign_request)
add_perm("servicedesk.manage_assignments", can_manage_assignments)
add_perm("servicedesk.view_workload", can_view_workload)
add_perm("servicedesk.edit_calendar", can_edit_calendar)
add_perm("servicedesk.edit_sla_policy", can_edit_sla_policy)
add_perm("servicedesk.view_figures", can_view_figures)
add_perm("servicedesk.plan_visit", can_plan_visit)
add_perm("servicedesk.edit_plan", can_edit_plan)
add_perm("servicedesk.view_plan", can_view_plan)
add_perm("servicedesk.set_preference", can_set_preference)

# The approved role × action table for the permissions that depend on the role alone (docs/reliability.md B3).
# tests/servicedesk/test_permissions.py evaluates every registered predicate for one user per role,
# without an object and against an object of their own and of another enterprise, and compares the
# result with its approved matrix (which restates this table for the role-only rows).
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "servicedesk.reassign_request": frozenset({Role.OPERATOR}),
    "servicedesk.manage_assignments": frozenset({Role.OPERATOR}),
    "servicedesk.view_workload": frozenset({Role.OPERATOR, Role.LEADER}),
    "servicedesk.edit_calendar": frozenset({Role.OPERATOR}),
    "servicedesk.edit_sla_policy": frozenset({Role.OPERATOR}),
    "servicedesk.view_figures": frozenset({Role.OPERATOR, Role.LEADER, Role.COMMISSIONER}),
}
