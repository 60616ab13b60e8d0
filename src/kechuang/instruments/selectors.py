"""Reads of the shared-instrument module: the catalogue with its filters and the week calendar of slots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .choices import HOLDING_BOOKING, ServiceMode
from .models import Booking, Instrument, MaintenanceBlock
from .permissions import booking_visible_to, instrument_visible_to


def instrument_list(
    *,
    actor: Any,
    q: str = "",
    category: str = "",
    owner: int | None = None,
    mode: str = "",
    park: int | None = None,
    max_rate_fen: int | None = None,
) -> QuerySet[Instrument]:
    """The catalogue: search in name, model, maker and description; filter by category (a top-level code
    includes its branches), owner, service mode, park and the district hourly rate."""
    qs = instrument_visible_to(actor).select_related("owner", "category", "building")
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(model_number__icontains=q)
            | Q(maker__icontains=q)
            | Q(description__icontains=q)
        )
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if owner:
        qs = qs.filter(owner_id=owner)
    if mode == ServiceMode.SELF:
        qs = qs.filter(service_mode__in=[ServiceMode.SELF, ServiceMode.BOTH])
    elif mode == ServiceMode.SAMPLE:
        qs = qs.filter(service_mode__in=[ServiceMode.SAMPLE, ServiceMode.BOTH])
    if park:
        qs = qs.filter(Q(building__park_id=park) | Q(owner__park_id=park))
    if max_rate_fen is not None:
        qs = qs.filter(rates__user_class="district", rates__unit="hour", rates__price_fen__lte=max_rate_fen)
    return qs.order_by("owner__name", "code").distinct()


def booking_list(*, actor: Any, status: str = "", instrument: Instrument | None = None) -> QuerySet[Booking]:
    qs = booking_visible_to(actor).select_related("instrument", "instrument__owner", "organization", "user")
    if status:
        qs = qs.filter(status=status)
    if instrument is not None:
        qs = qs.filter(instrument=instrument)
    return qs.order_by("-start_at", "-id")


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    state: str  # free, booked, maintenance, past


@dataclass(frozen=True)
class Day:
    date: dt.date
    open: bool
    slots: list[Slot]


def week_slots(instrument: Instrument, week_start: dt.date, *, now: dt.datetime | None = None) -> list[Day]:
    """The instrument's slots over seven days from ``week_start``: free, booked (by anyone: who is not
    shown), in maintenance, or too soon to book (inside the minimum notice) or past."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    first = timezone.make_aware(dt.datetime.combine(week_start, dt.time.min), tz)
    last = first + dt.timedelta(days=7)
    bookings = list(
        Booking.objects.filter(
            instrument=instrument, status__in=HOLDING_BOOKING, start_at__lt=last, end_at__gt=first
        ).values_list("start_at", "end_at")
    )
    blocks = list(
        MaintenanceBlock.objects.filter(
            instrument=instrument, start_at__lt=last, end_at__gt=first
        ).values_list("start_at", "end_at")
    )
    earliest = now + dt.timedelta(hours=instrument.min_notice_hours)
    step = dt.timedelta(minutes=instrument.slot_minutes)
    days = []
    for offset in range(7):
        day = week_start + dt.timedelta(days=offset)
        is_open = day.isoweekday() in instrument.weekdays()
        slots: list[Slot] = []
        if is_open:
            start = timezone.make_aware(dt.datetime.combine(day, instrument.open_from), tz)
            close = timezone.make_aware(dt.datetime.combine(day, instrument.open_until), tz)
            while start + step <= close:
                end = start + step
                if any(a < end and start < b for a, b in blocks):
                    state = "maintenance"
                elif any(a < end and start < b for a, b in bookings):
                    state = "booked"
                elif start < earliest:
                    state = "past"
                else:
                    state = "free"
                slots.append(Slot(start, end, state))
                start = end
        days.append(Day(day, is_open, slots))
    return days


# --- figures -----------------------------------------------------------------------------------------

CHARGED = ("completed", "no_show")


@dataclass(frozen=True)
class Figures:
    instruments: int
    hours: float
    outside_share: float | None  # share of hours used by other organizations than the owner (0–1)
    enterprises: int
    bookings: int
    no_shows: int
    income_fen: int
    rating: float | None = None  # the average score of the ratings of these bookings
    ratings: int = 0


