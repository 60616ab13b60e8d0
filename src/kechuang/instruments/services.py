"""Every write of the shared-instrument module: ``<entity>_<verb>(*, actor, ...)``, keyword-only, atomic,
permission checked, audited (docs/adr/0024-instruments.md).

Bookings lock the instrument row (``select_for_update``) before looking for an overlapping booking or a
maintenance block, so two racing requests for one slot give one success and one clean "该时段已被预约";
the database's own exclusion constraint and triggers (migration 0002) are the last line and are turned
into the same message.

Payment by innovation voucher goes through a voucher service order (``kechuang.vouchers``): the voucher's
share of the booked time is held when the booking is made, released when it is cancelled or rejected,
and captured at the actual charge (rate × actual minutes, or one slot for a no-show or a late
cancellation) when the booker confirms the charge; the owner then claims through the monthly settlement.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Required, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import Actor, deny, require, user_of
from kechuang.core.money import checked_fen
from kechuang.core.text import clean_text
from kechuang.core.uploads import check_upload
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Building, Organization
from kechuang.vouchers.choices import OrderStatus

from . import matching, payment
from . import permissions as perms
from .choices import (
    HOLDING_BOOKING,
    OPEN_BOOKING,
    ApprovalRule,
    BookingStatus,
    InstrumentStatus,
    InvoiceStatus,
    RateUnit,
    SampleStatus,
    ServiceMode,
    UserClass,
)
from .models import (
    Booking,
    BookingRating,
    Instrument,
    InstrumentCategory,
    InstrumentPhoto,
    Invoice,
    MaintenanceBlock,
    Qualification,
    Rate,
    SampleRequest,
    new_code,
)

MAX_BOOKING_DAYS_AHEAD = 90
MAX_BOOKING_MINUTES = 24 * 60
CHECK_IN_EARLY_MINUTES = 30
REPORT_KINDS = ("pdf", "ofd", "png", "jpeg", "xlsx", "docx")


def conflict_message() -> str:
    return _("该时段已被预约")


def maintenance_message() -> str:
    return _("该时段仪器维护中，不能预约")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _lock(instrument: Instrument) -> Instrument:
    return Instrument.objects.select_for_update().get(pk=instrument.pk)


def user_class_for(instrument: Instrument, organization: Organization) -> str:
    """The owner's own staff pay the internal rate, the district's enterprises (the directory's
    enterprises) the district rate, any other organization the outside rate."""
    if organization.pk == instrument.owner_id:
        return UserClass.OWNER
    if organization.kind == OrganizationKind.ENTERPRISE:
        return UserClass.DISTRICT
    return UserClass.OUTSIDE


def rate_for(instrument: Instrument, user_class: str, unit: str) -> int | None:
    return (
        Rate.objects.filter(instrument=instrument, user_class=user_class, unit=unit)
        .values_list("price_fen", flat=True)
        .first()
    )


def charge_for_minutes(rate_fen_per_hour: int, minutes: int) -> int:
    """Rate × actual time, rounded up to the fen."""
    return math.ceil(rate_fen_per_hour * minutes / 60)


# --- instruments -------------------------------------------------------------------------------------


def instrument_register(
    *,
    actor: Actor,
    owner: Organization,
    rates: dict[tuple[str, str], int] | None = None,
    **data: Unpack[InstrumentData],
) -> Instrument:
    """Register an instrument; ``rates`` maps (user class, unit) to a price in fen (its rate card)."""
    probe = Instrument(owner=owner)
    require(
        perms.is_operator_user(actor) or perms.can_manage_instrument(actor, probe),
        _("只有运营人员或仪器所属单位的人员可以登记仪器。"),
    )
    if owner.kind not in (OrganizationKind.INSTITUTE, OrganizationKind.PROVIDER):
        raise ValidationError({"owner": _("共享仪器须属于科研院所或服务机构。")})
    fields = _checked_fields(data)
    card = _checked_rates(rates)
    with transaction.atomic():
        instrument = Instrument.objects.create(
            code=new_code("YQ"), owner=owner, created_by=user_of(actor), **fields
        )
        for (user_class, unit), price in card.items():
            Rate.objects.create(instrument=instrument, user_class=user_class, unit=unit, price_fen=price)
        matching.changed(instrument)
        audit.record(
            "instruments.instrument.register",
            actor=actor,
            obj=instrument,
            detail={"owner": owner.pk, "category": fields["category"].code},
        )
    return instrument


class InstrumentData(TypedDict, total=False):
    """The fields of an instrument a caller sets (registration and edit); the rest keep their defaults."""

    name: Required[str]
    category: Required[InstrumentCategory]
    building: Building | None
    room: str
    model_number: str
    maker: str
    original_value_fen: int
    purchase_year: int | None
    description: str
    service_mode: str
    approval_rule: str
    slot_minutes: int
    open_from: dt.time
    open_until: dt.time
    open_weekdays: str
    min_notice_hours: int
    free_cancel_hours: int


INSTRUMENT_DEFAULTS: dict[str, Any] = {
    "building": None,
    "room": "",
    "model_number": "",
    "maker": "",
    "original_value_fen": 0,
    "purchase_year": None,
    "description": "",
    "service_mode": ServiceMode.BOTH,
    "approval_rule": ApprovalRule.OWNER,
    "slot_minutes": 60,
    "open_from": dt.time(8, 30),
    "open_until": dt.time(17, 30),
    "open_weekdays": "12345",
    "min_notice_hours": 24,
    "free_cancel_hours": 24,
}


def _checked_fields(data: InstrumentData) -> dict[str, Any]:
    """An instrument's fields checked all at once (every problem named, on its field) and cleaned."""
    values: dict[str, Any] = {**INSTRUMENT_DEFAULTS, **data}
    name, category, service_mode, approval_rule = (
        values["name"],
        values["category"],
        values["service_mode"],
        values["approval_rule"],
    )
    slot_minutes, open_from, open_until, open_weekdays = (
        values["slot_minutes"],
        values["open_from"],
        values["open_until"],
        values["open_weekdays"],
    )
    min_notice_hours, free_cancel_hours, purchase_year = (
        values["min_notice_hours"],
        values["free_cancel_hours"],
        values["purchase_year"],
    )
    building, room, model_number, maker, original_value_fen, description = (
        values["building"],
        values["room"],
        values["model_number"],
        values["maker"],
        values["original_value_fen"],
        values["description"],
    )
    errors: dict[str, str] = {}
    name = clean_text(name, 120)
    if not name:
        errors["name"] = _("请填写仪器名称。")
    if not isinstance(category, InstrumentCategory):
        errors["category"] = _("请选择分类。")
    if service_mode not in ServiceMode.values:
        errors["service_mode"] = _("服务方式无效。")
    if approval_rule not in ApprovalRule.values:
        errors["approval_rule"] = _("审批规则无效。")
    if not 15 <= slot_minutes <= 1440:
        errors["slot_minutes"] = _("时段长度应在 15 到 1440 分钟之间。")
    if open_until <= open_from:
        errors["open_until"] = _("开放结束时间须晚于开始时间。")
    weekdays = "".join(sorted({c for c in open_weekdays if c in "1234567"}))
    if not weekdays:
        errors["open_weekdays"] = _("请至少选择一个开放日。")
    if not 0 <= min_notice_hours <= 24 * 30:
        errors["min_notice_hours"] = _("最少提前预约时间应在 0 到 720 小时之间。")
    if not 0 <= free_cancel_hours <= 24 * 30:
        errors["free_cancel_hours"] = _("免费取消时限应在 0 到 720 小时之间。")
    if purchase_year is not None and not 1950 <= purchase_year <= timezone.localdate().year:
        errors["purchase_year"] = _("购置年份应在 1950 年到今年之间。")
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "category": category,
        "building": building,
        "room": clean_text(room, 40),
        "model_number": clean_text(model_number, 80),
        "maker": clean_text(maker, 120),
        "original_value_fen": checked_fen(original_value_fen, "original_value_fen", allow_zero=True),
        "purchase_year": purchase_year,
        "description": clean_text(description, 5000),
        "service_mode": service_mode,
        "approval_rule": approval_rule,
        "slot_minutes": slot_minutes,
        "open_from": open_from,
        "open_until": open_until,
        "open_weekdays": weekdays,
        "min_notice_hours": min_notice_hours,
        "free_cancel_hours": free_cancel_hours,
    }


