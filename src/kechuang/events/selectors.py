"""Reads of the events module, each starting from a visibility queryset (permissions.py)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kechuang.directory.models import Organization

from . import permissions as perms
from .choices import EntryStatus, EventStatus, RegistrationStatus
from .models import (
    Competition,
    Entry,
    EntryScore,
    Event,
    EventSeries,
    InvestorInterest,
    JudgingPanel,
    Objection,
    Registration,
)


def series_list() -> QuerySet[EventSeries]:
    return EventSeries.objects.annotate(
        n=Count("events", filter=Q(events__status__in=[EventStatus.PUBLISHED, EventStatus.FINISHED]))
    )


def _counted(rows: QuerySet[Any], by: str) -> Coalesce:
    """The number of ``rows`` (filtered on an ``OuterRef``) for each row of the outer query, as a
    subquery: a ``Count`` over a join instead groups the outer query by every column it selects and
    sorts all its rows before a page's LIMIT (the event list: 22 ms for 55 events and 4,330
    registrations on SQLite, against 2 ms with an index on the subquery's columns)."""
    grouped = rows.order_by().values(by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(grouped, output_field=IntegerField()), 0)


def _registrations_in(status: str) -> Coalesce:
    return _counted(Registration.objects.filter(event=OuterRef("pk"), status=status), "event")


def event_list(*, actor: Any) -> QuerySet[Event]:
    """The events the actor may see, with what a list row shows, and the confirmed and waiting counts."""
    return (
        perms.event_visible_to(actor)
        .select_related("series", "organizer", "building")
        .annotate(
            confirmed=_registrations_in(RegistrationStatus.CONFIRMED),
            waiting=_registrations_in(RegistrationStatus.WAITLISTED),
        )
    )


def public_upcoming(*, actor: Any, limit: int = 5) -> list[Event]:
    now = timezone.now()
    return list(
        event_list(actor=actor)
        .filter(status=EventStatus.PUBLISHED, ends_at__gte=now)
        .order_by("starts_at")[:limit]
    )


def event_get(*, actor: Any, code: str) -> Event | None:
    return (
        event_list(actor=actor)
        .prefetch_related("co_organizers", "speakers__person")
        .filter(code=code)
        .first()
    )


def managed_events(*, actor: Any) -> QuerySet[Event]:
    """Events the actor runs: every event for an operator, their organization's for an organizer."""
    if perms.is_operator(actor):
        qs = event_list(actor=actor)
    else:
        qs = event_list(actor=actor).filter(organizer_id__in=perms.organizer_ids(actor))
    return qs.order_by("-starts_at", "-pk")


def review_queue(*, actor: Any) -> QuerySet[Event]:
    if not perms.is_operator(actor):
        return Event.objects.none()
    return event_list(actor=actor).filter(status=EventStatus.SUBMITTED).order_by("submitted_at", "pk")


def my_registrations(*, actor: Any) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(user=actor)
        .select_related("event", "event__building", "feedback")
        .order_by("-event__starts_at", "-pk")
    )


def event_registrations(*, actor: Any, event: Event) -> QuerySet[Registration]:
    return (
        perms.registration_visible_to(actor)
        .filter(event=event)
        .select_related("user", "organization", "feedback")
        .order_by("status", "queued_at", "pk")
    )


def my_registration(*, actor: Any, event: Event) -> Registration | None:
    if not getattr(actor, "is_authenticated", False):
        return None
    return (
        Registration.objects.filter(event=event, user=actor)
        .select_related("feedback")
        .order_by("-queued_at", "-pk")
        .first()
    )


