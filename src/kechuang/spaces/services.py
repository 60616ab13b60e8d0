"""Every write of the spaces app: ``<entity>_<verb>(*, actor, ...)``, keyword-only, atomic, permission
checked, audited. Views and the API validate input shape and call one of these.

Reservations and leases lock the unit row (``select_for_update``) before looking for an overlapping
hold, so two racing requests for one unit and period give one success and one clean
"该房源在此期间已被预订"; the database's own exclusion constraint / trigger (migration 0002) is the
last line and is turned into the same message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import deny
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Building, Organization

from . import permissions as perms
from .choices import (
    HOLDING_LEASE,
    LeaseStatus,
    RequestStatus,
    ReservationStatus,
    SpaceType,
    UnitStatus,
    ViewingStatus,
)
from .models import Lease, Reservation, SpaceRequest, SpaceUnit, Viewing, new_code

MAX_PERIOD_DAYS = 366 * 20
MAX_AREA = Decimal("1000000")
MAX_RENT_FEN = 100_000  # 1000 元/㎡·天: anything above is a typo


def conflict_message() -> str:
    return _("该房源在此期间已被预订")


def today() -> dt.date:
    return timezone.localdate()


def _unit_fields(data: Mapping[str, Any]) -> Mapping[str, Any]:
    errors: dict[str, str] = {}
    area = data.get("area_m2")
    if area is not None and not (Decimal(0) < Decimal(str(area)) <= MAX_AREA):
        errors["area_m2"] = _("面积必须大于 0 且不超过 1,000,000 ㎡。")
    rent = data.get("rent_fen_per_m2_day")
    if rent is not None and not (0 <= int(rent) <= MAX_RENT_FEN):
        errors["rent_fen_per_m2_day"] = _("租金必须在 0 到 1000 元/㎡·天 之间。")
    if data.get("space_type") is not None and data["space_type"] not in SpaceType.values:
        errors["space_type"] = _("房源类型无效。")
    if errors:
        raise ValidationError(errors)
    return data


def unit_create(
    *,
    actor: Any,
    building: Building,
    unit_code: str,
    floor: int,
    area_m2: Decimal,
    space_type: str,
    rent_fen_per_m2_day: int,
    floor_load_kn_m2: Decimal | None = None,
    power_kw: int | None = None,
    description: str = "",
) -> SpaceUnit:
    probe = SpaceUnit(building=building)
    if not perms.can_manage_unit(actor, probe):
        raise deny(_("只有运营人员或该园区的运营方可以登记房源。"))
    unit_code = unit_code.strip()
    if not unit_code:
        raise ValidationError({"unit_code": _("请填写单元号。")})
    _unit_fields({"area_m2": area_m2, "rent_fen_per_m2_day": rent_fen_per_m2_day, "space_type": space_type})
    with transaction.atomic():
        if SpaceUnit.objects.filter(building=building, unit_code=unit_code).exists():
            raise ValidationError(
                {"unit_code": _("该楼宇已有单元号“%(code)s”的房源。") % {"code": unit_code}}
            )
        unit = SpaceUnit.objects.create(
            code=f"{building.code}-{unit_code}"[:80],
            building=building,
            unit_code=unit_code,
            floor=floor,
            area_m2=area_m2,
            space_type=space_type,
            rent_fen_per_m2_day=rent_fen_per_m2_day,
            floor_load_kn_m2=floor_load_kn_m2,
            power_kw=power_kw,
            description=description,
            status=UnitStatus.VACANT,
            vacant_since=today(),
        )
        audit.record(
            "spaces.unit.create",
            actor=actor,
            obj=unit,
            detail={"building": building.code, "unit_code": unit_code, "area_m2": str(area_m2)},
        )
    return unit


class UnitChanges(TypedDict, total=False):
    """What ``unit_update`` may change of a unit (not its building or number), by name and type."""

    floor: int
    area_m2: Decimal
    space_type: str
    rent_fen_per_m2_day: int
    floor_load_kn_m2: Decimal | None
    power_kw: int | None
    description: str


UNIT_EDITABLE = tuple(UnitChanges.__annotations__)


def unit_update(*, actor: Any, unit: SpaceUnit, **changes: Unpack[UnitChanges]) -> SpaceUnit:
    if not perms.can_manage_unit(actor, unit):
        raise deny(_("只有运营人员或该园区的运营方可以修改房源。"))
    unknown = set(changes) - set(UNIT_EDITABLE)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    _unit_fields(changes)
    with transaction.atomic():
        locked = SpaceUnit.objects.select_for_update().get(pk=unit.pk)
        before = {name: str(getattr(locked, name)) for name in changes}
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save()
        audit.record(
            "spaces.unit.update",
            actor=actor,
            obj=locked,
            detail={"before": before, "after": {k: str(v) for k, v in changes.items()}},
        )
    return locked


# --- requests and viewings -----------------------------------------------------------------------


def space_request_create(
    *,
    actor: Any,
    organization: Organization,
    title: str,
    area_min_m2: Decimal,
    area_max_m2: Decimal,
    space_type: str = "",
    budget_fen_per_m2_day: int | None = None,
    move_in_by: dt.date | None = None,
    lease_months: int | None = None,
    min_floor_load_kn_m2: Decimal | None = None,
    min_power_kw: int | None = None,
    block: Any = None,
    park: Any = None,
    fields: Any = None,
    special_needs: str = "",
) -> SpaceRequest:
    if organization.kind != OrganizationKind.ENTERPRISE or organization.pk not in perms.enterprise_ids(actor):
        raise deny(_("只有企业用户可以为本企业提出用房需求。"))
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("请填写标题。")
    if area_min_m2 is None or area_min_m2 <= 0:
        errors["area_min_m2"] = _("最小面积必须大于 0。")
    elif area_max_m2 is None or area_max_m2 < area_min_m2:
        errors["area_max_m2"] = _("最大面积不能小于最小面积。")
    elif area_max_m2 > MAX_AREA:
        errors["area_max_m2"] = _("面积不能超过 1,000,000 ㎡。")
    if space_type and space_type not in SpaceType.values:
        errors["space_type"] = _("房源类型无效。")
    if budget_fen_per_m2_day is not None and not (0 <= budget_fen_per_m2_day <= MAX_RENT_FEN):
        errors["budget_fen_per_m2_day"] = _("预算必须在 0 到 1000 元/㎡·天 之间。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = SpaceRequest.objects.create(
            code=new_code("SR"),
            organization=organization,
            title=title.strip(),
            space_type=space_type or "",
            area_min_m2=area_min_m2,
            area_max_m2=area_max_m2,
            budget_fen_per_m2_day=budget_fen_per_m2_day,
            move_in_by=move_in_by,
            lease_months=lease_months,
            min_floor_load_kn_m2=min_floor_load_kn_m2,
            min_power_kw=min_power_kw,
            block=block,
            park=park,
            special_needs=special_needs.strip(),
            created_by=actor,
        )
        chosen = list(fields) if fields else list(organization.fields.all())
        if chosen:
            request.fields.set(chosen)
        audit.record(
            "spaces.request.create",
            actor=actor,
            obj=request,
            detail={
                "organization": organization.pk,
                "area": [str(area_min_m2), str(area_max_m2)],
                "type": space_type,
            },
        )
    return request


def space_request_cancel(*, actor: Any, space_request: SpaceRequest) -> SpaceRequest:
    if not perms.can_cancel_request(actor, space_request):
        raise deny(_("您无权撤销这条用房需求。"))
    with transaction.atomic():
        locked = SpaceRequest.objects.select_for_update().get(pk=space_request.pk)
        if locked.status != RequestStatus.OPEN:
            raise ValidationError(_("只有进行中的需求可以撤销。"))
        locked.status = RequestStatus.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        for viewing in Viewing.objects.select_for_update().filter(
            request=locked, status__in=[ViewingStatus.REQUESTED, ViewingStatus.CONFIRMED]
        ):
            viewing.status = ViewingStatus.CANCELLED
            viewing.save(update_fields=["status", "updated_at"])
        audit.record("spaces.request.cancel", actor=actor, obj=locked)
    return locked


def viewing_book(
    *, actor: Any, space_request: SpaceRequest, unit: SpaceUnit, scheduled_at: dt.datetime, note: str = ""
) -> Viewing:
    if not perms.can_book_viewing(actor, space_request):
        raise deny(_("只能为本企业的用房需求预约看房。"))
    if scheduled_at <= timezone.now():
        raise ValidationError({"scheduled_at": _("看房时间必须晚于现在。")})
    if scheduled_at > timezone.now() + dt.timedelta(days=180):
        raise ValidationError({"scheduled_at": _("看房时间请安排在 180 天以内。")})
    if unit.status == UnitStatus.LEASED:
        raise ValidationError({"unit": _("该房源已出租，不能预约看房。")})
    with transaction.atomic():
        space_request = SpaceRequest.objects.select_for_update().get(pk=space_request.pk)
        if space_request.status != RequestStatus.OPEN:
            raise ValidationError(_("这条需求已结束，不能再预约看房。"))
        if Viewing.objects.filter(
            request=space_request, unit=unit, status__in=[ViewingStatus.REQUESTED, ViewingStatus.CONFIRMED]
        ).exists():
            raise ValidationError({"unit": _("已预约过这套房源，请勿重复预约。")})
        viewing = Viewing.objects.create(
            code=new_code("VW"),
            unit=unit,
            request=space_request,
            organization_id=space_request.organization_id,
            scheduled_at=scheduled_at,
            note=note.strip()[:300],
            created_by=actor,
        )
        audit.record(
            "spaces.viewing.book",
            actor=actor,
            obj=viewing,
            detail={
                "unit": unit.code,
                "request": space_request.code,
                "scheduled_at": scheduled_at.isoformat(),
            },
        )
    return viewing


_VIEWING_MOVES = {
    "confirm": ({ViewingStatus.REQUESTED}, ViewingStatus.CONFIRMED),
    "complete": ({ViewingStatus.REQUESTED, ViewingStatus.CONFIRMED}, ViewingStatus.DONE),
    "cancel": ({ViewingStatus.REQUESTED, ViewingStatus.CONFIRMED}, ViewingStatus.CANCELLED),
}


def _viewing_move(actor: Any, viewing: Viewing, move: str) -> Viewing:
    allowed = perms.can_cancel_viewing if move == "cancel" else perms.can_handle_viewing
    if not allowed(actor, viewing):
        raise deny(_("您无权处理这条看房预约。"))
    sources, target = _VIEWING_MOVES[move]
    with transaction.atomic():
        locked = Viewing.objects.select_for_update().get(pk=viewing.pk)
        if locked.status not in sources:
            raise ValidationError(
                _("看房预约当前为“%(s)s”，不能执行此操作。") % {"s": locked.get_status_display()}
            )
        locked.status = target
        locked.save(update_fields=["status", "updated_at"])
        audit.record(f"spaces.viewing.{move}", actor=actor, obj=locked)
    return locked


def viewing_confirm(*, actor: Any, viewing: Viewing) -> Viewing:
    return _viewing_move(actor, viewing, "confirm")


def viewing_complete(*, actor: Any, viewing: Viewing) -> Viewing:
    return _viewing_move(actor, viewing, "complete")


def viewing_cancel(*, actor: Any, viewing: Viewing) -> Viewing:
    return _viewing_move(actor, viewing, "cancel")


# --- reservations and leases ---------------------------------------------------------------------


def _check_period(start: dt.date, end: dt.date) -> None:
    if start is None or end is None:
        raise ValidationError({"start_date": _("请填写起止日期。")})
    if end < start:
        raise ValidationError({"end_date": _("截止日不能早于起始日。")})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"end_date": _("期限不能超过 20 年。")})


def _overlapping(
    unit: SpaceUnit,
    start: dt.date,
    end: dt.date,
    *,
    skip_reservation: int | None = None,
    skip_lease: int | None = None,
) -> bool:
    reservations = Reservation.objects.filter(
        unit=unit, status=ReservationStatus.ACTIVE, start_date__lte=end, end_date__gte=start
    )
    if skip_reservation is not None:
        reservations = reservations.exclude(pk=skip_reservation)
    leases = Lease.objects.filter(
        unit=unit, status__in=HOLDING_LEASE, start_date__lte=end, end_date__gte=start
    )
    if skip_lease is not None:
        leases = leases.exclude(pk=skip_lease)
    return reservations.exists() or leases.exists()


def refresh_unit_status(unit: SpaceUnit, on: dt.date | None = None) -> SpaceUnit:
    """Recompute the cached status of a (locked) unit from its holds on ``on`` (today)."""
    on = on or today()
    holding = Lease.objects.filter(unit=unit, status__in=HOLDING_LEASE, end_date__gte=on)
    if holding.filter(start_date__lte=on).exists():
        status = UnitStatus.LEASED
    elif (
        holding.exists()
        or Reservation.objects.filter(unit=unit, status=ReservationStatus.ACTIVE, end_date__gte=on).exists()
    ):
        status = UnitStatus.RESERVED
    else:
        status = UnitStatus.VACANT
    changed = ["status"]
    if status == UnitStatus.VACANT and unit.vacant_since is None:
        last = (
            Lease.objects.filter(unit=unit, status__in=HOLDING_LEASE, end_date__lt=on)
            .order_by("-end_date")
            .first()
        )
        unit.vacant_since = (last.end_date + dt.timedelta(days=1)) if last else on
        changed.append("vacant_since")
    if status != unit.status or len(changed) > 1:
        unit.status = status
        unit.save(update_fields=[*changed, "updated_at"])
    return unit


def _lock(unit: SpaceUnit) -> SpaceUnit:
    return SpaceUnit.objects.select_for_update().select_related("building").get(pk=unit.pk)


def reservation_create(
    *,
    actor: Any,
    unit: SpaceUnit,
    organization: Organization,
    start_date: dt.date,
    end_date: dt.date,
    space_request: SpaceRequest | None = None,
) -> Reservation:
    if not perms.can_reserve_unit(actor, unit):
        raise deny(_("只有运营人员或该园区的运营方可以预订房源。"))
    if organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("只能为企业预订房源。")})
    if space_request is not None and space_request.organization_id != organization.pk:
        raise ValidationError({"request": _("用房需求不属于该企业。")})
    _check_period(start_date, end_date)
    if end_date < today():
        raise ValidationError({"end_date": _("预订截止日不能早于今天。")})
    try:
        with transaction.atomic():
            locked = _lock(unit)
            if _overlapping(locked, start_date, end_date):
                raise ValidationError(conflict_message())
            reservation = Reservation.objects.create(
                code=new_code("RS"),
                unit=locked,
                organization=organization,
                request=space_request,
                start_date=start_date,
                end_date=end_date,
                created_by=actor,
            )
            refresh_unit_status(locked)
            audit.record(
                "spaces.reservation.create",
                actor=actor,
                obj=reservation,
                detail={
                    "unit": locked.code,
                    "organization": organization.pk,
                    "period": [start_date.isoformat(), end_date.isoformat()],
                },
            )
    except IntegrityError as error:  # the database's overlap refusal (migration 0002)
        raise ValidationError(conflict_message()) from error
    return reservation


def reservation_cancel(*, actor: Any, reservation: Reservation) -> Reservation:
    if not perms.can_handle_hold(actor, reservation):
        raise deny(_("只有运营人员或该园区的运营方可以取消预订。"))
    with transaction.atomic():
        locked_unit = _lock(reservation.unit)
        locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
        if locked.status != ReservationStatus.ACTIVE:
            raise ValidationError(_("只有预订中的记录可以取消。"))
        locked.status = ReservationStatus.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        refresh_unit_status(locked_unit)
        audit.record("spaces.reservation.cancel", actor=actor, obj=locked, detail={"unit": locked_unit.code})
    return locked


def lease_sign(
    *,
    actor: Any,
    unit: SpaceUnit,
    organization: Organization,
    start_date: dt.date,
    end_date: dt.date,
    rent_fen_per_m2_day: int | None = None,
    reservation: Reservation | None = None,
) -> Lease:
    """Sign a lease; from a reservation (which becomes ``converted``) or directly."""
    if not perms.can_lease_unit(actor, unit):
        raise deny(_("只有运营人员或该园区的运营方可以签订租约。"))
    if organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("只能与企业签订租约。")})
    _check_period(start_date, end_date)
    if rent_fen_per_m2_day is not None and not (0 <= rent_fen_per_m2_day <= MAX_RENT_FEN):
        raise ValidationError({"rent_fen_per_m2_day": _("租金必须在 0 到 1000 元/㎡·天 之间。")})
    try:
        with transaction.atomic():
            locked = _lock(unit)
            source = None
            if reservation is not None:
                source = Reservation.objects.select_for_update().get(pk=reservation.pk)
                if source.unit_id != locked.pk or source.organization_id != organization.pk:
                    raise ValidationError(_("预订与房源或企业不符。"))
                if source.status != ReservationStatus.ACTIVE:
                    raise ValidationError(_("该预订已不在预订中，不能转为租约。"))
                source.status = ReservationStatus.CONVERTED
                source.save(update_fields=["status", "updated_at"])
            if _overlapping(locked, start_date, end_date):
                raise ValidationError(conflict_message())
            signed = today()
            lease = Lease.objects.create(
                code=new_code("LS"),
                unit=locked,
                organization=organization,
                reservation=source,
                start_date=start_date,
                end_date=end_date,
                contract_end_date=end_date,
                rent_fen_per_m2_day=locked.rent_fen_per_m2_day
                if rent_fen_per_m2_day is None
                else rent_fen_per_m2_day,
                signed_on=signed,
                vacant_since=locked.vacant_since,
                created_by=actor,
            )
            locked.vacant_since = None
            locked.save(update_fields=["vacant_since", "updated_at"])
            refresh_unit_status(locked)
            if source is not None and source.request_id:
                SpaceRequest.objects.filter(pk=source.request_id, status=RequestStatus.OPEN).update(
                    status=RequestStatus.FULFILLED, updated_at=timezone.now()
                )
            audit.record(
                "spaces.lease.sign",
                actor=actor,
                obj=lease,
                detail={
                    "unit": locked.code,
                    "organization": organization.pk,
                    "period": [start_date.isoformat(), end_date.isoformat()],
                    "rent_fen_per_m2_day": lease.rent_fen_per_m2_day,
                    "reservation": source.code if source else "",
                },
            )
    except IntegrityError as error:
        raise ValidationError(conflict_message()) from error
    return lease


def lease_release(*, actor: Any, lease: Lease, free_from: dt.date | None = None) -> Lease:
    """The tenant leaves: the unit is free from ``free_from`` (default today), so the lease's last
    day becomes the day before and the unit may be let again from ``free_from``."""
    if not perms.can_handle_hold(actor, lease):
        raise deny(_("只有运营人员或该园区的运营方可以办理退租。"))
    free_from = free_from or today()
    with transaction.atomic():
        locked_unit = _lock(lease.unit)
        locked = Lease.objects.select_for_update().get(pk=lease.pk)
        if locked.status != LeaseStatus.ACTIVE:
            raise ValidationError(_("该租约已退租。"))
        last_day = free_from - dt.timedelta(days=1)
        if last_day < locked.start_date:
            raise ValidationError({"free_from": _("腾退日须晚于起租日 %(d)s。") % {"d": locked.start_date}})
        if last_day > locked.end_date:
            raise ValidationError(
                {
                    "free_from": _("腾退日不能晚于到期日的次日（%(d)s）。")
                    % {"d": locked.end_date + dt.timedelta(days=1)}
                }
            )
        locked.end_date = last_day
        locked.status = LeaseStatus.ENDED
        locked.save(update_fields=["end_date", "status", "updated_at"])
        locked_unit.vacant_since = None  # recomputed: the day after the last holding lease
        refresh_unit_status(locked_unit)
        audit.record(
            "spaces.lease.release",
            actor=actor,
            obj=locked,
            detail={
                "unit": locked_unit.code,
                "free_from": free_from.isoformat(),
                "contract_end_date": locked.contract_end_date.isoformat(),
            },
        )
    return locked


def units_refresh_status(on: dt.date | None = None) -> int:
    """Daily: bring every unit's cached status up to date (leases that ended, reservations that
    lapsed, leases that started). Idempotent. Returns how many units changed."""
    changed = 0
    for pk in SpaceUnit.objects.values_list("pk", flat=True).order_by("pk"):
        with transaction.atomic():
            unit = SpaceUnit.objects.select_for_update().get(pk=pk)
            before = (unit.status, unit.vacant_since)
            refresh_unit_status(unit, on)
            if (unit.status, unit.vacant_since) != before:
                changed += 1
    return changed