def _checked_rates(rates: dict[tuple[str, str], int] | None) -> dict[tuple[str, str], int]:
    card: dict[tuple[str, str], int] = {}
    for (user_class, unit), price in (rates or {}).items():
        if user_class not in UserClass.values or unit not in RateUnit.values:
            raise ValidationError({"rates": _("收费标准的用户类别或计价单位无效。")})
        card[(user_class, unit)] = checked_fen(price, "rates", allow_zero=True)
    return card


def instrument_update(
    *,
    actor: Actor,
    instrument: Instrument,
    rates: dict[tuple[str, str], int] | None = None,
    **data: Unpack[InstrumentData],
) -> Instrument:
    """Edit a registered instrument, its rate card included (a class without a price is no longer served):
    every field checked before anything is written, then one transaction, so a refusal (of a field, or of
    the voucher catalogue that follows the district rates) leaves the instrument as it was. The owner does
    not change here."""
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位或运营人员可以修改仪器。"))
    fields = _checked_fields(data)
    card = _checked_rates(rates)
    with transaction.atomic():
        locked = _lock(instrument)
        if (
            fields["name"] != locked.name
            and Instrument.objects.filter(owner_id=locked.owner_id, name=fields["name"])
            .exclude(pk=locked.pk)
            .exists()
        ):
            raise ValidationError({"name": _("本单位已有同名仪器。")})
        changed = [key for key, value in fields.items() if getattr(locked, key) != value]
        for key in changed:
            setattr(locked, key, fields[key])
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        before = {(r.user_class, r.unit): r.price_fen for r in locked.rates.all()}
        for line, price in card.items():
            if before.get(line) != price:
                Rate.objects.update_or_create(
                    instrument=locked, user_class=line[0], unit=line[1], defaults={"price_fen": price}
                )
                changed.append(f"rate:{line[0]}:{line[1]}")
        for line in set(before) - set(card):
            Rate.objects.filter(instrument=locked, user_class=line[0], unit=line[1]).delete()
            changed.append(f"rate:{line[0]}:{line[1]}")
        if locked.voucher_service_id or locked.voucher_sample_service_id:
            payment.enable_vouchers(instrument=locked)  # the catalogue entries follow the rates
        matching.changed(locked)
        audit.record("instruments.instrument.update", actor=actor, obj=locked, detail={"changed": changed})
    return locked


def instrument_set_status(*, actor: Actor, instrument: Instrument, status: str) -> Instrument:
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位或运营人员可以修改仪器。"))
    if status not in InstrumentStatus.values:
        raise ValidationError({"status": _("状态无效。")})
    with transaction.atomic():
        locked = _lock(instrument)
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
        matching.changed(locked)
        audit.record(
            "instruments.instrument.status", actor=actor, obj=locked, detail={"from": before, "to": status}
        )
    return locked


def rate_set(*, actor: Actor, instrument: Instrument, user_class: str, unit: str, price_fen: int) -> Rate:
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位或运营人员可以设置收费标准。"))
    if user_class not in UserClass.values:
        raise ValidationError({"user_class": _("用户类别无效。")})
    if unit not in RateUnit.values:
        raise ValidationError({"unit": _("计价单位无效。")})
    price = checked_fen(price_fen, "price_fen", allow_zero=True)
    with transaction.atomic():
        rate, _created = Rate.objects.update_or_create(
            instrument=instrument, user_class=user_class, unit=unit, defaults={"price_fen": price}
        )
        if (instrument.voucher_service_id or instrument.voucher_sample_service_id) and (
            user_class == UserClass.DISTRICT and price > 0
        ):
            payment.enable_vouchers(instrument=instrument)  # the catalogue entries follow the rates
        audit.record(
            "instruments.rate.set",
            actor=actor,
            obj=instrument,
            detail={"user_class": user_class, "unit": unit, "price_fen": price},
        )
    return rate


