"""Who may see and do what with challenges: one visibility queryset per model, and ``can_<verb>_<entity>``
predicates that the services check (and the pages use to show buttons).

* The public sees published challenges (the notice, 公示) and, once awarded, their progress.
* Operators run the process; leaders and auditors read everything; leaders (and a second operator)
  approve tranche payments — never the person who requested them (docs/reliability.md B4).
* An issuer's members manage their own challenges, see the applications to them, sign the task book and
  accept milestones. An applicant's members (and co-applicants') see their own applications.
* An expert sees the applications of the panels they sit on, except any application they are in conflict
  with (same organization as the applicant or a co-applicant, or a team member themselves). Scores are
  blind: before the panel closes a reviewer sees only their own scores; nobody else sees any value.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.directory.models import Person
from kechuang.directory.permissions import member_organization_ids

from .choices import (
    AWARDED_STATUSES,
    PUBLIC_STATUSES,
    ApplicationStatus,
    ChallengeStatus,
    MilestoneStatus,
    PanelStatus,
)
from .models import (
    Application,
    ApplicationAttachment,
    Award,
    Challenge,
    Milestone,
    Panel,
    PanelMember,
    Score,
    TranchePayment,
)

STAFF_READERS = frozenset({Role.OPERATOR, Role.LEADER, Role.AUDITOR})
APPLICANT_ROLES = frozenset({Role.ENTERPRISE, Role.INSTITUTE, Role.PROVIDER})
ISSUER_ROLES = frozenset({Role.ENTERPRISE})

# The approved role table (docs/reliability.md B3): action → roles that may do it at all. Object rules (own
# organization, panel membership, maker-checker) come on top in the predicates below.
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "create_challenge": frozenset({Role.OPERATOR, Role.ENTERPRISE}),
    "review_challenge": frozenset({Role.OPERATOR}),
    "apply": APPLICANT_ROLES,
    "build_panel": frozenset({Role.OPERATOR}),
    "score": frozenset({Role.EXPERT}),
    "close_panel": frozenset({Role.OPERATOR}),
    "award": frozenset({Role.OPERATOR}),
    "sign_task_book": frozenset({Role.OPERATOR, Role.ENTERPRISE}),
    "deliver_milestone": APPLICANT_ROLES,
    "accept_milestone": frozenset({Role.OPERATOR, Role.ENTERPRISE}),
    "request_tranche": frozenset({Role.OPERATOR}),
    "approve_tranche": frozenset({Role.OPERATOR, Role.LEADER}),
    "read_all": STAFF_READERS,
}


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _roles(user: Any) -> frozenset[str]:
    return roles_of(user)


def may(user: Any, action: str) -> bool:
    return bool(_roles(user) & PERMISSION_TABLE[action])


def is_operator(user: Any) -> bool:
    return Role.OPERATOR in _roles(user)


def is_leader(user: Any) -> bool:
    return Role.LEADER in _roles(user)


def is_staff_reader(user: Any) -> bool:
    return may(user, "read_all")


def organizations_of(user: Any) -> set[int]:
    return member_organization_ids(user)


def expert_person(user: Any) -> Person | None:
    """The expert-pool person behind this account (a directory person flagged as expert), if any."""
    if not _signed_in(user) or Role.EXPERT not in _roles(user):
        return None
    if not hasattr(user, "_challenge_expert"):
        user._challenge_expert = Person.objects.filter(user=user, is_expert=True).first()
    expert: Person | None = user._challenge_expert
    return expert


def conflict_q(person: Person) -> Q:
    """Applications this expert may not review or see: same organization as the applicant or a
    co-applicant, or on the team."""
    condition = Q(team_members=person)
    if person.organization_id:
        condition |= Q(organization_id=person.organization_id) | Q(co_applicants=person.organization_id)
    return condition


def conflicted_application_ids(person: Person, applications: QuerySet[Application]) -> set[int]:
    return set(applications.filter(conflict_q(person)).values_list("pk", flat=True))


def has_conflict(person: Person, application: Application) -> bool:
    return Application.objects.filter(pk=application.pk).filter(conflict_q(person)).exists()


# --- visibility ---------------------------------------------------------------------------------------


def challenge_visible_to(user: Any) -> QuerySet[Challenge]:
    public = Q(status__in=PUBLIC_STATUSES)
    if not _signed_in(user):
        return Challenge.objects.filter(public)
    if is_staff_reader(user):
        return Challenge.objects.all()
    orgs = organizations_of(user)
    condition = public | Q(issuer_id__in=orgs)
    person = expert_person(user)
    if person is not None:
        condition |= Q(panel__members__expert=person)
    return Challenge.objects.filter(condition).distinct()


def application_visible_to(user: Any) -> QuerySet[Application]:
    if not _signed_in(user):
        return Application.objects.none()
    if is_staff_reader(user):
        return Application.objects.all()
    orgs = organizations_of(user)
    own = Q(organization_id__in=orgs) | Q(co_applicants__in=orgs)
    issuer = Q(challenge__issuer_id__in=orgs) & ~Q(status=ApplicationStatus.WITHDRAWN)
    ids = set(Application.objects.filter(own | issuer).values_list("pk", flat=True))
    person = expert_person(user)
    if person is not None:
        on_panel = Application.objects.filter(challenge__panel__members__expert=person).exclude(
            status=ApplicationStatus.WITHDRAWN
        )
        conflicted = conflicted_application_ids(person, on_panel)
        ids |= set(on_panel.values_list("pk", flat=True)) - conflicted
    return Application.objects.filter(pk__in=ids)


def attachment_visible_to(user: Any) -> QuerySet[ApplicationAttachment]:
    return ApplicationAttachment.objects.filter(application__in=application_visible_to(user))


def panel_visible_to(user: Any) -> QuerySet[Panel]:
    if not _signed_in(user):
        return Panel.objects.none()
    if is_staff_reader(user):
        return Panel.objects.all()
    person = expert_person(user)
    condition = Q(challenge__issuer_id__in=organizations_of(user), status=PanelStatus.CLOSED)
    if person is not None:
        condition |= Q(members__expert=person)
    return Panel.objects.filter(condition).distinct()


def score_visible_to(user: Any) -> QuerySet[Score]:
    """Blind scoring: while a panel is open each reviewer sees only their own scores and nobody else sees
    any; once it closes, staff readers and the panel's members see them all."""
    if not _signed_in(user):
        return Score.objects.none()
    person = expert_person(user)
    condition = Q(pk__in=[])
    if person is not None:
        condition |= Q(member__expert=person)
        condition |= Q(member__panel__members__expert=person, member__panel__status=PanelStatus.CLOSED)
    if is_staff_reader(user):
        condition |= Q(member__panel__status=PanelStatus.CLOSED)
    return Score.objects.filter(condition).distinct()


