"""Every non-trivial read of the service desk, starting from the visibility querysets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from kechuang.accounts.choices import Role
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization

from . import clock
from .choices import AssignmentRole, RequestCategory, RequestStatus, VisitStatus
from .filters import ServiceRequestFilter
from .models import OPEN_STATUSES, Assignment, RequestAttachment, RequestEvent, ServiceRequest, Visit
from .permissions import (
    assigned_organization_ids,
    attachment_visible_to,
    enterprise_member_ids,
    event_visible_to,
    request_visible_to,
    visit_visible_to,
)
from .workcalendar import shown_calendar

OPEN = tuple(OPEN_STATUSES)


# --- requests ----------------------------------------------------------------------------------------


def request_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[ServiceRequest]:
    """The requests ``actor`` may see, filtered by ``ServiceRequestFilter`` (shared with the API)."""
    base = request_visible_to(actor).select_related("organization", "commissioner")
    if filters:
        filterset = ServiceRequestFilter(filters, queryset=base, request=None)
        if filterset.is_valid():
            base = filterset.qs
    return base.order_by("-filed_at", "-id")


def request_get(*, actor: Any, code: str) -> ServiceRequest | None:
    return (
        request_visible_to(actor)
        .select_related("organization", "commissioner", "created_by")
        .filter(code=code)
        .first()
    )


def request_events(*, actor: Any, request: ServiceRequest) -> list[RequestEvent]:
    return list(
        event_visible_to(actor).filter(request=request).select_related("actor").order_by("created_at", "id")
    )


def request_attachments(*, actor: Any, request: ServiceRequest) -> list[RequestAttachment]:
    return list(attachment_visible_to(actor).filter(request=request).order_by("created_at", "id"))


@dataclass(frozen=True)
class ClockView:
    """One clock of a request, ready for display."""

    label: str
    due_at: dt.datetime
    stopped_at: dt.datetime | None
    state: str  # running | due_soon | breached | met | late
    minutes: int  # working minutes left (running) or over (breached, late); used (met)
    # years the clock ran through that nobody loaded: its due time counts them Monday to Friday
    estimated_years: tuple[int, ...] = ()

    @property
    def is_running(self) -> bool:
        return self.state in ("running", "due_soon", "breached")

    @property
    def estimated(self) -> bool:
        return bool(self.estimated_years)


def _clock_view(
    label: str,
    due_at: dt.datetime,
    stopped_at: dt.datetime | None,
    now: dt.datetime,
    calendar: clock.WorkCalendar,
    start: dt.datetime,
) -> ClockView:
    from .services import REMIND_BEFORE_MINUTES

    estimated = tuple(calendar.estimated_years(start, due_at))
    if stopped_at is not None:
        if stopped_at > due_at:
            return ClockView(
                label,
                due_at,
                stopped_at,
                "late",
                clock.working_minutes_between(due_at, stopped_at, calendar),
                estimated,
            )
        return ClockView(
            label,
            due_at,
            stopped_at,
            "met",
            clock.working_minutes_between(start, stopped_at, calendar),
            estimated,
        )
    left = clock.working_minutes_between(now, due_at, calendar)
    if now >= due_at:
        return ClockView(
            label, due_at, None, "breached", clock.working_minutes_between(due_at, now, calendar), estimated
        )
    state = "due_soon" if left <= REMIND_BEFORE_MINUTES else "running"
    return ClockView(label, due_at, None, state, left, estimated)


def request_clocks(
    request: ServiceRequest, *, now: dt.datetime | None = None, calendar: clock.WorkCalendar | None = None
) -> list[ClockView]:
    """The first-response and resolution clocks of ``request`` as they stand ``now``."""
    now = now or clock.now()
    calendar = calendar or shown_calendar()
    views = [
        _clock_view(
            _("首次响应"),
            request.response_due_at,
            request.first_responded_at,
            now,
            calendar,
            request.filed_at,
        )
    ]
    stopped = request.resolved_at or (
        request.closed_at if request.status == RequestStatus.WITHDRAWN else None
    )
    if request.status == RequestStatus.WITHDRAWN and request.first_responded_at is None:
        views[0] = ClockView(views[0].label, request.response_due_at, request.closed_at, "stopped", 0)
    if request.status == RequestStatus.WITHDRAWN:
        views.append(ClockView(_("办结"), request.resolution_due_at, stopped, "stopped", 0))
    else:
        views.append(
            _clock_view(
                _("办结"), request.resolution_due_at, stopped, now, calendar, request.clock_started_at
            )
        )
    return views


def annotate_clock_states(
    requests: list[ServiceRequest],
    *,
    now: dt.datetime | None = None,
    calendar: clock.WorkCalendar | None = None,
) -> list[ServiceRequest]:
    """Attach ``clock`` (the clock that matters now) to each request of a page, with one calendar read."""
    now = now or clock.now()
    calendar = calendar or shown_calendar()
    for request in requests:
        clocks = request_clocks(request, now=now, calendar=calendar)
        running = [c for c in clocks if c.is_running]
        request.clock = running[0] if running else clocks[-1]  # type: ignore[attr-defined]
    return requests


def request_counts(*, actor: Any, now: dt.datetime | None = None) -> dict[str, int]:
    """Open, due-soon and breached counts over what ``actor`` sees (one query)."""
    from .services import REMIND_BEFORE_MINUTES

    now = now or clock.now()
    soon = clock.add_working_minutes(now, REMIND_BEFORE_MINUTES, shown_calendar())
    waiting_response = Q(status=RequestStatus.SUBMITTED)
    response_breached = waiting_response & Q(response_due_at__lte=now)
    resolution_breached = Q(status__in=OPEN, resolution_due_at__lte=now)
    due_soon = (waiting_response & Q(response_due_at__gt=now, response_due_at__lte=soon)) | Q(
        status__in=OPEN, resolution_due_at__gt=now, resolution_due_at__lte=soon
    )
    return request_visible_to(actor).aggregate(
        open=Count("id", filter=Q(status__in=OPEN)),
        new=Count("id", filter=waiting_response),
        breached=Count("id", filter=response_breached | resolution_breached),
        due_soon=Count("id", filter=due_soon & ~(response_breached | resolution_breached)),
        to_rate=Count("id", filter=Q(status=RequestStatus.RESOLVED)),
        escalated=Count(
            "id",
            filter=Q(status__in=OPEN)
            & (Q(response_escalated_at__isnull=False) | Q(resolution_escalated_at__isnull=False)),
        ),
    )


# --- assignments and workload ------------------------------------------------------------------------


def current_assignments(organization: Organization) -> dict[str, Assignment | None]:
    rows = {
        a.role: a
        for a in Assignment.objects.filter(organization=organization, ended_at__isnull=True).select_related(
            "user"
        )
    }
    return {
        AssignmentRole.COMMISSIONER: rows.get(AssignmentRole.COMMISSIONER),
        AssignmentRole.LEADER: rows.get(AssignmentRole.LEADER),
    }


def assignment_history(organization: Organization) -> list[Assignment]:
    return list(
        Assignment.objects.filter(organization=organization)
        .select_related("user", "assigned_by", "ended_by")
        .order_by("-started_at", "-id")
    )


def staff_with_role(role: str) -> QuerySet[Any]:
    return get_user_model().objects.filter(groups__name=role, is_active=True).order_by("id").distinct()


@dataclass
class Workload:
    user: Any
    enterprises: int
    key_enterprises: int
    open_requests: int
    breached_open: int

    @property
    def score(self) -> float:
        """Enterprises weigh one each, key enterprises one more, open requests two, breached ones four."""
        return self.enterprises + self.key_enterprises + 2 * self.open_requests + 4 * self.breached_open


def workload(*, now: dt.datetime | None = None) -> list[Workload]:
    """Each commissioner's portfolio and open work (three queries, whatever the number of commissioners)."""
    now = now or clock.now()
    users = list(staff_with_role(Role.COMMISSIONER))
    portfolio = {
        row["user_id"]: row
        for row in Assignment.objects.filter(role=AssignmentRole.COMMISSIONER, ended_at__isnull=True)
        .values("user_id")
        .annotate(n=Count("id"), key=Count("id", filter=Q(organization__is_key=True)))
    }
    work = {
        row["commissioner_id"]: row
        for row in ServiceRequest.objects.filter(status__in=OPEN)
        .values("commissioner_id")
        .annotate(
            n=Count("id"),
            breached=Count(
                "id",
                filter=Q(resolution_due_at__lte=now)
                | Q(status=RequestStatus.SUBMITTED, response_due_at__lte=now),
            ),
        )
    }
    rows = []
    for user in users:
        p: Mapping[str, Any] = portfolio.get(user.pk, {})
        w: Mapping[str, Any] = work.get(user.pk, {})
        rows.append(Workload(user, p.get("n", 0), p.get("key", 0), w.get("n", 0), w.get("breached", 0)))
    rows.sort(key=lambda r: (r.score, r.user.pk))
    return rows


