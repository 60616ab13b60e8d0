"""Paying for machine time with an innovation voucher (docs/adr/0024-instruments.md).

A booking paid by voucher carries a voucher service order (``vouchers.ServiceOrder``) on the instrument's
catalogue entry (category 仪器共享), so every fen goes through the vouchers' ledger accounts and their
reconciliation, and the owner claims through the existing monthly settlement:

- booking → the order is placed: the voucher pays the scheme's share of the booked time at the district
  rate, held on the voucher's account;
- rejected, or cancelled in time → the order is cancelled and the hold released;
- checked out, a no-show, or cancelled late → the order is delivered (by the system, on the owner's
  record); if the voucher's share of the actual charge is zero the order is cancelled instead;
- the booker confirms the charge → the order is confirmed and the hold captured at the voucher's share of
  the actual charge (never more than was held); the rest of the hold is released.

A sample test paid by voucher names its voucher at submission; the hold is placed (by the system, for the
owner's acceptance) on the instrument's per-sample catalogue entry when the owner accepts, delivered with
the report, captured when the requester confirms, and released on rejection or cancellation.

The enterprise pays the rest of the charge directly; the owner records its invoice (``Invoice``).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kechuang.core.actors import Actor
from kechuang.vouchers import services as vouchers
from kechuang.vouchers.choices import OrderStatus, ProviderStatus, ServiceCategory
from kechuang.vouchers.models import Provider, ProviderService, ServiceOrder, Voucher

from .choices import RateUnit, UserClass
from .models import Booking, Instrument, Rate, SampleRequest


def voucher_share(order: ServiceOrder, charge_fen: int) -> int:
    """The voucher's part of a charge: the scheme's ratio, at most what was held."""
    return min(order.voucher_fen, charge_fen * order.ratio_bp // 10000)


def _catalogue_entry(
    *, instrument: Instrument, provider: Provider, field: str, name: str, unit: str, price_fen: int
) -> None:
    """Create or keep in step one of the instrument's entries in its owner's voucher catalogue."""
    service = getattr(instrument, field)
    if service is None:
        service = vouchers.service_create(
            actor=None,
            provider=provider,
            name=name[:100],
            category=ServiceCategory.INSTRUMENTS,
            price_fen=price_fen,
            unit=unit,
            description=instrument.code,
        )
        setattr(instrument, field, service)
        instrument.save(update_fields=[field, "updated_at"])
    elif service.price_fen != price_fen:
        vouchers.service_update(actor=None, service=service, price_fen=price_fen)


def enable_vouchers(*, instrument: Instrument) -> Instrument:
    """Put the instrument in its owner's voucher catalogue (category 仪器共享): machine time at the district
    hourly rate and, where it offers sample testing at a district per-sample rate, sample tests at that
    rate. The owner must be an approved voucher provider for that category (the system writes the
    entries)."""
    provider = Provider.objects.filter(
        organization_id=instrument.owner_id, status=ProviderStatus.APPROVED
    ).first()
    if provider is None or ServiceCategory.INSTRUMENTS not in provider.categories:
        raise ValidationError(_("仪器所属单位尚未入驻创新券服务机构（仪器共享类），不能接受创新券支付。"))
    hourly = Rate.objects.filter(
        instrument=instrument, user_class=UserClass.DISTRICT, unit=RateUnit.HOUR
    ).first()
    per_sample = Rate.objects.filter(
        instrument=instrument, user_class=UserClass.DISTRICT, unit=RateUnit.SAMPLE
    ).first()
    if (hourly is None or hourly.price_fen <= 0) and (per_sample is None or per_sample.price_fen <= 0):
        raise ValidationError(_("请先设置街区企业的机时或样品收费标准。"))
    if hourly is not None and hourly.price_fen > 0:
        _catalogue_entry(
            instrument=instrument,
            provider=provider,
            field="voucher_service",
            name=f"仪器共享：{instrument.name}",
            unit="小时",
            price_fen=hourly.price_fen,
        )
    if instrument.sample_testing and per_sample is not None and per_sample.price_fen > 0:
        _catalogue_entry(
            instrument=instrument,
            provider=provider,
            field="voucher_sample_service",
            name=f"委托测试：{instrument.name}",
            unit="样品",
            price_fen=per_sample.price_fen,
        )
    return instrument


def _check_voucher(
    *, voucher: Any, organization_id: int, user_class: str, service: ProviderService | None
) -> ProviderService:
    if not isinstance(voucher, Voucher):
        raise ValidationError({"voucher": _("请选择创新券。")})
    if voucher.enterprise_id != organization_id:
        raise ValidationError({"voucher": _("只能使用本企业的创新券。")})
    if user_class != UserClass.DISTRICT:
        raise ValidationError({"voucher": _("创新券仅限街区企业使用。")})
    if service is None:
        raise ValidationError({"voucher": _("该仪器不接受创新券支付。")})
    return service


def hold_for_booking(*, actor: Actor, booking: Booking, voucher: Any) -> ServiceOrder:
    """Place the voucher order of a new booking (its share of the booked time held on the voucher)."""
    service = _check_voucher(
        voucher=voucher,
        organization_id=booking.organization_id,
        user_class=booking.user_class,
        service=booking.instrument.voucher_service,
    )
    hours = math.ceil(booking.booked_minutes / 60)
    return vouchers.order_place(
        actor=actor,
        voucher=voucher,
        service=service,
        quantity=hours,
        note=_("机时预约 %(c)s") % {"c": booking.code},
        request_key=f"instruments.booking:{booking.code}",
    )


def check_sample_voucher(*, sample_request: SampleRequest, voucher: Any) -> Voucher:
    """A sample request's voucher, checked at submission (its hold is placed when the owner accepts)."""
    _check_voucher(
        voucher=voucher,
        organization_id=sample_request.organization_id,
        user_class=sample_request.user_class,
        service=sample_request.instrument.voucher_sample_service,
    )
    return voucher  # type: ignore[no-any-return]