def award_visible_to(user: Any) -> QuerySet[Award]:
    """Awards are part of the public progress page of an awarded challenge."""
    return Award.objects.filter(
        challenge__in=challenge_visible_to(user), challenge__status__in=AWARDED_STATUSES
    )


def milestone_visible_to(user: Any) -> QuerySet[Milestone]:
    return Milestone.objects.filter(award__in=award_visible_to(user))


def payment_visible_to(user: Any) -> QuerySet[TranchePayment]:
    return TranchePayment.objects.filter(award__in=award_visible_to(user))


def panel_member_visible_to(user: Any) -> QuerySet[PanelMember]:
    return PanelMember.objects.filter(panel__in=panel_visible_to(user))


# --- object predicates ----------------------------------------------------------------------------------


def is_issuer_member(user: Any, challenge: Challenge) -> bool:
    return _signed_in(user) and challenge.issuer_id in organizations_of(user)


def can_create_challenge(user: Any, organization: Any = None) -> bool:
    if is_operator(user):
        return True
    return (
        Role.ENTERPRISE in _roles(user)
        and organization is not None
        and organization.pk in organizations_of(user)
    )


def can_edit_challenge(user: Any, challenge: Challenge) -> bool:
    """Drafts, and challenges the operators sent back (未通过审核), which the issuer revises and resubmits."""
    if challenge.status not in (ChallengeStatus.DRAFT, ChallengeStatus.REJECTED):
        return False
    return is_operator(user) or (Role.ENTERPRISE in _roles(user) and is_issuer_member(user, challenge))


