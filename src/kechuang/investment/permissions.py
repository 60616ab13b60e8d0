"""Who may see and change the investment records (docs/adr/0026-investment-attraction.md).

Leads are the district's confidential business: only district staff (operators, commissioners, leaders)
see the pipeline at all; an enterprise, an institute or any other account sees no lead, no key project
and no retention case, whatever it asks for (404). Within the staff, a lead's confidential fields (the
planned investment, the negotiated terms, the documents and the stage evidence) are shown to its
responsible leader, its case officer and the operators only; other staff see the card (name, stage,
cluster, owners, clocks).

Changes: operators, and on a lead its leader and case officer; the owners are set by operators.
Key projects: operators and the project's leader. Retention cases: operators and the case's owner.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kechuang.core.predicates import add_perm, predicate
from kechuang.core.roles import STAFF_ROLES, Role, roles_of

from .models import KeyProject, Lead, RetentionCase


def _pk(user: Any) -> int | None:
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def is_district_staff(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


# --- visibility ----------------------------------------------------------------------------------


def lead_visible_to(user: Any) -> QuerySet[Lead]:
    return Lead.objects.all() if is_district_staff(user) else Lead.objects.none()


def project_visible_to(user: Any) -> QuerySet[KeyProject]:
    return KeyProject.objects.all() if is_district_staff(user) else KeyProject.objects.none()


def retention_visible_to(user: Any) -> QuerySet[RetentionCase]:
    return RetentionCase.objects.all() if is_district_staff(user) else RetentionCase.objects.none()


def confidential_lead_ids(user: Any) -> QuerySet[Lead] | None:
    """``None``: every lead's confidential fields (operators); else the leads whose fields the user
    may see (as leader or case officer)."""
    if Role.OPERATOR in roles_of(user):
        return None
    pk = _pk(user)
    if pk is None or not is_district_staff(user):
        return Lead.objects.none()
    from django.db.models import Q

    return Lead.objects.filter(Q(leader_id=pk) | Q(case_officer_id=pk))


# --- predicates ----------------------------------------------------------------------------------


@predicate
def is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


@predicate
def is_staff(user: Any) -> bool:
    return is_district_staff(user)


@predicate
def owns_lead(user: Any, lead: Lead | None) -> bool:
    """The lead's responsible leader or case officer (still in a staff role)."""
    pk = _pk(user)
    return (
        lead is not None
        and pk is not None
        and is_district_staff(user)
        and pk in (lead.leader_id, lead.case_officer_id)
    )


@predicate
def leads_project(user: Any, project: KeyProject | None) -> bool:
    pk = _pk(user)
    return project is not None and pk is not None and is_district_staff(user) and project.leader_id == pk


@predicate
def owns_case(user: Any, case: RetentionCase | None) -> bool:
    pk = _pk(user)
    return case is not None and pk is not None and is_district_staff(user) and case.owner_id == pk


can_view_lead = is_staff
can_create_lead = is_staff
can_see_confidential = is_operator | owns_lead
can_work_lead = is_operator | owns_lead  # advance, record activity and feedback, close, reserve
can_assign_lead = is_operator
can_view_pipeline = is_staff
can_manage_project = is_operator | leads_project
can_create_project = is_operator
can_work_case = is_operator | owns_case
can_create_case = is_staff

add_perm("investment.view_lead", can_view_lead)
add_perm("investment.add_lead", can_create_lead)
add_perm("investment.see_confidential", can_see_confidential)
add_perm("investment.work_lead", can_work_lead)
add_perm("investment.assign_lead", can_assign_lead)
add_perm("investment.view_pipeline", can_view_pipeline)
add_perm("investment.add_keyproject", can_create_project)
add_perm("investment.manage_keyproject", can_manage_project)
add_perm("investment.add_retentioncase", can_create_case)
add_perm("investment.work_retentioncase", can_work_case)

# Role-only permissions (docs/reliability.md B3), compared with the approved matrix in tests/investment.
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "investment.view_lead": STAFF_ROLES,
    "investment.add_lead": STAFF_ROLES,
    "investment.assign_lead": frozenset({Role.OPERATOR}),
    "investment.view_pipeline": STAFF_ROLES,
    "investment.add_keyproject": frozenset({Role.OPERATOR}),
    "investment.add_retentioncase": STAFF_ROLES,
}