def hold_for_sample(*, sample_request: SampleRequest) -> ServiceOrder:
    """The owner accepted a sample request paid by voucher: the system places its voucher order on the
    requester's instruction given at submission (the voucher's share of samples × rate held) and accepts
    it for the owner. Refused (nothing written) when the voucher cannot pay any of it."""
    voucher = check_sample_voucher(sample_request=sample_request, voucher=sample_request.voucher)
    service = sample_request.instrument.voucher_sample_service
    assert service is not None  # checked above
    order = vouchers.order_place(
        actor=None,
        voucher=voucher,
        service=service,
        quantity=sample_request.sample_count,
        note=_("委托测试 %(c)s") % {"c": sample_request.code},
        request_key=f"instruments.sample:{sample_request.code}",
    )
    return vouchers.order_accept(actor=None, order=order)


def _order(record: Booking | SampleRequest) -> ServiceOrder | None:
    if record.voucher_order_id is None:
        return None
    return ServiceOrder.objects.get(pk=record.voucher_order_id)


def release(*, actor: Actor, booking: Booking | SampleRequest, reason: str) -> None:
    """A booking or sample request rejected or cancelled in time: its voucher hold is released."""
    order = _order(booking)
    if order is not None and order.status in (OrderStatus.PLACED, OrderStatus.ACCEPTED):
        vouchers.order_cancel(actor=None, order=order, reason=reason)


def record_delivery(*, booking: Booking | SampleRequest) -> None:
    """A charge is fixed (checked out, no-show, late cancellation, a test report): the voucher order is
    delivered, or cancelled when the voucher's share of the charge is zero."""
    order = _order(booking)
    if order is None or order.status not in (OrderStatus.PLACED, OrderStatus.ACCEPTED):
        return
    if voucher_share(order, booking.charge_fen or 0) <= 0:
        vouchers.order_cancel(actor=None, order=order, reason=_("实际费用中无创新券支付部分"))
        return
    if order.status == OrderStatus.PLACED:
        order = vouchers.order_accept(actor=None, order=order)
    what = _("机时预约") if isinstance(booking, Booking) else _("委托测试")
    vouchers.order_deliver(
        actor=None,
        order=order,
        note=_("%(w)s %(c)s 费用 %(f)s 分") % {"w": what, "c": booking.code, "f": booking.charge_fen},
    )


def capture(*, actor: Actor, booking: Booking | SampleRequest) -> None:
    """The requester confirmed the charge: the voucher's share of it is captured, the rest released."""
    order = _order(booking)
    if order is None or order.status != OrderStatus.DELIVERED:
        return
    vouchers.order_confirm(actor=actor, order=order, redeem_fen=voucher_share(order, booking.charge_fen or 0))


def voucher_paid_fen(record: Booking | SampleRequest) -> int:
    """What the voucher paid of a confirmed charge (0 without a voucher order or before the capture)."""
    order = _order(record)
    return order.redeemed_fen if order is not None and order.status == OrderStatus.CONFIRMED else 0
