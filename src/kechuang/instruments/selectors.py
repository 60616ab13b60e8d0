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


def _used(qs: QuerySet[Booking]) -> QuerySet[Booking]:
    return qs.filter(status="completed", actual_minutes__isnull=False)


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


def usage_figures(bookings: QuerySet[Booking], *, instruments: int = 0) -> Figures:
    """Hours used (completed bookings' actual minutes), the share used by others than the owner, the
    enterprises served, bookings, no-shows and income (charges of completed, no-show and late-cancelled
    bookings), over the bookings given."""
    from django.db.models import Count, Sum

    used = _used(bookings)
    total = used.aggregate(m=Sum("actual_minutes"))["m"] or 0
    outside = used.exclude(user_class="owner").aggregate(m=Sum("actual_minutes"))["m"] or 0
    income = (
        bookings.filter(Q(status__in=CHARGED) | Q(late_cancel=True)).aggregate(s=Sum("charge_fen"))["s"] or 0
    )
    from django.db.models import Avg

    rated = bookings.filter(rating__isnull=False).aggregate(avg=Avg("rating__score"), n=Count("rating"))
    return Figures(
        rating=round(float(rated["avg"]), 1) if rated["avg"] is not None else None,
        ratings=rated["n"],
        instruments=instruments,
        hours=round(total / 60, 1),
        outside_share=(outside / total) if total else None,
        enterprises=used.filter(user_class="district").aggregate(n=Count("organization", distinct=True))["n"],
        bookings=bookings.exclude(status__in=["cancelled", "rejected"]).count(),
        no_shows=bookings.filter(status="no_show").count(),
        income_fen=int(income),
    )


def since_year_ago() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=365)


def instrument_figures(instrument: Instrument, *, since: dt.datetime | None = None) -> Figures:
    since = since or since_year_ago()
    return usage_figures(Booking.objects.filter(instrument=instrument, start_at__gte=since), instruments=1)


def owner_figures(
    *, since: dt.datetime | None = None, owners: list[int] | None = None
) -> list[tuple[Any, Figures]]:
    """Per owning organization: its figures over the last year (or since ``since``)."""
    from kechuang.directory.models import Organization

    since = since or since_year_ago()
    owner_ids = (
        owners
        if owners is not None
        else list(Instrument.objects.values_list("owner_id", flat=True).distinct())
    )
    rows = []
    for owner in Organization.objects.filter(pk__in=owner_ids).order_by("name"):
        count = Instrument.objects.filter(owner=owner).count()
        rows.append(
            (
                owner,
                usage_figures(
                    Booking.objects.filter(instrument__owner=owner, start_at__gte=since), instruments=count
                ),
            )
        )
    return rows


def district_figures(*, since: dt.datetime | None = None) -> Figures:
    """The district's 共享仪器机时 and 服务企业数 (the KPIs under 科创资源汇聚), computed from bookings."""
    since = since or since_year_ago()
    return usage_figures(Booking.objects.filter(start_at__gte=since), instruments=Instrument.objects.count())