@dataclass
class Suggestion:
    organization: Organization
    commissioner: Any
    reason: str


def unassigned_enterprises() -> QuerySet[Organization]:
    assigned = Assignment.objects.filter(role=AssignmentRole.COMMISSIONER, ended_at__isnull=True).values(
        "organization_id"
    )
    return Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).exclude(pk__in=assigned)


def unassigned_key_enterprises() -> QuerySet[Organization]:
    """Key enterprises without a responsible leader (包保)."""
    led = Assignment.objects.filter(role=AssignmentRole.LEADER, ended_at__isnull=True).values(
        "organization_id"
    )
    return Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, is_key=True).exclude(pk__in=led)


def assignment_suggestions(*, limit: int = 50) -> list[Suggestion]:
    """Who should serve each enterprise without a commissioner: the least loaded commissioner, preferring
    one who already serves enterprises in the same park (fewer trips), counting each suggestion as it
    is made so the load stays balanced."""
    loads = workload()
    if not loads:
        return []
    score = {w.user.pk: w.score for w in loads}
    users = {w.user.pk: w.user for w in loads}
    parks: dict[int, set[int]] = defaultdict(set)
    for user_id, park_id in Assignment.objects.filter(
        role=AssignmentRole.COMMISSIONER, ended_at__isnull=True, organization__park__isnull=False
    ).values_list("user_id", "organization__park_id"):
        parks[park_id].add(user_id)
    suggestions = []
    for organization in (
        unassigned_enterprises().select_related("park").order_by("-is_key", "name", "id")[:limit]
    ):
        lowest = min(score.values())
        nearby = [
            u for u in parks.get(organization.park_id or 0, set()) if u in score and score[u] <= lowest + 2
        ]
        if nearby:
            chosen = min(nearby, key=lambda u: (score[u], u))
            reason = _("同园区已有服务企业，工作量较低")
        else:
            chosen = min(score, key=lambda u: (score[u], u))
            reason = _("当前工作量最低")
        suggestions.append(Suggestion(organization, users[chosen], reason))
        score[chosen] += 2 if organization.is_key else 1
        if organization.park_id:
            parks[organization.park_id].add(chosen)
    return suggestions