def waiting_position(registration: Registration) -> int | None:
    """1 for the first on the waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        event_id=registration.event_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
    )
    return int(ahead.count()) + 1


def attendance(event: Event) -> dict[str, Any]:
    """Sign-up, waiting, check-in counts and the feedback mean of one event (one query)."""
    row = Registration.objects.filter(event=event).aggregate(
        confirmed=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED)),
        waiting=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        feedback=Count("feedback"),
    )
    ratings = list(
        Registration.objects.filter(event=event, feedback__isnull=False).values_list(
            "feedback__rating", flat=True
        )
    )
    row["rating"] = round(sum(ratings) / len(ratings), 1) if ratings else None
    return row


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    in_month: bool
    events: list[Event]


def month_calendar(*, actor: Any, year: int, month: int) -> list[list[CalendarDay]]:
    """The weeks (Monday first) of a month with the visible public events starting on each day."""
    first = dt.date(year, month, 1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    start, end = weeks[0][0], weeks[-1][-1] + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    events = (
        event_list(actor=actor)
        .filter(status__in=[EventStatus.PUBLISHED, EventStatus.FINISHED])
        .filter(
            starts_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            starts_at__lt=dt.datetime.combine(end, dt.time.min, tzinfo=tz),
        )
        .order_by("starts_at")
    )
    by_day: dict[dt.date, list[Event]] = {}
    for event in events:
        by_day.setdefault(timezone.localtime(event.starts_at).date(), []).append(event)
    return [[CalendarDay(d, d.month == first.month, by_day.get(d, [])) for d in week] for week in weeks]


# --- competitions ----------------------------------------------------------------------------------------


def competition_list(*, actor: Any) -> QuerySet[Competition]:
    return (
        perms.competition_visible_to(actor)
        .select_related("series", "organizer")
        .annotate(entries_count=Count("entries", distinct=True))
        .order_by("-created_at", "-pk")
    )


def competition_get(*, actor: Any, code: str) -> Competition | None:
    return competition_list(actor=actor).filter(code=code).first()


def announced_results(competition: Competition) -> list[dict[str, Any]]:
    """The 公示: per track, the ranked finalists with their defence score and prize."""
    tracks = []
    for track in competition.tracks.order_by("sort_order", "pk"):
        entries = list(
            Entry.objects.filter(track=track, status=EntryStatus.RANKED)
            .select_related("organization", "prize")
            .order_by("rank", "pk")
        )
        tracks.append({"track": track, "entries": entries})
    return tracks


def competition_board(*, actor: Any, competition: Competition) -> dict[str, Any]:
    """What the operators' part of the competition page shows: entries per track, panels, objections."""
    entries = list(
        perms.entry_visible_to(actor)
        .filter(competition=competition)
        .select_related("organization", "track", "prize")
        .prefetch_related("payments")
        .order_by("track__sort_order", "rank", "-first_score_x100", "submitted_at", "pk")
    )
    panels = list(
        JudgingPanel.objects.filter(track__competition=competition)
        .select_related("track")
        .prefetch_related("judges__expert")
        .order_by("track__sort_order", "round")
    )
    objections = list(
        Objection.objects.filter(competition=competition).select_related("entry").order_by("-filed_at", "-pk")
    )
    return {"entries": entries, "panels": panels, "objections": objections}


def judge_panels(*, actor: Any) -> list[JudgingPanel]:
    person = perms.expert_person(actor)
    if person is None:
        return []
    return list(
        JudgingPanel.objects.filter(judges__expert=person)
        .select_related("track__competition")
        .order_by("-created_at", "-pk")
    )


def judge_sheet(*, actor: Any, panel: JudgingPanel) -> list[dict[str, Any]]:
    """A judge's live scoring sheet: the panel's entries they may score, with their own scores so far."""
    from .services import round_entries

    person = perms.expert_person(actor)
    if person is None:
        return []
    entries = round_entries(panel.track, panel.round)
    conflicted = perms.conflicted_entry_ids(person, entries)
    mine = {s.entry_id: s for s in EntryScore.objects.filter(judge__panel=panel, judge__expert=person)}
    return [
        {"entry": e, "score": mine.get(e.pk)}
        for e in entries.select_related("organization").order_by("pk")
        if e.pk not in conflicted
    ]


def winners_followup(competition: Competition) -> list[dict[str, Any]]:
    """After the prize: for twelve months from the final result (to ``followup_until``), whether each
    winner is located in the district (a block or park in the directory), has taken space (a lease signed
    in the period), holds an innovation voucher granted in it, has a commissioner, and what it raised
    (investments recorded as roadshow outcomes in the period, in fen), with its after-prize offer. Read
    from the modules that record them, not stored a second time."""
    if competition.status != "final" or competition.finalized_at is None:
        return []
    from django.db.models import Sum

    from kechuang.servicedesk.models import Assignment
    from kechuang.spaces.models import Lease
    from kechuang.vouchers.models import Voucher

    from .choices import OutcomeKind
    from .models import Aftercare, RoadshowOutcome

    since = competition.finalized_at
    start = competition.publicity_ends_on or since.date()
    until = competition.followup_until or since.date() + dt.timedelta(days=365)
    winners = list(
        Entry.objects.filter(competition=competition, prize__isnull=False)
        .select_related("organization", "prize", "track")
        .order_by("track__sort_order", "rank")
    )
    orgs = [e.organization_id for e in winners]
    leased = set(
        Lease.objects.filter(
            organization_id__in=orgs, signed_on__gte=start, signed_on__lte=until
        ).values_list("organization_id", flat=True)
    )
    vouchers = set(
        Voucher.objects.filter(
            enterprise_id__in=orgs, granted_at__gte=since, granted_at__date__lte=until
        ).values_list("enterprise_id", flat=True)
    )
    served = set(
        Assignment.objects.filter(
            organization_id__in=orgs, role="commissioner", ended_at__isnull=True
        ).values_list("organization_id", flat=True)
    )
    raised = dict(
        RoadshowOutcome.objects.filter(
            entry__in=winners, kind=OutcomeKind.INVESTED, occurred_on__gte=start, occurred_on__lte=until
        )
        .values_list("entry_id")
        .annotate(total=Sum("amount_fen"))
        .values_list("entry_id", "total")
    )
    offers = {a.entry_id: a for a in Aftercare.objects.filter(entry__in=winners)}
    return [
        {
            "entry": e,
            "in_district": bool(e.organization.block_id or e.organization.park_id),
            "space": e.organization_id in leased,
            "voucher": e.organization_id in vouchers,
            "commissioner": e.organization_id in served,
            "raised_fen": int(raised.get(e.pk) or 0),
            "aftercare": offers.get(e.pk),
            "tracking": timezone.localdate() <= until,
        }
        for e in winners
    ]