def instrument_enable_vouchers(*, actor: Actor, instrument: Instrument) -> Instrument:
    """Accept innovation vouchers for the instrument's machine time (docs/adr/0024-instruments.md)."""
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位或运营人员可以修改仪器。"))
    with transaction.atomic():
        locked = _lock(instrument)
        payment.enable_vouchers(instrument=locked)
        audit.record("instruments.instrument.enable_vouchers", actor=actor, obj=locked)
    return locked


MAX_PHOTOS = 6


def instrument_photo_add(*, actor: Actor, instrument: Instrument, image: Any, name: str) -> InstrumentPhoto:
    """Add a photo (PNG or JPEG, checked by content, at most 5 MB; at most six per instrument)."""
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位或运营人员可以上传照片。"))
    if image is None:
        raise ValidationError({"image": _("请选择照片。")})
    checked = check_upload(
        image, name=name, allowed=("png", "jpeg"), field="image", max_bytes=5 * 1024 * 1024
    )
    if hasattr(image, "seek"):
        image.seek(0)
    data = image if isinstance(image, bytes) else image.read()
    with transaction.atomic():
        locked = _lock(instrument)
        if InstrumentPhoto.objects.filter(instrument=locked).count() >= MAX_PHOTOS:
            raise ValidationError({"image": _("每台仪器最多 6 张照片。")})
        photo = InstrumentPhoto(
            instrument=locked,
            name=checked.name,
            content_type=checked.content_type,
            sha256=checked.sha256,
            created_by=user_of(actor),
        )
        photo.image.save(checked.name, ContentFile(data), save=False)
        photo.save()
        audit.record(
            "instruments.photo.add",
            actor=actor,
            obj=locked,
            detail={"sha256": checked.sha256, "size": checked.size},
        )
    return photo


def qualification_grant(
    *,
    actor: Actor,
    instrument: Instrument,
    user: Any,
    trained_on: dt.date,
    expires_on: dt.date | None = None,
) -> Qualification:
    """The owner records that ``user`` was trained on the instrument (the actor is the trainer)."""
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位可以登记上机培训。"))
    if expires_on is not None and expires_on < trained_on:
        raise ValidationError({"expires_on": _("有效期不能早于培训日期。")})
    if trained_on > timezone.localdate():
        raise ValidationError({"trained_on": _("培训日期不能晚于今天。")})
    with transaction.atomic():
        qualification, _created = Qualification.objects.update_or_create(
            user=user,
            instrument=instrument,
            defaults={"trained_on": trained_on, "expires_on": expires_on, "trainer": user_of(actor)},
        )
        audit.record(
            "instruments.qualification.grant",
            actor=actor,
            obj=instrument,
            detail={
                "user": user.pk,
                "trained_on": trained_on.isoformat(),
                "expires_on": str(expires_on or ""),
            },
        )
    return qualification


def qualification_problem(instrument: Instrument, user: Any, on: dt.date) -> str:
    """Why ``user`` may not book ``instrument`` on ``on`` under a "trained users only" rule ("" if it may)."""
    qualification = Qualification.objects.filter(instrument=instrument, user=user).first()
    if qualification is None:
        return _("该仪器仅限培训合格人员预约，您尚未取得该仪器的上机资格，请先联系管理方参加培训。")
    if qualification.expires_on is not None and qualification.expires_on < on:
        return _("该仪器仅限培训合格人员预约，您的上机资格已于 %(d)s 过期，请重新参加培训。") % {
            "d": qualification.expires_on.isoformat()
        }
    return ""


def maintenance_block(
    *, actor: Actor, instrument: Instrument, start_at: dt.datetime, end_at: dt.datetime, reason: str = ""
) -> MaintenanceBlock:
    require(perms.can_manage_instrument(actor, instrument), _("只有仪器所属单位可以安排维护时段。"))
    if end_at <= start_at:
        raise ValidationError({"end_at": _("结束时间须晚于开始时间。")})
    try:
        with transaction.atomic():
            locked = _lock(instrument)
            if Booking.objects.filter(
                instrument=locked, status__in=HOLDING_BOOKING, start_at__lt=end_at, end_at__gt=start_at
            ).exists():
                raise ValidationError(_("该时段已有预约，请先与预约人协商取消。"))
            block = MaintenanceBlock.objects.create(
                instrument=locked,
                start_at=start_at,
                end_at=end_at,
                reason=clean_text(reason, 200),
                created_by=user_of(actor),
            )
            audit.record(
                "instruments.maintenance.block",
                actor=actor,
                obj=locked,
                detail={"start_at": start_at.isoformat(), "end_at": end_at.isoformat()},
            )
    except IntegrityError as error:
        raise ValidationError(_("该时段已有预约，请先与预约人协商取消。")) from error
    return block


# --- bookings ---------------------------------------------------------------------------------------