def rebalance_hints(loads: list[Workload]) -> list[dict[str, Any]]:
    """Commissioners carrying clearly more than the average (25 % over, and at least three enterprises
    more than the lightest): how many enterprises to hand to whom."""
    if len(loads) < 2:
        return []
    mean = sum(w.score for w in loads) / len(loads)
    lightest = min(loads, key=lambda w: w.score)
    hints = []
    for row in loads:
        if row is lightest or row.score <= mean * 1.25 or row.enterprises - lightest.enterprises < 3:
            continue
        move = max(1, int((row.enterprises - lightest.enterprises) / 2))
        hints.append({"from": row.user, "to": lightest.user, "count": move})
    return hints


def enterprise_service_list(*, actor: Any, q: str = "", scope: str = "") -> QuerySet[Organization]:
    """Enterprises with their current commissioner and leader and their open requests. Commissioners see
    their own portfolio, leaders their 包保 enterprises (``scope="all"`` shows every one to them and to
    operators)."""
    from .permissions import is_leader, is_operator

    qs = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
    if is_operator(actor) or (is_leader(actor) and scope == "all"):
        pass
    elif is_leader(actor):
        qs = qs.filter(pk__in=assigned_organization_ids(actor, AssignmentRole.LEADER))
    else:
        qs = qs.filter(pk__in=assigned_organization_ids(actor))
    if q:
        q = q.strip()[:60]
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(uscc__iexact=q))
    current = Assignment.objects.filter(organization=OuterRef("pk"), ended_at__isnull=True)
    return (
        qs.annotate(
            commissioner_id=Subquery(current.filter(role=AssignmentRole.COMMISSIONER).values("user_id")[:1]),
            leader_id=Subquery(current.filter(role=AssignmentRole.LEADER).values("user_id")[:1]),
            open_requests=Count(
                "service_requests", filter=Q(service_requests__status__in=OPEN), distinct=True
            ),
            last_visit=Subquery(
                Visit.objects.filter(organization=OuterRef("pk"), status=VisitStatus.DONE)
                .order_by("-planned_for")
                .values("planned_for")[:1]
            ),
        )
        .select_related("park")
        .order_by("-is_key", "name", "id")
    )


def attach_people(organizations: list[Organization]) -> None:
    """Resolve the annotated commissioner and leader ids of a page to users (one query)."""
    ids: set[int] = {
        person_id
        for o in organizations
        for person_id in (getattr(o, "commissioner_id", None), getattr(o, "leader_id", None))
        if person_id
    }
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
    for o in organizations:
        o.commissioner = users.get(o.commissioner_id)  # type: ignore[attr-defined]
        o.leader = users.get(o.leader_id)  # type: ignore[attr-defined]


