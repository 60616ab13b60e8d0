"""Demo data of the spaces app: units in every building of the district profile (by block and park),
leases and reservations with enterprises of the demo directory, a vacancy mix that differs by park,
open space requests, and one operator organization per park.

Registered with ``kechuang.directory.demo.register_demo_generator``: deterministic for a seed,
idempotent (units by (building, unit code), requests by (enterprise, title), park operators by name),
counts returned per kind. Dates are laid out backwards from the day of the run.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kechuang.directory.choices import BuildingUse, OrganizationKind
from kechuang.directory.models import Building, Organization, Park

from .choices import LeaseStatus, RequestStatus, ReservationStatus, SpaceType, UnitStatus
from .models import Lease, Reservation, SpaceRequest, SpaceUnit, new_code

UNITS_PER_BUILDING = {"tiny": 2, "small": 6, "large": 30}
REQUESTS = {"tiny": 2, "small": 8, "large": 40}
# type → (area range m², rent range fen/m²·day, floor load kN/m², power kW per 100 m²)
PROFILE = {
    SpaceType.OFFICE: ((80, 600), (300, 520), Decimal("3.5"), 8),
    SpaceType.LAB: ((150, 900), (260, 450), Decimal("5.0"), 25),
    SpaceType.PLANT: ((600, 3000), (120, 220), Decimal("15.0"), 60),
    SpaceType.CLEANROOM: ((300, 1500), (420, 800), Decimal("8.0"), 80),
}
REQUEST_TITLES = [
    ("生物芯片中试线需要洁净厂房", SpaceType.CLEANROOM, (300, 800), 650),
    ("传感器研发团队扩租实验室", SpaceType.LAB, (200, 400), 400),
    ("激光器装配车间用房", SpaceType.PLANT, (800, 1600), 200),
    ("软件研发中心办公室", SpaceType.OFFICE, (150, 300), 480),
    ("汽车电子测试实验室", SpaceType.LAB, (300, 600), 380),
    ("安全可信网络设备研发办公", SpaceType.OFFICE, (100, 250), 450),
]


def _type_for(building: Building, rng: random.Random) -> str:
    name = building.name
    if "洁净" in name:
        return SpaceType.CLEANROOM
    if building.use == BuildingUse.PLANT:
        return SpaceType.PLANT if rng.random() < 0.85 else SpaceType.CLEANROOM
    if building.use == BuildingUse.LAB:
        return SpaceType.LAB if rng.random() < 0.8 else SpaceType.CLEANROOM
    if building.use == BuildingUse.OFFICE:
        return SpaceType.OFFICE
    return rng.choice([SpaceType.OFFICE, SpaceType.LAB])


def _code(rng: random.Random, prefix: str) -> str:
    """Demo rows take their codes from the same counters as real ones (kechuang.core.codes)."""
    return new_code(prefix)


def generate(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    per_building = UNITS_PER_BUILDING.get(scale, 6)
    today = timezone.localdate()
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("pk"))
    created = {"房源": 0, "租约": 0, "预订": 0, "用房需求": 0, "园区运营方": 0}
    with transaction.atomic():
        for park in Park.objects.order_by("code"):
            _, made = Organization.objects.get_or_create(
                kind=OrganizationKind.PARK_OPERATOR,
                name=f"{park.name}运营管理中心",
                defaults={
                    "short_name": f"{park.name[:8]}运营",
                    "park": park,
                    "block": park.block,
                    "description": f"{park.name}的园区运营方，负责房源招商、看房与租约。",
                },
            )
            created["园区运营方"] += int(made)
        for building in Building.objects.select_related("park").order_by("code"):
            floors = max(building.floors or 3, 1)
            # parks fill differently, so the map shows a real spread of vacancy
            let_share = (
                0.35 + (sum(map(ord, building.park.code if building.park else building.code)) % 5) * 0.1
            )
            for index in range(per_building):
                floor = 1 + index % floors
                unit_code = f"{floor}{index // floors + 1:02d}"
                space_type = _type_for(building, rng)
                (low, high), (rent_low, rent_high), load, power = PROFILE[space_type]
                area = Decimal(rng.randrange(low, high, 10))
                rent = rng.randrange(rent_low, rent_high, 5)
                roll = rng.random()
                if SpaceUnit.objects.filter(building=building, unit_code=unit_code).exists():
                    continue
                unit = SpaceUnit.objects.create(
                    code=f"{building.code}-{unit_code}",
                    building=building,
                    unit_code=unit_code,
                    floor=floor,
                    area_m2=area,
                    space_type=space_type,
                    rent_fen_per_m2_day=rent,
                    floor_load_kn_m2=load,
                    power_kw=int(area * power / 100),
                    status=UnitStatus.VACANT,
                    vacant_since=today - dt.timedelta(days=rng.randrange(10, 400)),
                    description=rng.choice(
                        [
                            "层高 4.5 米，独立货梯",
                            "双回路供电，可做净化改造",
                            "精装修，可拎包入驻",
                            "近平城路科创走廊，交通便利",
                            "",
                        ]
                    ),
                )
                created["房源"] += 1
                if not enterprises:
                    continue
                tenant = rng.choice(enterprises)
                if roll < let_share:
                    start = today - dt.timedelta(days=rng.randrange(30, 900))
                    signed = start - dt.timedelta(days=rng.randrange(5, 40))
                    Lease.objects.create(
                        code=_code(rng, "LS"),
                        unit=unit,
                        organization=tenant,
                        start_date=start,
                        end_date=start + dt.timedelta(days=365 * rng.choice([2, 3, 5]) - 1),
                        contract_end_date=start + dt.timedelta(days=365 * 3 - 1),
                        rent_fen_per_m2_day=rent,
                        signed_on=signed,
                        vacant_since=signed - dt.timedelta(days=rng.randrange(15, 240)),
                        status=LeaseStatus.ACTIVE,
                    )
                    unit.status, unit.vacant_since = UnitStatus.LEASED, None
                    unit.save(update_fields=["status", "vacant_since"])
                    created["租约"] += 1
                elif roll < let_share + 0.08:
                    Reservation.objects.create(
                        code=_code(rng, "RS"),
                        unit=unit,
                        organization=tenant,
                        start_date=today + dt.timedelta(days=rng.randrange(10, 60)),
                        end_date=today + dt.timedelta(days=rng.randrange(400, 1100)),
                        status=ReservationStatus.ACTIVE,
                    )
                    unit.status = UnitStatus.RESERVED
                    unit.save(update_fields=["status"])
                    created["预订"] += 1
        for index in range(min(REQUESTS.get(scale, 2), len(enterprises))):
            organization = enterprises[(index * 7) % len(enterprises)]
            title, space_type, (low, high), budget = REQUEST_TITLES[index % len(REQUEST_TITLES)]
            if SpaceRequest.objects.filter(organization=organization, title=title).exists():
                continue
            request = SpaceRequest.objects.create(
                code=_code(rng, "SR"),
                organization=organization,
                title=title,
                space_type=space_type,
                area_min_m2=Decimal(low),
                area_max_m2=Decimal(high),
                budget_fen_per_m2_day=budget,
                move_in_by=today + dt.timedelta(days=rng.randrange(30, 180)),
                lease_months=36,
                special_needs="需要独立配电与排风" if space_type != SpaceType.OFFICE else "",
                status=RequestStatus.OPEN,
            )
            fields = list(organization.fields.all())
            if fields:
                request.fields.set(fields)
            created["用房需求"] += 1
    return created
