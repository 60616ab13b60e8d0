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
