"""Who may see and do what with events: visibility querysets and ``can_<verb>_<entity>`` predicates that
the services check (and the pages use to show buttons); each is also a ``rules`` permission
(``events.<verb>_<entity>``), compared with the approved matrix in tests/events/test_permissions.py.

* Everyone, signed in or not, sees published and finished events (the public page and calendar).
* Operators review and publish events, run any event's registrations and door, and read everything;
  leaders read everything. The system administrator and the auditor hold no event permission
  (separation of duties); the auditor reads the audit log, not sign-ups.
* Members of an organization (enterprise, institute, provider) propose events their organization
  organizes, submit them for review, see their sign-ups and check people in at the door.
* Any signed-in person signs up for a published event that has not begun, sees and cancels their own
  registrations, and gives feedback once they attended.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kechuang.core.predicates import add_perm, predicate
from kechuang.core.roles import Role, roles_of
from kechuang.directory.permissions import member_organization_ids

from .choices import ACTIVE_REGISTRATION, PUBLIC_STATUSES, EventStatus, RegistrationStatus
from .models import Event, Feedback, Registration

READ_ALL = frozenset({Role.OPERATOR, Role.LEADER})
ORGANIZER_ROLES = frozenset({Role.ENTERPRISE, Role.INSTITUTE, Role.PROVIDER})
# Roles that may sign up for events: every role that acts for itself or its organization (not the system
# administrator nor the auditor).
PARTICIPANT_ROLES = frozenset(
    {
        Role.OPERATOR,
        Role.COMMISSIONER,
        Role.LEADER,
        Role.INSTITUTE,
        Role.ENTERPRISE,
        Role.PROVIDER,
        Role.EXPERT,
    }
)

# Role-only permissions (docs/reliability.md B3): what a role may do at all, before object rules.
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "events.review_event": frozenset({Role.OPERATOR}),
}


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


def reads_all(user: Any) -> bool:
    return bool(roles_of(user) & READ_ALL)


def organizer_ids(user: Any) -> set[int]:
    """Organizations the user may organize events for: their own (enterprise, institute, provider)."""
    if not roles_of(user) & ORGANIZER_ROLES:
        return set()
    return member_organization_ids(user)


def is_organizer_member(user: Any, event: Event) -> bool:
    return _signed_in(user) and event.organizer_id in organizer_ids(user)


# --- visibility ----------------------------------------------------------------------------------------


def event_visible_to(user: Any) -> QuerySet[Event]:
    public = Q(status__in=PUBLIC_STATUSES)
    if not _signed_in(user):
        return Event.objects.filter(public)
    if reads_all(user):
        return Event.objects.all()
    own = organizer_ids(user)
    return Event.objects.filter(public | Q(organizer_id__in=own))


def registration_visible_to(user: Any) -> QuerySet[Registration]:
    """One's own registrations; an organizer's members those of their events; operators and leaders all."""
    if not _signed_in(user):
        return Registration.objects.none()
    if reads_all(user):
        return Registration.objects.all()
    return Registration.objects.filter(Q(user=user) | Q(event__organizer_id__in=organizer_ids(user)))


def feedback_visible_to(user: Any) -> QuerySet[Feedback]:
    """Feedback is read by the organizer and the operators (and its author)."""
    return Feedback.objects.filter(registration__in=registration_visible_to(user))


# --- predicates ----------------------------------------------------------------------------------------


def can_create_event(user: Any, organization: Any = None) -> bool:
    if is_operator(user):
        return True
    own = organizer_ids(user)
    return bool(own) if organization is None else organization.pk in own


def can_edit_event(user: Any, event: Event | None) -> bool:
    if event is None:
        return can_create_event(user)
    if event.status != EventStatus.DRAFT:
        return False
    return is_operator(user) or is_organizer_member(user, event)


def can_review_event(user: Any, event: Event | None) -> bool:
    if event is None:
        return is_operator(user)
    return (
        event.status == EventStatus.SUBMITTED
        and is_operator(user)
        and event.created_by_id != getattr(user, "pk", None)
    )


def can_cancel_event(user: Any, event: Event | None) -> bool:
    if event is None:
        return is_operator(user)
    if event.status not in (EventStatus.DRAFT, EventStatus.SUBMITTED, EventStatus.PUBLISHED):
        return False
    return is_operator(user) or is_organizer_member(user, event)


def can_manage_event(user: Any, event: Event | None) -> bool:
    """See the sign-ups, check people in, mark the event finished: the operators and the organizer."""
    if event is None:
        return is_operator(user) or bool(organizer_ids(user))
    return is_operator(user) or is_organizer_member(user, event)


def can_check_in(user: Any, event: Event | None) -> bool:
    if event is not None and event.status != EventStatus.PUBLISHED:
        return False
    return can_manage_event(user, event)


def can_finish_event(user: Any, event: Event | None) -> bool:
    if event is not None and (event.status != EventStatus.PUBLISHED or event.starts_at > timezone.now()):
        return False
    return can_manage_event(user, event)


def can_register(user: Any, event: Event | None) -> bool:
    if not _signed_in(user) or not roles_of(user) & PARTICIPANT_ROLES:
        return False
    if event is None:
        return True
    return event.status == EventStatus.PUBLISHED and event.starts_at > timezone.now()


def can_cancel_registration(user: Any, registration: Registration | None) -> bool:
    if registration is None:
        return _signed_in(user) and bool(roles_of(user) & PARTICIPANT_ROLES)
    if registration.status not in ACTIVE_REGISTRATION:
        return False
    event = registration.event
    if event.status != EventStatus.PUBLISHED or event.starts_at <= timezone.now():
        return False
    return registration.user_id == getattr(user, "pk", None) or is_operator(user)


def can_give_feedback(user: Any, registration: Registration | None) -> bool:
    if registration is None:
        return _signed_in(user) and bool(roles_of(user) & PARTICIPANT_ROLES)
    return (
        registration.user_id == getattr(user, "pk", None)
        and registration.status == RegistrationStatus.CONFIRMED
        and registration.checked_in_at is not None
        and registration.event.ends_at <= timezone.now()
    )


# Registered through core.predicates, rules with types (docs/adr/0019-kernel-and-registries.md).
add_perm("events.add_event", predicate(can_create_event))
add_perm("events.change_event", predicate(can_edit_event))
add_perm("events.review_event", predicate(can_review_event))
add_perm("events.cancel_event", predicate(can_cancel_event))
add_perm("events.manage_event", predicate(can_manage_event))
add_perm("events.checkin_event", predicate(can_check_in))
add_perm("events.finish_event", predicate(can_finish_event))
add_perm("events.register_event", predicate(can_register))
add_perm("events.cancel_registration", predicate(can_cancel_registration))
add_perm("events.add_feedback", predicate(can_give_feedback))