def _check_period(
    instrument: Instrument, start_at: dt.datetime, end_at: dt.datetime, now: dt.datetime
) -> None:
    if start_at is None or end_at is None:
        raise ValidationError({"start_at": _("请选择预约时段。")})
    if end_at <= start_at:
        raise ValidationError({"end_at": _("结束时间须晚于开始时间。")})
    minutes = int((end_at - start_at).total_seconds() // 60)
    if (end_at - start_at).total_seconds() % 60 or minutes % instrument.slot_minutes:
        raise ValidationError(
            {"end_at": _("预约时长须为时段长度（%(m)s 分钟）的整数倍。") % {"m": instrument.slot_minutes}}
        )
    if minutes > MAX_BOOKING_MINUTES:
        raise ValidationError({"end_at": _("单次预约不能超过 24 小时。")})
    local_start = timezone.localtime(start_at)
    local_end = timezone.localtime(end_at)
    if local_start.isoweekday() not in instrument.weekdays() or local_end.date() != local_start.date():
        raise ValidationError({"start_at": _("所选日期不在该仪器的开放日内。")})
    if local_start.time() < instrument.open_from or local_end.time() > instrument.open_until:
        raise ValidationError(
            {
                "start_at": _("所选时段不在开放时间（%(a)s–%(b)s）内。")
                % {"a": instrument.open_from.strftime("%H:%M"), "b": instrument.open_until.strftime("%H:%M")}
            }
        )
    if start_at <= now:
        raise ValidationError({"start_at": _("所选开始时间已过，请选择之后的时段。")})
    if start_at < now + dt.timedelta(hours=instrument.min_notice_hours):
        raise ValidationError(
            {"start_at": _("该仪器须至少提前 %(h)s 小时预约。") % {"h": instrument.min_notice_hours}}
        )
    if start_at > now + dt.timedelta(days=MAX_BOOKING_DAYS_AHEAD):
        raise ValidationError({"start_at": _("只能预约 90 天以内的时段。")})


def booking_create(
    *,
    actor: Actor,
    instrument: Instrument,
    organization: Organization,
    start_at: dt.datetime,
    end_at: dt.datetime,
    purpose: str = "",
    voucher: Any = None,
    now: dt.datetime | None = None,
) -> Booking:
    """Book machine time for ``organization`` (the actor's own). Confirmed at once when the rule is
    automatic or the actor is trained on a "trained users only" instrument; otherwise it waits for the
    owner. With ``voucher`` (a ``vouchers.Voucher`` of the organization) the voucher's share of the booked
    time is held until the booking ends."""
    require(perms.can_book(actor), _("请以所在单位成员身份登录后预约。"))
    if organization.pk not in perms.member_organization_ids(actor):
        raise deny(_("只能为本单位预约。"))
    now = _now(now)
    if instrument.status != InstrumentStatus.IN_SERVICE:
        raise ValidationError(_("该仪器当前不在用，不能预约。"))
    if not instrument.self_operated:
        raise ValidationError(_("该仪器只接受委托测试，不提供自主上机。"))
    start_at = start_at.replace(second=0, microsecond=0) if start_at else start_at
    end_at = end_at.replace(second=0, microsecond=0) if end_at else end_at
    _check_period(instrument, start_at, end_at, now)
    if instrument.approval_rule == ApprovalRule.TRAINED:
        problem = qualification_problem(instrument, actor, timezone.localtime(start_at).date())
        if problem:
            raise ValidationError({"instrument": problem}, code="not_qualified")
    user_class = user_class_for(instrument, organization)
    rate = rate_for(instrument, user_class, RateUnit.HOUR)
    if rate is None:
        raise ValidationError(_("该仪器未向%(c)s开放自主上机。") % {"c": UserClass(user_class).label})
    status = (
        BookingStatus.REQUESTED if instrument.approval_rule == ApprovalRule.OWNER else BookingStatus.CONFIRMED
    )
    try:
        with transaction.atomic():
            locked = _lock(instrument)
            holding = Booking.objects.filter(
                instrument=locked, status__in=HOLDING_BOOKING, start_at__lt=end_at, end_at__gt=start_at
            )
            if holding.exists():
                raise ValidationError(conflict_message(), code="conflict")
            if MaintenanceBlock.objects.filter(
                instrument=locked, start_at__lt=end_at, end_at__gt=start_at
            ).exists():
                raise ValidationError(maintenance_message(), code="maintenance")
            booking = Booking.objects.create(
                code=new_code("YY"),
                instrument=locked,
                organization=organization,
                user=user_of(actor),
                start_at=start_at,
                end_at=end_at,
                purpose=clean_text(purpose, 300),
                status=status,
                user_class=user_class,
                rate_fen=rate,
                created_by=user_of(actor),
            )
            if status == BookingStatus.CONFIRMED:
                booking.decided_at = now
                booking.save(update_fields=["decided_at"])
            if voucher is not None:
                booking.voucher_order = payment.hold_for_booking(
                    actor=actor, booking=booking, voucher=voucher
                )
                booking.save(update_fields=["voucher_order"])
            audit.record(
                "instruments.booking.create",
                actor=actor,
                obj=booking,
                detail={
                    "instrument": locked.code,
                    "organization": organization.pk,
                    "period": [start_at.isoformat(), end_at.isoformat()],
                    "status": status,
                    "voucher_order": booking.voucher_order.code if booking.voucher_order else "",
                },
            )
    except IntegrityError as error:  # the database's refusal (migration 0002)
        if "maintenance" in str(error):
            raise ValidationError(maintenance_message(), code="maintenance") from error
        raise ValidationError(conflict_message(), code="conflict") from error
    return booking


def _locked_booking(booking: Booking) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("instrument", "voucher_order")
        .get(pk=booking.pk)
    )


def _wrong_status(booking: Booking) -> ValidationError:
    return ValidationError(
        _("预约当前为“%(s)s”，不能执行此操作。") % {"s": booking.get_status_display()}, code="status"
    )


def booking_approve(*, actor: Actor, booking: Booking, note: str = "") -> Booking:
    require(perms.can_handle_booking(actor, booking), _("只有仪器所属单位可以审批预约。"))
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status != BookingStatus.REQUESTED:
            raise _wrong_status(locked)
        locked.status = BookingStatus.CONFIRMED
        locked.decided_by, locked.decided_at = user_of(actor), timezone.now()
        locked.decision_note = clean_text(note, 300)
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        audit.record("instruments.booking.approve", actor=actor, obj=locked)
    return locked


def booking_reject(*, actor: Actor, booking: Booking, note: str) -> Booking:
    require(perms.can_handle_booking(actor, booking), _("只有仪器所属单位可以审批预约。"))
    note = clean_text(note, 300)
    if not note:
        raise ValidationError({"note": _("请填写不通过的原因。")})
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status != BookingStatus.REQUESTED:
            raise _wrong_status(locked)
        locked.status = BookingStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = user_of(actor), timezone.now(), note
        locked.charge_fen = 0
        locked.save(
            update_fields=["status", "decided_by", "decided_at", "decision_note", "charge_fen", "updated_at"]
        )
        payment.release(actor=actor, booking=locked, reason=note)
        audit.record("instruments.booking.reject", actor=actor, obj=locked, detail={"note": note})
    return locked


