"""Reads of the spaces app. Every list starts from a ``*_visible_to`` queryset."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core.money import yuan_compact
from kechuang.directory.models import Block, Park

from .choices import HOLDING_LEASE, ReservationStatus, SpaceType, UnitStatus
from .models import Lease, Reservation, SpaceRequest, SpaceUnit, Viewing, area_text
from .permissions import (
    lease_visible_to,
    request_visible_to,
    reservation_visible_to,
    unit_visible_to,
    viewing_visible_to,
)


def unit_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[SpaceUnit]:
    from .filters import SpaceUnitFilter

    qs = unit_visible_to(actor).select_related("building", "building__park", "building__block")
    if filters:
        qs = SpaceUnitFilter(filters, queryset=qs).qs
    return qs.order_by("building__code", "floor", "unit_code")


def request_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[SpaceRequest]:
    from .filters import SpaceRequestFilter

    qs = request_visible_to(actor).select_related("organization", "block", "park")
    if filters:
        qs = SpaceRequestFilter(filters, queryset=qs).qs
    return qs.order_by("-created_at", "-id")


def viewing_list(*, actor: Any) -> QuerySet[Viewing]:
    return (
        viewing_visible_to(actor)
        .select_related("unit", "unit__building", "unit__building__park", "organization", "request")
        .order_by("-scheduled_at", "-id")
    )


def reservation_list(*, actor: Any) -> QuerySet[Reservation]:
    return reservation_visible_to(actor).select_related("unit", "unit__building", "organization", "request")


def lease_list(*, actor: Any) -> QuerySet[Lease]:
    return lease_visible_to(actor).select_related("unit", "unit__building", "organization")


def unit_holds(unit: SpaceUnit) -> dict[str, list[Any]]:
    """A unit's active reservations and its leases (newest first), for its manager's page."""
    return {
        "reservations": list(
            unit.reservations.filter(status=ReservationStatus.ACTIVE)
            .select_related("organization", "request")
            .order_by("start_date")
        ),
        "leases": list(unit.leases.select_related("organization").order_by("-start_date", "-id")[:20]),
    }


# --- matching ------------------------------------------------------------------------------------

AREA_SLACK = Decimal(
    "0.2"
)  # a unit up to 20 % outside the area range is still shown, apart (it fails the range)
BUDGET_SLACK = Decimal("0.1")  # up to 10 % over the budget: ranked, with a warning (the budget is not hard)
APART_LIMIT = 5

# Points per criterion; a request's scale is the sum of the points it can earn (what it states).
POINTS = {
    "area": 40,
    "type": 25,
    "any_type": 10,
    "budget": 20,
    "load": 5,
    "power": 5,
    "theme": 15,
    "place": 10,
}


@dataclass
class Match:
    """A unit scored against a request. ``fails`` names each stated hard requirement (area range, type,
    floor load, power) the unit does not meet: such a unit is never ranked, only shown apart
    (issue 14 item 3). ``score`` is out of ``scale``, the points this request can award."""

    unit: SpaceUnit
    score: int
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fails: list[str] = field(default_factory=list)
    scale: int = 100

    @property
    def meets_requirements(self) -> bool:
        return not self.fails

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.scale) if self.scale else 0

    @property
    def label(self) -> str:
        if self.fails:
            return str(_("未满足硬性要求"))
        if self.percent >= 85:
            return str(_("非常合适"))
        if self.percent >= 65:
            return str(_("比较合适"))
        return str(_("可以考虑"))


def _type_label(value: str) -> str:
    return str(SpaceType(value).label) if value in SpaceType.values else value


def match_scale(request: SpaceRequest, request_field_ids: set[int]) -> int:
    """The most points this request can award: every criterion it states, met."""
    scale = POINTS["area"] + (POINTS["type"] if request.space_type else POINTS["any_type"])
    scale += POINTS["budget"] if request.budget_fen_per_m2_day is not None else 0
    scale += POINTS["load"] if request.min_floor_load_kn_m2 is not None else 0
    scale += POINTS["power"] if request.min_power_kw is not None else 0
    scale += POINTS["theme"] if request_field_ids else 0
    scale += POINTS["place"] if (request.park_id or request.block_id) else 0
    return scale


def score_unit(
    request: SpaceRequest, unit: SpaceUnit, request_field_ids: set[int], park_fields: dict[int, list[Any]]
) -> Match | None:
    """Score one unit against a request; None when it cannot serve it at all. Reasons are sentences
    rendered from the data (面积 200㎡ 在需求 150–250㎡ 内; 类型相符：洁净室; …); ``fails`` says which hard
    requirement is not met and by how much."""
    match = Match(unit=unit, score=0, scale=match_scale(request, request_field_ids))
    area, low, high = Decimal(unit.area_m2), Decimal(request.area_min_m2), Decimal(request.area_max_m2)
    span = f"{area_text(low)}–{area_text(high)}㎡"
    if low <= area <= high:
        match.score += POINTS["area"]
        match.reasons.append(_("面积 %(a)s㎡ 在需求 %(span)s 内") % {"a": area_text(area), "span": span})
    elif low * (1 - AREA_SLACK) <= area < low:
        match.fails.append(_("面积 %(a)s㎡ 小于需求 %(span)s") % {"a": area_text(area), "span": span})
    elif high < area <= high * (1 + AREA_SLACK):
        match.fails.append(_("面积 %(a)s㎡ 大于需求 %(span)s") % {"a": area_text(area), "span": span})
    else:
        return None
    if request.space_type:
        if unit.space_type != request.space_type:
            return None
        match.score += POINTS["type"]
        match.reasons.append(_("类型相符：%(t)s") % {"t": _type_label(unit.space_type)})
    else:
        match.score += POINTS["any_type"]
        match.reasons.append(_("类型不限（本房源为%(t)s）") % {"t": _type_label(unit.space_type)})
    if request.budget_fen_per_m2_day is not None:
        rent, budget = unit.rent_fen_per_m2_day, request.budget_fen_per_m2_day
        if rent <= budget:
            match.score += POINTS["budget"]
            match.reasons.append(_("租金 %(r)s 元/㎡·天 在预算内") % {"r": yuan_compact(rent)})
        elif rent <= budget * (1 + BUDGET_SLACK):
            match.score += 5
            match.warnings.append(
                _("租金 %(r)s 元/㎡·天 略超预算 %(b)s 元/㎡·天")
                % {"r": yuan_compact(rent), "b": yuan_compact(budget)}
            )
        else:
            return None
    if request.min_floor_load_kn_m2 is not None:
        load = unit.floor_load_kn_m2
        if load is None or load < request.min_floor_load_kn_m2:
            match.fails.append(
                _("承重 %(l)s 未达要求 %(n)s kN/㎡")
                % {
                    "l": f"{load} kN/㎡" if load is not None else _("未标明"),
                    "n": request.min_floor_load_kn_m2,
                }
            )
        else:
            match.score += POINTS["load"]
            match.reasons.append(_("承重 %(l)s kN/㎡ 满足要求") % {"l": load})
    if request.min_power_kw is not None:
        power = unit.power_kw
        if power is None or power < request.min_power_kw:
            match.fails.append(
                _("供电 %(p)s 未达要求 %(n)s kW")
                % {"p": f"{power} kW" if power is not None else _("未标明"), "n": request.min_power_kw}
            )
        else:
            match.score += POINTS["power"]
            match.reasons.append(_("供电 %(p)s kW 满足要求") % {"p": power})
    park = unit.building.park
    if park is not None:
        common = [f for f in park_fields.get(park.pk, []) if f.pk in request_field_ids]
        if common:
            match.score += POINTS["theme"]
            match.reasons.append(_("园区主题相符：%(f)s") % {"f": "、".join(f.name for f in common[:3])})
    if request.park_id and park is not None and park.pk == request.park_id:
        match.score += POINTS["place"]
        match.reasons.append(_("位于意向园区：%(p)s") % {"p": park.name})
    elif request.block_id and unit.building.block_id == request.block_id and unit.building.block is not None:
        match.score += POINTS["place"]
        match.reasons.append(_("位于意向板块：%(b)s") % {"b": unit.building.block.name})
    return match


def rank_matches(matches: list[Match], *, limit: int = 10, apart: int = APART_LIMIT) -> list[Match]:
    """Units meeting every hard requirement, best first, then (apart) those failing one, fewest failures
    first: a unit failing a hard requirement never sits above one meeting them all, whatever its score."""
    order = sorted(
        matches,
        key=lambda m: (len(m.fails) > 0, len(m.fails), -m.score, m.unit.rent_fen_per_m2_day, m.unit.code),
    )
    ranked = [m for m in order if m.meets_requirements][:limit]
    return ranked + [m for m in order if not m.meets_requirements][:apart]


def match_units(space_request: SpaceRequest, *, limit: int = 10) -> list[Match]:
    """Vacant units that fit the request, best first, each with its reasons; then, apart, up to
    ``APART_LIMIT`` near misses with what they fail (``Match.fails``). Four queries."""
    low = Decimal(space_request.area_min_m2) * (1 - AREA_SLACK)
    high = Decimal(space_request.area_max_m2) * (1 + AREA_SLACK)
    candidates = SpaceUnit.objects.filter(status=UnitStatus.VACANT, area_m2__gte=low, area_m2__lte=high)
    if space_request.space_type:
        candidates = candidates.filter(space_type=space_request.space_type)
    units = list(candidates.select_related("building", "building__park", "building__block")[:2000])
    request_field_ids = set(space_request.fields.values_list("pk", flat=True))
    park_ids = {u.building.park_id for u in units if u.building.park_id}
    park_fields: dict[int, list[Any]] = {}
    for park in Park.objects.filter(pk__in=park_ids).prefetch_related("fields"):
        park_fields[park.pk] = list(park.fields.all())
    matches = [m for m in (score_unit(space_request, u, request_field_ids, park_fields) for u in units) if m]
    return rank_matches(matches, limit=limit)


# --- vacancy -------------------------------------------------------------------------------------


def _live_units(on: dt.date) -> QuerySet[SpaceUnit]:
    """Units annotated with whether they are let or held on ``on`` (from the holds, not the cache)."""
    holding = Lease.objects.filter(unit=OuterRef("pk"), status__in=HOLDING_LEASE, end_date__gte=on)
    return SpaceUnit.objects.annotate(
        let_now=Exists(holding.filter(start_date__lte=on)),
        held=Exists(holding)
        | Exists(
            Reservation.objects.filter(unit=OuterRef("pk"), status=ReservationStatus.ACTIVE, end_date__gte=on)
        ),
    )


@dataclass
class Vacancy:
    units: int = 0
    vacant_units: int = 0
    area: Decimal = Decimal(0)
    vacant_area: Decimal = Decimal(0)

    def add(self, area: Decimal, vacant: bool) -> None:
        self.units += 1
        self.area += area
        if vacant:
            self.vacant_units += 1
            self.vacant_area += area

    @property
    def rate(self) -> float | None:
        """Vacant area over total area, in percent (one decimal)."""
        if not self.area:
            return None
        return round(float(self.vacant_area * 100 / self.area), 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "vacant_units": self.vacant_units,
            "area_m2": area_text(self.area),
            "vacant_area_m2": area_text(self.vacant_area),
            "vacancy_rate": self.rate,
        }


def vacancy_figures(*, on: dt.date | None = None) -> dict[str, Any]:
    """The district's vacancy now, per block and per park, and this year's letting figures:
    vacancy rate (vacant area ÷ total area), area let this year (units of leases signed this year),
    average days to let (signed date − the day the unit became vacant, over this year's leases)."""
    on = on or timezone.localdate()
    total = Vacancy()
    by_block: dict[int, Vacancy] = {}
    by_park: dict[int, Vacancy] = {}
    # "held" is _live_units' annotation, which the django-stubs plugin cannot see
    rows = _live_units(on).values_list("area_m2", "held", "building__block_id", "building__park_id")  # type: ignore[misc]
    for area, held, block_id, park_id in rows:
        vacant = not held
        total.add(area, vacant)
        if block_id:
            by_block.setdefault(block_id, Vacancy()).add(area, vacant)
        if park_id:
            by_park.setdefault(park_id, Vacancy()).add(area, vacant)
    year_start = on.replace(month=1, day=1)
    leases = list(
        Lease.objects.filter(
            status__in=HOLDING_LEASE, signed_on__gte=year_start, signed_on__lte=on
        ).values_list("unit__area_m2", "signed_on", "vacant_since")
    )
    let_area = sum((area for area, _s, _v in leases), Decimal(0))
    waits = [(signed - since).days for _a, signed, since in leases if since is not None and since <= signed]
    average = round(sum(waits) / len(waits), 1) if waits else None
    blocks = [
        {"code": b.code, "name": b.name, **by_block.get(b.pk, Vacancy()).as_dict()}
        for b in Block.objects.all()
    ]
    parks = [
        {
            "code": p.code,
            "name": p.name,
            "block": p.block.name if p.block else "",
            **by_park.get(p.pk, Vacancy()).as_dict(),
        }
        for p in Park.objects.select_related("block")
    ]
    return {
        "on": on,
        "year": on.year,
        **total.as_dict(),
        "area_let_this_year_m2": area_text(let_area),
        "leases_this_year": len(leases),
        "average_days_to_let": average,
        "blocks": blocks,
        "parks": parks,
    }


def vacancy_map_data(figures: dict[str, Any]) -> dict[str, Any]:
    """The directory's district map data with vacancy written into the block and park labels, so the
    shared district-map.js draws a vacancy map without changes (its labels and tooltips show the
    names); ``vacancy`` carries the numbers for any later layer. Amenities are left out."""
    from kechuang.directory.selectors import district_map_data

    data = district_map_data()
    blocks = {b["code"]: b for b in figures["blocks"]}
    parks = {p["code"]: p for p in figures["parks"]}
    for block in data["blocks"]:
        v = blocks.get(block["code"])
        if v and v["units"]:
            block["name"] = _("%(name)s 空置%(rate)s%%") % {
                "name": block["name"],
                "rate": round(v["vacancy_rate"]),
            }
            block["theme"] = _("空置 %(n)s/%(t)s 套，%(a)s/%(ta)s ㎡（%(rate)s%%）") % {
                "n": v["vacant_units"],
                "t": v["units"],
                "a": v["vacant_area_m2"],
                "ta": v["area_m2"],
                "rate": v["vacancy_rate"],
            }
    for park in data["parks"]:
        v = parks.get(park["code"])
        if v and v["units"]:
            park["name"] = _("%(name)s（空置 %(n)s/%(t)s 套）") % {
                "name": park["name"],
                "n": v["vacant_units"],
                "t": v["units"],
            }
            park["theme"] = _("空置面积 %(a)s/%(ta)s ㎡（%(rate)s%%）") % {
                "a": v["vacant_area_m2"],
                "ta": v["area_m2"],
                "rate": v["vacancy_rate"],
            }
    data["amenities"] = []
    data["vacancy"] = {"blocks": figures["blocks"], "parks": figures["parks"]}
    return data


def request_counts(*, actor: Any) -> dict[str, int]:
    from .choices import RequestStatus

    qs = request_visible_to(actor)
    return {"open": qs.filter(status=RequestStatus.OPEN).count()}


def open_viewings(*, actor: Any, limit: int = 5) -> list[Viewing]:
    from .choices import ViewingStatus

    return list(
        viewing_list(actor=actor)
        .filter(
            status__in=[ViewingStatus.REQUESTED, ViewingStatus.CONFIRMED],
            scheduled_at__gte=timezone.now() - dt.timedelta(days=1),
        )
        .order_by("scheduled_at")[:limit]
    )
