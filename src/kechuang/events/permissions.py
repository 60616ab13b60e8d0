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
from kechuang.directory.models import Person
from kechuang.directory.permissions import investor_organization_ids, member_organization_ids

from .choices import (
    ACTIVE_REGISTRATION,
    PUBLIC_STATUSES,
    CompetitionStatus,
    EntryStatus,
    EventStatus,
    PanelStatus,
    RegistrationStatus,
)
from .models import (
    Aftercare,
    Competition,
    Entry,
    EntryScore,
    Event,
    Feedback,
    InvestorInterest,
    JudgingPanel,
    Meeting,
    Registration,
    RoadshowOutcome,
)

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


# --- competitions -------------------------------------------------------------------------------------
#
# * The public sees every competition past its draft, and, from the 公示 on, the finalists' ranking.
# * Operators run competitions: tracks and prizes, eligibility, panels, the 公示, objections, prizes.
# * Members of an organization (enterprise, institute, provider) enter it while entries are open and see
#   their own entries; leaders read everything.
# * A judge (an expert on a panel) sees and scores the entries of their panel's track, except any they are
#   in conflict with (conflict_q); scores are blind until the panel closes, as the challenges' panels.

RECENT_COLLABORATION_YEARS = 3


def expert_person(user: Any) -> Person | None:
    """The expert-pool person behind the account (the challenges' rule: a directory person flagged expert)."""
    from kechuang.challenges.permissions import expert_person as challenges_expert

    return challenges_expert(user)


def conflict_q(person: Person) -> Q:
    """Entries this expert may neither see nor score: same organization as the entrant or a partner, on the
    team, a co-author of an achievement the entry rests on (named in its team), or a recent collaboration
    (a technology contract between their organizations signed in the last three years)."""
    condition = Q(team_members=person) | Q(achievements__team__contains=person.name)
    if person.organization_id:
        from kechuang.transfer.models import ContractRegistration

        since = timezone.localdate().replace(year=timezone.localdate().year - RECENT_COLLABORATION_YEARS)
        org = person.organization_id
        contracts = ContractRegistration.objects.filter(signed_on__gte=since).filter(
            Q(seller_id=org) | Q(buyer_id=org)
        )
        partners = {seller for seller, _buyer in contracts.values_list("seller_id", "buyer_id")} | {
            buyer for _seller, buyer in contracts.values_list("seller_id", "buyer_id")
        }
        partners.add(org)
        condition |= Q(organization_id__in=partners) | Q(partners__in=partners)
    return condition


def conflicted_entry_ids(person: Person, entries: QuerySet[Entry]) -> set[int]:
    return set(entries.filter(conflict_q(person)).values_list("pk", flat=True))


def has_conflict(person: Person, entry: Entry) -> bool:
    return Entry.objects.filter(pk=entry.pk).filter(conflict_q(person)).exists()


def competition_visible_to(user: Any) -> QuerySet[Competition]:
    if reads_all(user):
        return Competition.objects.all()
    return Competition.objects.exclude(status=CompetitionStatus.DRAFT)


def entry_visible_to(user: Any) -> QuerySet[Entry]:
    """The public sees the ranked finalists once the result is in 公示; entrants their own; judges their
    panels' entries (not those they are in conflict with); operators and leaders every entry."""
    announced = Q(
        competition__status__in=[CompetitionStatus.PUBLICITY, CompetitionStatus.FINAL],
        status=EntryStatus.RANKED,
    )
    if not _signed_in(user):
        return Entry.objects.filter(announced)
    if reads_all(user):
        return Entry.objects.all()
    orgs = member_organization_ids(user)
    ids = set(Entry.objects.filter(announced | Q(organization_id__in=orgs)).values_list("pk", flat=True))
    person = expert_person(user)
    if person is not None:
        judged = Entry.objects.filter(track__panels__judges__expert=person).exclude(
            status__in=[EntryStatus.WITHDRAWN, EntryStatus.SUBMITTED, EntryStatus.INELIGIBLE]
        )
        ids |= set(judged.values_list("pk", flat=True)) - conflicted_entry_ids(person, judged)
    return Entry.objects.filter(pk__in=ids)