def booking_cancel(
    *, actor: Actor, booking: Booking, reason: str = "", now: dt.datetime | None = None
) -> Booking:
    """Cancel a booking that has not started. Free until ``free_cancel_hours`` before its start; later,
    a confirmed booking is charged one slot (逾期取消), captured from the voucher's hold if it has one."""
    require(perms.can_cancel_booking(actor, booking), _("您无权取消这条预约。"))
    now = _now(now)
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status not in OPEN_BOOKING:
            raise _wrong_status(locked)
        if now >= locked.start_at:
            raise ValidationError(_("预约时段已开始，不能取消。"))
        instrument = locked.instrument
        late = (
            locked.status == BookingStatus.CONFIRMED
            and now > locked.start_at - dt.timedelta(hours=instrument.free_cancel_hours)
            and locked.organization_id in perms.member_organization_ids(actor)
        )
        locked.status = BookingStatus.CANCELLED
        locked.late_cancel = late
        locked.charge_fen = charge_for_minutes(locked.rate_fen, instrument.slot_minutes) if late else 0
        locked.decision_note = clean_text(reason, 300) or locked.decision_note
        locked.save(update_fields=["status", "late_cancel", "charge_fen", "decision_note", "updated_at"])
        if late:
            payment.record_delivery(booking=locked)
        else:
            payment.release(actor=actor, booking=locked, reason=_("预约取消"))
        audit.record(
            "instruments.booking.cancel",
            actor=actor,
            obj=locked,
            detail={"late": late, "charge_fen": locked.charge_fen},
        )
    return locked


def booking_check_in(*, actor: Actor, booking: Booking, now: dt.datetime | None = None) -> Booking:
    require(perms.can_handle_booking(actor, booking), _("只有仪器所属单位可以办理上机。"))
    now = _now(now)
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status != BookingStatus.CONFIRMED:
            raise _wrong_status(locked)
        if now < locked.start_at - dt.timedelta(minutes=CHECK_IN_EARLY_MINUTES):
            raise ValidationError(_("最早可在预约开始前 30 分钟上机。"))
        if now >= locked.end_at:
            raise ValidationError(_("预约时段已结束，请登记为未到场。"))
        locked.status, locked.checked_in_at = BookingStatus.CHECKED_IN, now
        locked.save(update_fields=["status", "checked_in_at", "updated_at"])
        audit.record("instruments.booking.check_in", actor=actor, obj=locked)
    return locked


def booking_check_out(
    *, actor: Actor, booking: Booking, actual_minutes: int | None = None, now: dt.datetime | None = None
) -> Booking:
    """Record the end of use: the actual minutes (from check-in to now, rounded up, unless the owner gives
    them) and the charge, rate × actual time."""
    require(perms.can_handle_booking(actor, booking), _("只有仪器所属单位可以办理下机。"))
    now = _now(now)
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status != BookingStatus.CHECKED_IN or locked.checked_in_at is None:
            raise _wrong_status(locked)
        if actual_minutes is None:
            actual_minutes = max(1, math.ceil((now - locked.checked_in_at).total_seconds() / 60))
        if (
            isinstance(actual_minutes, bool)
            or not isinstance(actual_minutes, int)
            or not (1 <= actual_minutes <= MAX_BOOKING_MINUTES)
        ):
            raise ValidationError({"actual_minutes": _("实际机时应在 1 到 1440 分钟之间。")})
        locked.status = BookingStatus.COMPLETED
        locked.checked_out_at = now
        locked.actual_minutes = actual_minutes
        locked.charge_fen = charge_for_minutes(locked.rate_fen, actual_minutes)
        locked.save(update_fields=["status", "checked_out_at", "actual_minutes", "charge_fen", "updated_at"])
        payment.record_delivery(booking=locked)
        audit.record(
            "instruments.booking.check_out",
            actor=actor,
            obj=locked,
            detail={"actual_minutes": actual_minutes, "charge_fen": locked.charge_fen},
        )
    return locked


def booking_no_show(*, actor: Actor, booking: Booking, now: dt.datetime | None = None) -> Booking:
    """The booker did not come: counted as a no-show and charged one slot."""
    require(perms.can_handle_booking(actor, booking), _("只有仪器所属单位可以登记未到场。"))
    now = _now(now)
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status != BookingStatus.CONFIRMED:
            raise _wrong_status(locked)
        if now < locked.start_at:
            raise ValidationError(_("预约时段尚未开始，不能登记未到场。"))
        locked.status = BookingStatus.NO_SHOW
        locked.charge_fen = charge_for_minutes(locked.rate_fen, locked.instrument.slot_minutes)
        locked.save(update_fields=["status", "charge_fen", "updated_at"])
        payment.record_delivery(booking=locked)
        audit.record(
            "instruments.booking.no_show", actor=actor, obj=locked, detail={"charge_fen": locked.charge_fen}
        )
    return locked


def booking_confirm_charge(*, actor: Actor, booking: Booking) -> Booking:
    """The booker confirms the charge of a finished booking (completed, no-show or cancelled late); a
    voucher's hold is captured at the voucher's share of the charge and the rest released."""
    require(perms.member_of_requester(actor, booking), _("只有预约单位可以确认费用。"))
    with transaction.atomic():
        locked = _locked_booking(booking)
        finished = locked.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW) or (
            locked.status == BookingStatus.CANCELLED and locked.late_cancel
        )
        if not finished or locked.charge_confirmed_at is not None:
            raise ValidationError(_("该预约没有待确认的费用。"))
        locked.charge_confirmed_at = timezone.now()
        locked.save(update_fields=["charge_confirmed_at", "updated_at"])
        payment.capture(actor=actor, booking=locked)
        audit.record(
            "instruments.booking.confirm_charge",
            actor=actor,
            obj=locked,
            detail={"charge_fen": locked.charge_fen},
        )
    return locked


