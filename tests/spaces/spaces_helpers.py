"""Helpers shared by the spaces tests (importable by plain name, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kechuang.spaces.choices import SpaceType, UnitStatus
from kechuang.spaces.models import SpaceUnit


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def make_unit(
    building,
    unit_code,
    *,
    area="200",
    space_type=SpaceType.CLEANROOM,
    rent=280,
    floor=1,
    vacant_since=None,
    load="8.0",
    power=120,
):
    return SpaceUnit.objects.create(
        code=f"{building.code}-{unit_code}",
        building=building,
        unit_code=unit_code,
        floor=floor,
        area_m2=Decimal(area),
        space_type=space_type,
        rent_fen_per_m2_day=rent,
        floor_load_kn_m2=Decimal(load) if load else None,
        power_kw=power,
        status=UnitStatus.VACANT,
        vacant_since=vacant_since or timezone.localdate() - dt.timedelta(days=30),
    )