def entry_score_visible_to(user: Any) -> QuerySet[EntryScore]:
    """Blind scoring: while a panel is open each judge sees only their own sheets and nobody else sees
    any; once it closes, operators, leaders and the panel's judges see them all."""
    if not _signed_in(user):
        return EntryScore.objects.none()
    condition = Q(pk__in=[])
    person = expert_person(user)
    if person is not None:
        condition |= Q(judge__expert=person)
        condition |= Q(judge__panel__judges__expert=person, judge__panel__status=PanelStatus.CLOSED)
    if reads_all(user):
        condition |= Q(judge__panel__status=PanelStatus.CLOSED)
    return EntryScore.objects.filter(condition).distinct()


def can_manage_competition(user: Any, competition: Competition | None = None) -> bool:
    return is_operator(user)


def can_enter(user: Any, competition: Competition | None, organization: Any = None) -> bool:
    """A member of an enterprise, institute or provider enters for it while entries are open; an
    investment institution does not enter (it meets the entrants in the roadshow)."""
    if not roles_of(user) & ORGANIZER_ROLES:
        return False
    if organization is not None and organization.pk in investor_organization_ids(user):
        return False
    if competition is not None and (
        competition.status != CompetitionStatus.OPEN or competition.entry_deadline < timezone.localdate()
    ):
        return False
    own = member_organization_ids(user)
    return bool(own) if organization is None else organization.pk in own


def can_enter_competition(user: Any, competition: Competition | None) -> bool:
    return can_enter(user, competition)


def can_score(user: Any, panel: JudgingPanel | None) -> bool:
    person = expert_person(user)
    if person is None:
        return False
    if panel is None:
        return True
    return panel.status == PanelStatus.OPEN and panel.judges.filter(expert=person).exists()


def can_object(user: Any, competition: Competition | None) -> bool:
    if not _signed_in(user) or not roles_of(user) & PARTICIPANT_ROLES:
        return False
    if competition is None:
        return True
    return competition.status == CompetitionStatus.PUBLICITY and (
        competition.publicity_ends_on is None or timezone.localdate() <= competition.publicity_ends_on
    )


# --- roadshows and after the prize ------------------------------------------------------------------------
#
# * Members of an investment institution (directory kind 投资机构) see the roadshow entries (those that
#   reached the defence: finalists and ranked), register interest in them, ask their teams for meetings,
#   answer the teams' requests and record outcomes, all for their own institution only.
# * The entry's team (members of the entrant organization) sees who is interested, asks those investors
#   for a meeting, answers requests and records outcomes for its own entries.
# * Operators and leaders read every roadshow record; operators record outcomes reported to them and
#   offer the winners' after-prize services. Nobody else sees any of it (404, not 403, for others' rows).

ROADSHOW_STATUSES = (EntryStatus.FINALIST, EntryStatus.RANKED)


def investor_ids(user: Any) -> set[int]:
    return investor_organization_ids(user)


def team_organization_ids(user: Any) -> set[int]:
    """The entrant organizations the user acts for (an investor's membership never makes a team)."""
    return member_organization_ids(user) - investor_organization_ids(user)


def roadshow_entries_visible_to(user: Any) -> QuerySet[Entry]:
    """The entries investors may consider: finalists and ranked entries of competitions under way."""
    if not _signed_in(user) or not (reads_all(user) or investor_ids(user)):
        return Entry.objects.none()
    return Entry.objects.filter(status__in=ROADSHOW_STATUSES).exclude(
        competition__status__in=[CompetitionStatus.DRAFT, CompetitionStatus.CANCELLED]
    )


def _roadshow_q(user: Any) -> Q | None:
    """Rows of one investor and one entry: the investor's members and the entry's team see them."""
    if not _signed_in(user):
        return Q(pk__in=[])
    if reads_all(user):
        return None
    return Q(investor_id__in=investor_ids(user)) | Q(entry__organization_id__in=team_organization_ids(user))


def interest_visible_to(user: Any) -> QuerySet[InvestorInterest]:
    condition = _roadshow_q(user)
    return InvestorInterest.objects.all() if condition is None else InvestorInterest.objects.filter(condition)


def meeting_visible_to(user: Any) -> QuerySet[Meeting]:
    condition = _roadshow_q(user)
    return Meeting.objects.all() if condition is None else Meeting.objects.filter(condition)


def outcome_visible_to(user: Any) -> QuerySet[RoadshowOutcome]:
    condition = _roadshow_q(user)
    return RoadshowOutcome.objects.all() if condition is None else RoadshowOutcome.objects.filter(condition)