def booking_rate(*, actor: Actor, booking: Booking, score: int, comment: str = "") -> BookingRating:
    """The booker rates a completed booking (1–5), once."""
    require(perms.member_of_requester(actor, booking), _("只有预约单位可以评价。"))
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": _("评分为 1 到 5 分。")})
    with transaction.atomic():
        locked = _locked_booking(booking)
        if locked.status != BookingStatus.COMPLETED:
            raise ValidationError(_("上机完成后才能评价。"))
        if BookingRating.objects.filter(booking=locked).exists():
            raise ValidationError(_("该预约已经评价过。"))
        rating = BookingRating.objects.create(
            booking=locked,
            instrument_id=locked.instrument_id,
            score=score,
            comment=clean_text(comment, 300),
            created_by=user_of(actor),
        )
        audit.record("instruments.booking.rate", actor=actor, obj=locked, detail={"score": score})
    return rating


# --- sample testing ---------------------------------------------------------------------------------


def sample_request_submit(
    *,
    actor: Actor,
    instrument: Instrument,
    organization: Organization,
    sample_count: int,
    sample_description: str,
    requirements: str = "",
    voucher: Any = None,
) -> SampleRequest:
    """A sample-testing request. With ``voucher`` (a ``vouchers.Voucher`` of the organization) the
    voucher's share of samples × rate is held when the owner accepts, captured when the requester confirms
    the report, and released on rejection or cancellation (docs/adr/0024-instruments.md)."""
    require(perms.can_book(actor), _("请以所在单位成员身份登录后提交委托。"))
    if organization.pk not in perms.member_organization_ids(actor):
        raise deny(_("只能为本单位提交委托。"))
    if instrument.status != InstrumentStatus.IN_SERVICE:
        raise ValidationError(_("该仪器当前不在用，不能委托测试。"))
    if not instrument.sample_testing:
        raise ValidationError(_("该仪器不接受委托测试。"))
    if isinstance(sample_count, bool) or not isinstance(sample_count, int) or not 1 <= sample_count <= 1000:
        raise ValidationError({"sample_count": _("样品数量应在 1 到 1000 之间。")})
    description = clean_text(sample_description, 500)
    if not description:
        raise ValidationError({"sample_description": _("请说明样品。")})
    user_class = user_class_for(instrument, organization)
    rate = rate_for(instrument, user_class, RateUnit.SAMPLE)
    if rate is None:
        raise ValidationError(_("该仪器未向%(c)s开放委托测试。") % {"c": UserClass(user_class).label})
    with transaction.atomic():
        request = SampleRequest.objects.create(
            code=new_code("WT"),
            instrument=instrument,
            organization=organization,
            sample_count=sample_count,
            sample_description=description,
            requirements=clean_text(requirements, 5000),
            user_class=user_class,
            rate_fen=rate,
            submitted_by=user_of(actor),
        )
        if voucher is not None:
            request.voucher = payment.check_sample_voucher(sample_request=request, voucher=voucher)
            request.save(update_fields=["voucher"])
        audit.record(
            "instruments.sample.submit",
            actor=actor,
            obj=request,
            detail={
                "instrument": instrument.code,
                "samples": sample_count,
                "voucher": request.voucher.code if request.voucher else "",
            },
        )
    return request


def _locked_sample(sample_request: SampleRequest) -> SampleRequest:
    return SampleRequest.objects.select_for_update().get(pk=sample_request.pk)


def _sample_wrong_status(request: SampleRequest) -> ValidationError:
    return ValidationError(
        _("委托当前为“%(s)s”，不能执行此操作。") % {"s": request.get_status_display()}, code="status"
    )


def _sample_move(
    actor: Actor,
    sample_request: SampleRequest,
    source: str | tuple[str, ...],
    target: str,
    action: str,
    note: str = "",
) -> SampleRequest:
    require(perms.can_handle_booking(actor, sample_request), _("只有仪器所属单位可以处理委托。"))
    sources = (source,) if isinstance(source, str) else source
    with transaction.atomic():
        locked = _locked_sample(sample_request)
        if locked.status not in sources:
            raise _sample_wrong_status(locked)
        locked.status = target
        fields = ["status", "updated_at"]
        if target == SampleStatus.ACCEPTED:
            locked.accepted_by, locked.accepted_at = user_of(actor), timezone.now()
            fields += ["accepted_by", "accepted_at"]
            if locked.voucher_id is not None:  # the voucher's share is held now
                locked.voucher_order = payment.hold_for_sample(sample_request=locked)
                fields.append("voucher_order")
        if target == SampleStatus.REJECTED:
            payment.release(actor=actor, booking=locked, reason=note or _("不予受理"))
        if target == SampleStatus.RECEIVED:
            locked.received_at = timezone.now()
            fields.append("received_at")
        if note:
            locked.note = note
            fields.append("note")
        locked.save(update_fields=fields)
        audit.record(f"instruments.sample.{action}", actor=actor, obj=locked)
    return locked


def sample_request_accept(*, actor: Actor, sample_request: SampleRequest) -> SampleRequest:
    return _sample_move(actor, sample_request, SampleStatus.SUBMITTED, SampleStatus.ACCEPTED, "accept")


def sample_request_reject(*, actor: Actor, sample_request: SampleRequest, note: str) -> SampleRequest:
    note = clean_text(note, 300)
    if not note:
        raise ValidationError({"note": _("请填写不予受理的原因。")})
    # before the report: a sample found unsuitable after acceptance or receipt is rejected too, and a
    # voucher hold released
    sources = (SampleStatus.SUBMITTED, SampleStatus.ACCEPTED, SampleStatus.RECEIVED)
    return _sample_move(actor, sample_request, sources, SampleStatus.REJECTED, "reject", note)


def sample_request_receive(*, actor: Actor, sample_request: SampleRequest) -> SampleRequest:
    return _sample_move(actor, sample_request, SampleStatus.ACCEPTED, SampleStatus.RECEIVED, "receive")