# --- roadshows ----------------------------------------------------------------------------------------------


def roadshow_board(*, actor: Any) -> dict[str, Any]:
    """What the roadshow page shows the caller: for an investor's member, the roadshow entries (with the
    institution's interest marked) and its own records; for a team, its entries' interests, meetings and
    outcomes; for operators and leaders, every record and the totals."""
    from django.db.models import Sum

    from .choices import OutcomeKind

    # only the related rows the page shows (the entry's project and code, the investor's name): each
    # further join adds every column of its table to every row read
    interests = (
        perms.interest_visible_to(actor).select_related("investor", "entry").order_by("-created_at", "-id")
    )
    meetings = (
        perms.meeting_visible_to(actor).select_related("investor", "entry").order_by("-requested_at", "-id")
    )
    outcomes = (
        perms.outcome_visible_to(actor).select_related("investor", "entry").order_by("-occurred_on", "-id")
    )
    investor_ids = perms.investor_ids(actor)
    entries = (
        perms.roadshow_entries_visible_to(actor)
        .select_related("competition", "track", "organization", "prize")
        .annotate(interest_count=_counted(InvestorInterest.objects.filter(entry=OuterRef("pk")), "entry"))
        .order_by("-competition__created_at", "track__sort_order", "rank", "pk")
    )
    mine = set(
        perms.interest_visible_to(actor)
        .filter(investor_id__in=investor_ids)
        .values_list("entry_id", flat=True)
    )
    totals = (
        perms.outcome_visible_to(actor)
        .filter(kind=OutcomeKind.INVESTED)
        .aggregate(count=Count("id"), amount=Sum("amount_fen"))
    )
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    # read once: the page lists these rows and the outcome form's pairs come from them
    interest_rows, meeting_rows = list(interests[:200]), list(meetings[:200])
    contacts: list[Any] = [*interest_rows, *meeting_rows]
    for row in contacts:
        pairs.setdefault((row.entry_id, row.investor_id), {"entry": row.entry, "investor": row.investor})
    return {
        "pairs": list(pairs.values()),
        "investor_ids": investor_ids,
        "investors": list(Organization.objects.filter(pk__in=investor_ids).order_by("name")),
        "is_investor": bool(investor_ids),
        "team_ids": perms.team_organization_ids(actor),
        "entries": entries[:200],
        "my_interest_entry_ids": mine,
        "interests": interest_rows,
        "meetings": meeting_rows,
        "outcomes": outcomes[:200],
        "invested_count": totals["count"] or 0,
        "invested_fen": int(totals["amount"] or 0),
    }


def commissioner_choices() -> list[Any]:
    """The active commissioners an operator may name in an after-prize offer (the service desk's role)."""
    from django.contrib.auth import get_user_model

    from kechuang.core.roles import Role

    return list(
        get_user_model()
        .objects.filter(groups__name=Role.COMMISSIONER, is_active=True)
        .order_by("display_name", "username")[:200]
    )


def investor_acted_for(user: Any, acting: Organization | None) -> Organization | None:
    """The investment institution ``user`` acts for on a roadshow page or call: the acting organization
    (``core.web.acting_organization``) if it is one of the user's investors, else their only one."""
    ids = perms.investor_ids(user)
    if acting is not None and acting.pk in ids:
        return acting
    return Organization.objects.filter(pk=next(iter(ids))).first() if len(ids) == 1 else None
