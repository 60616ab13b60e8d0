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

The enterprise pays the rest of the charge directly (the booking's charge is the invoice record).
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kechuang.core.actors import Actor
from kechuang.vouchers import services as vouchers
from kechuang.vouchers.choices import OrderStatus, ProviderStatus, ServiceCategory
from kechuang.vouchers.models import Provider, ServiceOrder, Voucher

from .choices import RateUnit, UserClass
from .models import Booking, Instrument, Rate


def voucher_share(order: ServiceOrder, charge_fen: int) -> int:
    """The voucher's part of a charge: the scheme's ratio, at most what was held."""
    return min(order.voucher_fen, charge_fen * order.ratio_bp // 10000)


def enable_vouchers(*, instrument: Instrument) -> Instrument:
    """Put the instrument in its owner's voucher catalogue (category 仪器共享) at the district hourly rate.
    The owner must be an approved voucher provider for that category (the system writes the entry)."""
    provider = Provider.objects.filter(
        organization_id=instrument.owner_id, status=ProviderStatus.APPROVED
    ).first()
    if provider is None or ServiceCategory.INSTRUMENTS not in provider.categories:
        raise ValidationError(_("仪器所属单位尚未入驻创新券服务机构（仪器共享类），不能接受创新券支付。"))
    rate = Rate.objects.filter(
        instrument=instrument, user_class=UserClass.DISTRICT, unit=RateUnit.HOUR
    ).first()
    if rate is None or rate.price_fen <= 0:
        raise ValidationError(_("请先设置街区企业的机时收费标准。"))
    if instrument.voucher_service_id is None:
        service = vouchers.service_create(
            actor=None,
            provider=provider,
            name=f"仪器共享：{instrument.name}"[:100],
            category=ServiceCategory.INSTRUMENTS,
            price_fen=rate.price_fen,
            unit="小时",
            description=instrument.code,
        )
        instrument.voucher_service = service
        instrument.save(update_fields=["voucher_service", "updated_at"])
    elif instrument.voucher_service is not None and instrument.voucher_service.price_fen != rate.price_fen:
        vouchers.service_update(actor=None, service=instrument.voucher_service, price_fen=rate.price_fen)
    return instrument


def hold_for_booking(*, actor: Actor, booking: Booking, voucher: Any) -> ServiceOrder:
    """Place the voucher order of a new booking (its share of the booked time held on the voucher)."""
    instrument = booking.instrument
    if not isinstance(voucher, Voucher):
        raise ValidationError({"voucher": _("请选择创新券。")})
    if voucher.enterprise_id != booking.organization_id:
        raise ValidationError({"voucher": _("只能使用本企业的创新券。")})
    if booking.user_class != UserClass.DISTRICT:
        raise ValidationError({"voucher": _("创新券仅限街区企业使用。")})
    service = instrument.voucher_service
    if service is None:
        raise ValidationError({"voucher": _("该仪器不接受创新券支付。")})
    hours = math.ceil(booking.booked_minutes / 60)
    return vouchers.order_place(
        actor=actor,
        voucher=voucher,
        service=service,
        quantity=hours,
        note=_("机时预约 %(c)s") % {"c": booking.code},
        request_key=f"instruments.booking:{booking.code}",
    )


def _order(booking: Booking) -> ServiceOrder | None:
    if booking.voucher_order_id is None:
        return None
    return ServiceOrder.objects.get(pk=booking.voucher_order_id)


def release(*, actor: Actor, booking: Booking, reason: str) -> None:
    """A booking rejected or cancelled in time: its voucher hold is released."""
    order = _order(booking)
    if order is not None and order.status in (OrderStatus.PLACED, OrderStatus.ACCEPTED):
        vouchers.order_cancel(actor=None, order=order, reason=reason)


def record_delivery(*, booking: Booking) -> None:
    """A booking's charge is fixed (checked out, no-show, late cancellation): the voucher order is
    delivered, or cancelled when the voucher's share of the charge is zero."""
    order = _order(booking)
    if order is None or order.status not in (OrderStatus.PLACED, OrderStatus.ACCEPTED):
        return
    if voucher_share(order, booking.charge_fen or 0) <= 0:
        vouchers.order_cancel(actor=None, order=order, reason=_("实际费用中无创新券支付部分"))
        return
    if order.status == OrderStatus.PLACED:
        order = vouchers.order_accept(actor=None, order=order)
    vouchers.order_deliver(
        actor=None,
        order=order,
        note=_("机时预约 %(c)s 费用 %(f)s 分") % {"c": booking.code, "f": booking.charge_fen},
    )


def capture(*, actor: Actor, booking: Booking) -> None:
    """The booker confirmed the charge: the voucher's share of it is captured, the rest released."""
    order = _order(booking)
    if order is None or order.status != OrderStatus.DELIVERED:
        return
    vouchers.order_confirm(actor=actor, order=order, redeem_fen=voucher_share(order, booking.charge_fen or 0))
