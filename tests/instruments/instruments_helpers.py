"""Helpers shared by the instruments tests (importable by plain name, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kechuang.instruments.choices import ApprovalRule, RateUnit, UserClass
from kechuang.instruments.models import Instrument, InstrumentCategory, Rate, new_code

HOURLY = {UserClass.OWNER: 20_000, UserClass.DISTRICT: 40_000, UserClass.OUTSIDE: 60_000}
PER_SAMPLE = {UserClass.OWNER: 5_000, UserClass.DISTRICT: 10_000, UserClass.OUTSIDE: 15_000}


def next_weekday_at(hour: int, minute: int = 0, *, days_ahead: int = 7) -> dt.datetime:
    """A Monday to Friday at least ``days_ahead`` days from today, at ``hour:minute`` local time."""
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_instrument(owner, *, name="场发射扫描电子显微镜", rule=ApprovalRule.AUTOMATIC, slot=60, **fields):
    """An instrument written with the ORM (no permission check), with a full rate card."""
    # get_or_create: transactional tests flush the categories the data migration seeded
    category, _created = InstrumentCategory.objects.get_or_create(
        code="0101", defaults={"name": "电子光学仪器"}
    )
    instrument = Instrument.objects.create(
        code=new_code("YQ"),
        name=name,
        owner=owner,
        category=category,
        approval_rule=rule,
        slot_minutes=slot,
        min_notice_hours=fields.pop("min_notice_hours", 0),
        free_cancel_hours=fields.pop("free_cancel_hours", 24),
        **fields,
    )
    for user_class, price in HOURLY.items():
        Rate.objects.create(instrument=instrument, user_class=user_class, unit=RateUnit.HOUR, price_fen=price)
    for user_class, price in PER_SAMPLE.items():
        Rate.objects.create(
            instrument=instrument, user_class=user_class, unit=RateUnit.SAMPLE, price_fen=price
        )
    return instrument