# --- visits ------------------------------------------------------------------------------------------


def visit_list(*, actor: Any, organization: Organization | None = None, status: str = "") -> QuerySet[Visit]:
    qs = visit_visible_to(actor).select_related("organization", "visitor", "request")
    if organization is not None:
        qs = qs.filter(organization=organization)
    if status in VisitStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-planned_for", "-id")


def visits_this_month(organization: Organization, day: dt.date) -> int:
    return Visit.objects.filter(
        organization=organization,
        status__in=[VisitStatus.PLANNED, VisitStatus.DONE],
        planned_for__year=day.year,
        planned_for__month=day.month,
    ).count()


# --- figures -----------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _figure_rows(qs: QuerySet[ServiceRequest], key: str, now: dt.datetime) -> list[dict[str, Any]]:
    response_due = Q(first_responded_at__isnull=False) | Q(response_due_at__lte=now)
    resolution_due = Q(resolved_at__isnull=False) | Q(resolution_due_at__lte=now)
    rows = (
        qs.values(key)
        .annotate(
            total=Count("id"),
            responded=Count("id", filter=Q(first_responded_at__isnull=False)),
            avg_response=Avg("response_minutes"),
            avg_resolution=Avg("resolution_minutes"),
            response_counted=Count("id", filter=response_due & ~Q(status=RequestStatus.WITHDRAWN)),
            response_breaches=Count(
                "id",
                filter=Q(response_breached=True)
                | Q(
                    first_responded_at__isnull=True, response_due_at__lte=now, status=RequestStatus.SUBMITTED
                ),
            ),
            resolution_counted=Count("id", filter=resolution_due & ~Q(status=RequestStatus.WITHDRAWN)),
            resolution_breaches=Count(
                "id", filter=Q(resolution_breached=True) | Q(status__in=OPEN, resolution_due_at__lte=now)
            ),
            rated=Count("id", filter=Q(rating__isnull=False)),
            avg_rating=Avg("rating"),
            satisfied=Count("id", filter=Q(rating__gte=4)),
        )
        .order_by(key)
    )
    result = []
    for row in rows:
        result.append(
            {
                "key": row[key],
                "total": row["total"],
                "responded": row["responded"],
                "avg_response_hours": round(row["avg_response"] / 60, 1)
                if row["avg_response"] is not None
                else None,
                "avg_resolution_days": round(row["avg_resolution"] / clock.WorkCalendar().day_minutes, 1)
                if row["avg_resolution"] is not None
                else None,
                "response_breach_rate": _rate(row["response_breaches"], row["response_counted"]),
                "resolution_breach_rate": _rate(row["resolution_breaches"], row["resolution_counted"]),
                "rated": row["rated"],
                "avg_rating": round(row["avg_rating"], 2) if row["avg_rating"] is not None else None,
                "satisfaction_rate": _rate(row["satisfied"], row["rated"]),
            }
        )
    return result


def figures(
    *, actor: Any, since: dt.datetime | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Response times, breach rates and satisfaction by category and by commissioner, over the requests
    ``actor`` may see that were filed since ``since``."""
    now = now or clock.now()
    qs = request_visible_to(actor)
    if since is not None:
        qs = qs.filter(filed_at__gte=since)
    labels = dict(RequestCategory.choices)
    order = {value: index for index, value in enumerate(RequestCategory.values)}
    by_category = sorted(_figure_rows(qs, "category", now), key=lambda row: order.get(row["key"], 99))
    for row in by_category:
        row["label"] = str(labels.get(row["key"], row["key"]))
    by_commissioner = _figure_rows(qs, "commissioner_id", now)
    users = {
        u.pk: u
        for u in get_user_model().objects.filter(pk__in=[r["key"] for r in by_commissioner if r["key"]])
    }
    for row in by_commissioner:
        user = users.get(row["key"])
        row["label"] = str(user) if user else _("（未分配）")
    total = _figure_rows(qs.annotate(all_rows=F("organization__kind")), "all_rows", now)
    return {
        "by_category": by_category,
        "by_commissioner": by_commissioner,
        "total": total[0] if total else None,
        "since": since,
        "now": now,
    }


def my_enterprise_context(*, actor: Any, organization: Organization | None) -> dict[str, Any]:
    """What the enterprise user's pages show about its own service: its commissioner and 包保 leader."""
    if organization is None or organization.pk not in enterprise_member_ids(actor):
        return {}
    people = current_assignments(organization)
    return {"commissioner": people[AssignmentRole.COMMISSIONER], "leader": people[AssignmentRole.LEADER]}