def can_submit_challenge(user: Any, challenge: Challenge) -> bool:
    return can_edit_challenge(user, challenge)


def can_withdraw_challenge(user: Any, challenge: Challenge) -> bool:
    if challenge.status not in (ChallengeStatus.DRAFT, ChallengeStatus.SUBMITTED, ChallengeStatus.PUBLISHED):
        return False
    return is_operator(user) or (Role.ENTERPRISE in _roles(user) and is_issuer_member(user, challenge))


def can_review_challenge(user: Any, challenge: Challenge) -> bool:
    return (
        challenge.status == ChallengeStatus.SUBMITTED
        and is_operator(user)
        and challenge.created_by_id != getattr(user, "pk", None)
    )


def can_close_challenge(user: Any, challenge: Challenge) -> bool:
    return challenge.status == ChallengeStatus.PUBLISHED and is_operator(user)


def can_apply(user: Any, challenge: Challenge, organization: Any = None) -> bool:
    if challenge.status != ChallengeStatus.PUBLISHED or not may(user, "apply"):
        return False
    if organization is None:
        return bool(organizations_of(user) - {challenge.issuer_id})
    return organization.pk in organizations_of(user) and organization.pk != challenge.issuer_id


def can_withdraw_application(user: Any, application: Application) -> bool:
    return (
        application.status == ApplicationStatus.SUBMITTED
        and application.challenge.status == ChallengeStatus.PUBLISHED
        and application.organization_id in organizations_of(user)
    )


def can_attach(user: Any, application: Application) -> bool:
    return can_withdraw_application(user, application)


def can_build_panel(user: Any, challenge: Challenge) -> bool:
    return challenge.status == ChallengeStatus.CLOSED and is_operator(user)


def can_score(user: Any, panel: Panel) -> bool:
    person = expert_person(user)
    return (
        person is not None
        and panel.status == PanelStatus.OPEN
        and panel.members.filter(expert=person).exists()
    )


def can_close_panel(user: Any, panel: Panel) -> bool:
    return panel.status == PanelStatus.OPEN and is_operator(user)


def can_award(user: Any, challenge: Challenge) -> bool:
    return (
        challenge.status == ChallengeStatus.REVIEWING
        and is_operator(user)
        and hasattr(challenge, "panel")
        and challenge.panel.status == PanelStatus.CLOSED
    )


def can_sign_task_book(user: Any, award: Award) -> bool:
    challenge = award.challenge
    return is_operator(user) or (Role.ENTERPRISE in _roles(user) and is_issuer_member(user, challenge))


def is_solver(user: Any, award: Award) -> bool:
    return _signed_in(user) and award.application.organization_id in organizations_of(user)


def can_deliver_milestone(user: Any, milestone: Milestone) -> bool:
    """The solver delivers milestones in order: the previous ones must have been accepted."""
    return (
        milestone.status == MilestoneStatus.PLANNED
        and is_solver(user, milestone.award)
        and not Milestone.objects.filter(
            award_id=milestone.award_id,
            sequence__lt=milestone.sequence,
            status__in=[MilestoneStatus.PLANNED, MilestoneStatus.DELIVERED],
        ).exists()
    )


def can_accept_milestone(user: Any, milestone: Milestone) -> bool:
    """Acceptance by the issuer (an operator accepts for a district-issued challenge)."""
    if milestone.status != MilestoneStatus.DELIVERED:
        return False
    challenge = milestone.award.challenge
    if is_operator(user) and not is_solver(user, milestone.award):
        return challenge.issuer_kind == "district" or is_issuer_member(user, challenge)
    return Role.ENTERPRISE in _roles(user) and is_issuer_member(user, challenge)


def can_request_tranche(user: Any, milestone: Milestone) -> bool:
    return milestone.status == MilestoneStatus.ACCEPTED and is_operator(user)


def can_approve_tranche(user: Any, milestone: Milestone) -> bool:
    return (
        milestone.status == MilestoneStatus.REQUESTED
        and may(user, "approve_tranche")
        and milestone.requested_by_id != getattr(user, "pk", None)
    )