def sample_request_report(
    *, actor: Actor, sample_request: SampleRequest, report: Any, report_name: str, note: str = ""
) -> SampleRequest:
    """The owner uploads the test report (checked by content) and the charge is fixed: samples × rate."""
    require(perms.can_handle_booking(actor, sample_request), _("只有仪器所属单位可以上传报告。"))
    if report is None:
        raise ValidationError({"report": _("请上传测试报告。")})
    checked = check_upload(
        report, name=report_name, allowed=REPORT_KINDS, field="report", max_bytes=20 * 1024 * 1024
    )
    if hasattr(report, "seek"):
        report.seek(0)
    data = report if isinstance(report, bytes) else report.read()
    with transaction.atomic():
        locked = _locked_sample(sample_request)
        if locked.status != SampleStatus.RECEIVED:
            raise _sample_wrong_status(locked)
        locked.report.save(checked.name, ContentFile(data), save=False)
        locked.report_name, locked.report_content_type = checked.name, checked.content_type
        locked.status = SampleStatus.REPORTED
        locked.reported_by, locked.reported_at = user_of(actor), timezone.now()
        locked.charge_fen = locked.rate_fen * locked.sample_count
        locked.note = clean_text(note, 300)
        locked.save()
        payment.record_delivery(booking=locked)
        audit.record(
            "instruments.sample.report",
            actor=actor,
            obj=locked,
            detail={"sha256": checked.sha256, "charge_fen": locked.charge_fen},
        )
    return locked


def sample_request_confirm(*, actor: Actor, sample_request: SampleRequest) -> SampleRequest:
    require(perms.can_confirm_sample(actor, sample_request), _("只有委托单位可以确认报告。"))
    with transaction.atomic():
        locked = _locked_sample(sample_request)
        if locked.status != SampleStatus.REPORTED:
            raise _sample_wrong_status(locked)
        locked.status, locked.confirmed_at = SampleStatus.CONFIRMED, timezone.now()
        locked.save(update_fields=["status", "confirmed_at", "updated_at"])
        payment.capture(actor=actor, booking=locked)
        audit.record(
            "instruments.sample.confirm", actor=actor, obj=locked, detail={"charge_fen": locked.charge_fen}
        )
    return locked


def sample_request_cancel(*, actor: Actor, sample_request: SampleRequest) -> SampleRequest:
    require(perms.can_confirm_sample(actor, sample_request), _("只有委托单位可以取消委托。"))
    with transaction.atomic():
        locked = _locked_sample(sample_request)
        if locked.status not in (SampleStatus.SUBMITTED, SampleStatus.ACCEPTED):
            raise _sample_wrong_status(locked)
        locked.status = SampleStatus.CANCELLED
        locked.save(update_fields=["status", "updated_at"])
        payment.release(actor=actor, booking=locked, reason=_("委托单位取消"))
        audit.record("instruments.sample.cancel", actor=actor, obj=locked)
    return locked


# --- invoices for direct payment ---------------------------------------------------------------------


def direct_part_fen(record: Booking | SampleRequest) -> int:
    """What the requester pays directly of a fixed charge: the charge less the voucher's share (the
    share captured, or still to be captured from a delivered voucher order)."""
    return direct_part_of(record.charge_fen or 0, payment._order(record))


def direct_part_of(charge: int, order: Any) -> int:
    """The charge less the voucher's share of it (``order``: the record's voucher order or ``None``)."""
    if order is None:
        return charge
    if order.status == OrderStatus.CONFIRMED:
        return charge - int(order.redeemed_fen)
    if order.status == OrderStatus.DELIVERED:
        return charge - payment.voucher_share(order, charge)
    return charge


def _charge_is_fixed(record: Booking | SampleRequest) -> bool:
    if isinstance(record, Booking):
        return record.charge_fen is not None and (
            record.status in (BookingStatus.COMPLETED, BookingStatus.NO_SHOW) or record.late_cancel
        )
    return record.status in (SampleStatus.REPORTED, SampleStatus.CONFIRMED)


def invoice_issue(
    *,
    actor: Actor,
    booking: Booking | None = None,
    sample_request: SampleRequest | None = None,
    number: str,
    amount_fen: int | None = None,
    issued_on: dt.date | None = None,
) -> Invoice:
    """The owner records the invoice it issued for the directly paid part of a booking's or a sample
    test's charge (docs/adr/0024-instruments.md). One invoice per charge; the amount defaults to the
    direct part and may not exceed it."""
    if (booking is None) == (sample_request is None):
        raise ValidationError(_("请指明为哪一笔预约或委托开票。"))
    record: Booking | SampleRequest = booking if booking is not None else sample_request  # type: ignore[assignment]
    require(perms.can_issue_invoice(actor, record), _("只有仪器所属单位可以开具发票。"))
    number = clean_text(number, 40)
    if not number:
        raise ValidationError({"number": _("请填写发票号码。")})
    today = timezone.localdate()
    issued_on = issued_on or today
    if issued_on > today:
        raise ValidationError({"issued_on": _("开票日期不能晚于今天。")})
    with transaction.atomic():
        model = type(record)
        locked = model.objects.select_for_update().select_related("instrument").get(pk=record.pk)
        if not _charge_is_fixed(locked):
            raise ValidationError(_("费用确定后才能开具发票。"))
        if Invoice.objects.filter(
            **{"booking" if booking is not None else "sample_request": locked}
        ).exists():
            raise ValidationError(_("这笔费用已开具发票。"))
        direct = direct_part_fen(locked)
        if direct <= 0:
            raise ValidationError(_("这笔费用已全部由创新券支付，无需开具自付发票。"))
        amount = direct if amount_fen is None else checked_fen(amount_fen, "amount_fen")
        if amount > direct:
            raise ValidationError({"amount_fen": _("发票金额不能超过自付部分。")})
        owner_id = locked.instrument.owner_id
        if Invoice.objects.filter(owner_id=owner_id, number=number).exists():
            raise ValidationError({"number": _("本单位已登记过这个发票号码。")})
        invoice = Invoice.objects.create(
            code=new_code("FP"),
            number=number,
            owner_id=owner_id,
            payer_id=locked.organization_id,
            booking=locked if isinstance(locked, Booking) else None,
            sample_request=locked if isinstance(locked, SampleRequest) else None,
            amount_fen=amount,
            issued_on=issued_on,
            issued_by=user_of(actor),
        )
        audit.record(
            "instruments.invoice.issue",
            actor=actor,
            obj=invoice,
            detail={"for": locked.code, "amount_fen": amount, "number": number},
        )
    return invoice