def aftercare_visible_to(user: Any) -> QuerySet[Aftercare]:
    if not _signed_in(user):
        return Aftercare.objects.none()
    if reads_all(user):
        return Aftercare.objects.all()
    return Aftercare.objects.filter(entry__organization_id__in=team_organization_ids(user))


def in_roadshow(entry: Entry) -> bool:
    return entry.status in ROADSHOW_STATUSES and entry.competition.status not in (
        CompetitionStatus.DRAFT,
        CompetitionStatus.CANCELLED,
    )


def is_team_member(user: Any, entry: Entry) -> bool:
    return _signed_in(user) and entry.organization_id in team_organization_ids(user)


def can_show_interest(user: Any, entry: Entry | None) -> bool:
    """An investor's member registers the institution's interest in a roadshow entry."""
    if not investor_ids(user):
        return False
    return entry is None or in_roadshow(entry)


def has_interest(investor_id: int, entry: Entry) -> bool:
    return InvestorInterest.objects.filter(investor_id=investor_id, entry=entry).exists()


def can_request_meeting(user: Any, entry: Entry | None, investor: Any = None) -> bool:
    """The investor's member asks a roadshow entry's team; the team asks an investor that registered
    interest in its entry (no cold calls to every institution)."""
    if entry is None:
        return bool(investor_ids(user) or team_organization_ids(user))
    if not in_roadshow(entry):
        return False
    if investor is None:
        return bool(investor_ids(user)) or is_team_member(user, entry)
    if investor.pk in investor_ids(user):
        return True
    return is_team_member(user, entry) and has_interest(investor.pk, entry)


def meeting_side_of(user: Any, meeting: Meeting) -> str | None:
    """Which side of the meeting the user speaks for (investor or team), or None."""
    from .choices import MeetingSide

    if meeting.investor_id in investor_ids(user):
        return MeetingSide.INVESTOR
    if is_team_member(user, meeting.entry):
        return MeetingSide.TEAM
    return None


def can_answer_meeting(user: Any, meeting: Meeting | None) -> bool:
    """The side that did not ask answers a request still open."""
    from .choices import MeetingStatus

    if meeting is None:
        return bool(investor_ids(user) or team_organization_ids(user))
    side = meeting_side_of(user, meeting)
    return side is not None and side != meeting.asked_by_side and meeting.status == MeetingStatus.REQUESTED


def can_withdraw_meeting(user: Any, meeting: Meeting | None) -> bool:
    from .choices import MeetingStatus

    if meeting is None:
        return False
    side = meeting_side_of(user, meeting)
    return side is not None and side == meeting.asked_by_side and meeting.status == MeetingStatus.REQUESTED


def can_record_outcome(user: Any, entry: Entry | None, investor: Any = None) -> bool:
    """Either side records what came of a contact they had (an interest or a meeting); operators record
    what either side reports to them."""
    if is_operator(user):
        return True
    if entry is None:
        return bool(investor_ids(user) or team_organization_ids(user))
    if investor is None:
        return bool(investor_ids(user)) or is_team_member(user, entry)
    if not (investor.pk in investor_ids(user) or is_team_member(user, entry)):
        return False
    return has_interest(investor.pk, entry) or Meeting.objects.filter(entry=entry, investor=investor).exists()


def can_offer_aftercare(user: Any, entry: Entry | None = None) -> bool:
    return is_operator(user)


def can_answer_aftercare(user: Any, aftercare: Aftercare | None) -> bool:
    from .choices import AftercareStatus

    if aftercare is None:
        return bool(team_organization_ids(user))
    return is_team_member(user, aftercare.entry) and aftercare.status == AftercareStatus.OFFERED


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
add_perm("events.manage_competition", predicate(can_manage_competition))
add_perm("events.enter_competition", predicate(can_enter_competition))
add_perm("events.score_entry", predicate(can_score))
add_perm("events.object_competition", predicate(can_object))
add_perm("events.add_investorinterest", predicate(can_show_interest))
add_perm("events.answer_meeting", predicate(can_answer_meeting))
add_perm("events.withdraw_meeting", predicate(can_withdraw_meeting))
add_perm("events.offer_aftercare", predicate(can_offer_aftercare))
add_perm("events.answer_aftercare", predicate(can_answer_aftercare))