def _figure_aggregates() -> dict[str, Any]:
    """The figures of a set of bookings as aggregates: one query for a set, one grouped query for many
    (an overview or a desk used to cost seven queries per owner or per instrument)."""
    from django.db.models import Avg, Count, Sum

    used = Q(status="completed", actual_minutes__isnull=False)
    return {
        "total": Sum("actual_minutes", filter=used),
        "outside": Sum("actual_minutes", filter=used & ~Q(user_class="owner")),
        "income": Sum("charge_fen", filter=Q(status__in=CHARGED) | Q(late_cancel=True)),
        # a booking has at most one rating (one-to-one): the join adds no rows to the sums above
        "rating_avg": Avg("rating__score"),
        "ratings": Count("rating"),
        "enterprises": Count("organization", distinct=True, filter=used & Q(user_class="district")),
        "bookings": Count("pk", filter=~Q(status__in=["cancelled", "rejected"])),
        "no_shows": Count("pk", filter=Q(status="no_show")),
    }


def _figures(row: dict[str, Any] | None, instruments: int) -> Figures:
    row = row or {}
    total = row.get("total") or 0
    outside = row.get("outside") or 0
    rating = row.get("rating_avg")
    return Figures(
        rating=round(float(rating), 1) if rating is not None else None,
        ratings=row.get("ratings") or 0,
        instruments=instruments,
        hours=round(total / 60, 1),
        outside_share=(outside / total) if total else None,
        enterprises=row.get("enterprises") or 0,
        bookings=row.get("bookings") or 0,
        no_shows=row.get("no_shows") or 0,
        income_fen=int(row.get("income") or 0),
    )


def usage_figures(bookings: QuerySet[Booking], *, instruments: int = 0) -> Figures:
    """Hours used (completed bookings' actual minutes), the share used by others than the owner, the
    enterprises served, bookings, no-shows and income (charges of completed, no-show and late-cancelled
    bookings), over the bookings given. One query."""
    return _figures(bookings.aggregate(**_figure_aggregates()), instruments)


def _figures_by(bookings: QuerySet[Booking], key: str) -> dict[Any, dict[str, Any]]:
    """The aggregates of :func:`usage_figures` per value of ``key``, in one grouped query."""
    rows = bookings.order_by().values(key).annotate(**_figure_aggregates())
    return {row[key]: row for row in rows}


def since_year_ago() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=365)


def instrument_figures(instrument: Instrument, *, since: dt.datetime | None = None) -> Figures:
    since = since or since_year_ago()
    return usage_figures(Booking.objects.filter(instrument=instrument, start_at__gte=since), instruments=1)


def instruments_figures(
    instruments: list[Instrument], *, since: dt.datetime | None = None
) -> list[tuple[Instrument, Figures]]:
    """:func:`instrument_figures` of each instrument, in one query for all of them (the owner's desk)."""
    since = since or since_year_ago()
    rows = _figures_by(
        Booking.objects.filter(instrument__in=[i.pk for i in instruments], start_at__gte=since),
        "instrument_id",
    )
    return [(i, _figures(rows.get(i.pk), 1)) for i in instruments]


def owner_figures(
    *, since: dt.datetime | None = None, owners: list[int] | None = None
) -> list[tuple[Any, Figures]]:
    """Per owning organization: its figures over the last year (or since ``since``). Three queries
    whatever the number of owners."""
    from django.db.models import Count

    from kechuang.directory.models import Organization

    since = since or since_year_ago()
    counted = Instrument.objects.order_by().values("owner_id").annotate(n=Count("pk"))
    if owners is not None:
        counted = counted.filter(owner_id__in=owners)
    counts = {row["owner_id"]: row["n"] for row in counted}
    owner_ids = owners if owners is not None else list(counts)
    bookings = Booking.objects.filter(instrument__owner_id__in=owner_ids, start_at__gte=since)
    rows = _figures_by(bookings, "instrument__owner_id")
    return [
        (owner, _figures(rows.get(owner.pk), counts.get(owner.pk, 0)))
        for owner in Organization.objects.filter(pk__in=owner_ids).order_by("name")
    ]


def district_figures(*, since: dt.datetime | None = None) -> Figures:
    """The district's 共享仪器机时 and 服务企业数 (the KPIs under 科创资源汇聚), computed from bookings."""
    since = since or since_year_ago()
    return usage_figures(Booking.objects.filter(start_at__gte=since), instruments=Instrument.objects.count())