def invoice_mark_paid(*, actor: Actor, invoice: Invoice, paid_on: dt.date | None = None) -> Invoice:
    """The owner records that the payer paid the invoice."""
    with transaction.atomic():
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("booking", "sample_request")
            .get(pk=invoice.pk)
        )
        record = locked.booking or locked.sample_request
        require(perms.can_issue_invoice(actor, record), _("只有开票单位可以登记付款。"))
        if locked.status != InvoiceStatus.ISSUED:
            raise ValidationError(_("该发票已登记付款。"))
        today = timezone.localdate()
        paid_on = paid_on or today
        if paid_on > today or paid_on < locked.issued_on:
            raise ValidationError({"paid_on": _("付款日期应在开票日期与今天之间。")})
        locked.status, locked.paid_on, locked.paid_recorded_by = InvoiceStatus.PAID, paid_on, user_of(actor)
        locked.save(update_fields=["status", "paid_on", "paid_recorded_by", "updated_at"])
        audit.record("instruments.invoice.paid", actor=actor, obj=locked, detail={"paid_on": str(paid_on)})
    return locked


# --- reminders ----------------------------------------------------------------------------------------


def bookings_remind_due(*, now: dt.datetime | None = None) -> int:
    """The day before: tell each booker of tomorrow's confirmed or requested bookings (once per booking,
    whatever the number of runs). Returns how many reminders were sent."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy

    from kechuang.notifications.services import notification_send
    from kechuang.notifications.text import lazy_text

    now = _now(now)
    tomorrow = timezone.localtime(now).date() + dt.timedelta(days=1)
    tz = timezone.get_current_timezone()
    first = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min), tz)
    bookings = (
        Booking.objects.filter(
            status__in=OPEN_BOOKING,
            start_at__gte=first,
            start_at__lt=first + dt.timedelta(days=1),
            user__isnull=False,
        )
        .select_related("instrument", "user")
        .order_by("start_at", "pk")
    )
    sent = 0
    for booking in bookings:
        with transaction.atomic():
            rows = notification_send(
                recipients=[booking.user],
                kind="instruments.reminder",
                title=lazy_text(
                    gettext_lazy("明天 %(time)s 预约了“%(instrument)s”"),
                    time=timezone.localtime(booking.start_at).strftime("%H:%M"),
                    instrument=booking.instrument.name,
                ),
                body=lazy_text(
                    gettext_lazy("预约 %(code)s（%(status)s）。如不能到场，请在免费取消时限前取消。"),
                    code=booking.code,
                    status=booking.get_status_display(),
                ),
                url=reverse("instruments:booking-list"),
                dedupe_key=f"instruments.reminder:{booking.code}",
            )
        sent += len(rows)
    return sent


# --- the annual sharing report --------------------------------------------------------------------------


def sharing_report_export(*, actor: Actor, owner: Organization, year: int) -> bytes:
    """The owner's annual sharing report (the figures a post-use subsidy, 先用后补, application needs) as an
    Excel workbook: per instrument its hours, the hours used by others, enterprises served, bookings,
    no-shows and income; then every completed booking of the year. The export is audited (C1)."""
    from kechuang.core.excel import SheetData, workbook_bytes

    from . import selectors

    require(
        owner.pk in perms.owner_organization_ids(actor) or perms.reads_all(actor),
        _("只有仪器所属单位、运营人员和领导可以导出共享报告。"),
    )
    if not 2000 <= year <= timezone.localdate().year:
        raise ValidationError({"year": _("年份无效。")})
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime(year, 1, 1), tz)
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1), tz)
    instruments = list(Instrument.objects.filter(owner=owner).order_by("code"))
    rows = []
    for instrument in instruments:
        bookings = Booking.objects.filter(instrument=instrument, start_at__gte=start, start_at__lt=end)
        figures = selectors.usage_figures(bookings, instruments=1)
        outside_hours = round(figures.hours * (figures.outside_share or 0), 1)
        rows.append(
            [
                instrument.code,
                instrument.name,
                instrument.model_number,
                instrument.original_value_fen / 100,
                instrument.purchase_year,
                figures.hours,
                outside_hours,
                f"{figures.outside_share * 100:.1f}%" if figures.outside_share is not None else "",
                figures.enterprises,
                figures.bookings,
                figures.no_shows,
                figures.income_fen / 100,
            ]
        )
    records = (
        Booking.objects.filter(
            instrument__owner=owner, start_at__gte=start, start_at__lt=end, status=BookingStatus.COMPLETED
        )
        .select_related("instrument", "organization")
        .order_by("start_at", "pk")
    )
    detail = [
        [
            b.code,
            b.instrument.name,
            b.organization.name,
            UserClass(b.user_class).label,
            timezone.localtime(b.start_at).strftime("%Y-%m-%d %H:%M"),
            b.actual_minutes,
            (b.charge_fen or 0) / 100,
        ]
        for b in records
    ]
    content = workbook_bytes(
        [
            SheetData(
                title=_("仪器共享情况"),
                header=[
                    _("仪器编号"),
                    _("仪器名称"),
                    _("型号"),
                    _("原值（元）"),
                    _("购置年份"),
                    _("有效机时（小时）"),
                    _("对外服务机时（小时）"),
                    _("对外服务占比"),
                    _("服务企业数"),
                    _("预约次数"),
                    _("未到场"),
                    _("收入（元）"),
                ],
                rows=rows,
                widths=[16, 28, 16, 14, 10, 14, 16, 12, 10, 10, 8, 14],
            ),
            SheetData(
                title=_("服务记录"),
                header=[
                    _("预约编号"),
                    _("仪器"),
                    _("服务对象"),
                    _("用户类别"),
                    _("开始时间"),
                    _("实际机时（分钟）"),
                    _("费用（元）"),
                ],
                rows=detail,
                widths=[18, 28, 30, 12, 18, 14, 12],
            ),
        ]
    )
    audit.record(
        "instruments.report.export",
        actor=actor,
        obj=owner,
        detail={"year": year, "instruments": len(instruments), "records": len(detail)},
    )
    return content
