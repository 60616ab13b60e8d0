"""Direct payment: the owner records the invoice for the directly paid part of a booking's or a sample
test's charge (number, amount, date, payer), then its payment; the payer sees it; others see nothing and
change nothing (docs/adr/0024-instruments.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from instruments_helpers import HOURLY, next_weekday_at
from payment_helpers import voucher_instrument, voucher_setup

from kechuang.instruments import services
from kechuang.instruments.choices import InvoiceStatus, UserClass
from kechuang.instruments.models import Invoice
from kechuang.vouchers.factories import minimal_pdf

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
RATE = HOURLY[UserClass.DISTRICT]


def used_booking(instrument, owner_user, enterprise_user, enterprise_org, voucher=None, minutes=90):
    start = next_weekday_at(9)
    booking = services.booking_create(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        start_at=start,
        end_at=start + 2 * H,
        voucher=voucher,
    )
    services.booking_check_in(actor=owner_user, booking=booking, now=start)
    return services.booking_check_out(
        actor=owner_user, booking=booking, now=start + dt.timedelta(minutes=minutes)
    )


def test_a_direct_booking_is_invoiced_in_full_and_then_paid(
    instrument, owner_user, enterprise_user, enterprise_org
):
    booking = used_booking(instrument, owner_user, enterprise_user, enterprise_org)
    invoice = services.invoice_issue(actor=owner_user, booking=booking, number="No.31001")
    assert invoice.amount_fen == booking.charge_fen == RATE * 90 // 60
    assert invoice.payer == enterprise_org and invoice.owner_id == instrument.owner_id
    assert invoice.status == InvoiceStatus.ISSUED and invoice.issued_on == timezone.localdate()
    with pytest.raises(ValidationError, match="已开具发票"):
        services.invoice_issue(actor=owner_user, booking=booking, number="No.31002")
    paid = services.invoice_mark_paid(actor=owner_user, invoice=invoice)
    assert paid.status == InvoiceStatus.PAID and paid.paid_on == timezone.localdate()
    with pytest.raises(ValidationError, match="已登记付款"):
        services.invoice_mark_paid(actor=owner_user, invoice=paid)


def test_a_voucher_paid_charge_is_invoiced_for_the_direct_part_only(
    operator, leader, enterprise_org, enterprise_user, media_root
):
    owner, owner_user, voucher = voucher_setup(
        operator=operator, leader=leader, enterprise_org=enterprise_org, enterprise_user=enterprise_user
    )
    instrument = voucher_instrument(owner, owner_user)
    booking = used_booking(instrument, owner_user, enterprise_user, enterprise_org, voucher=voucher)
    booking = services.booking_confirm_charge(actor=enterprise_user, booking=booking)
    with pytest.raises(ValidationError, match="不能超过自付部分"):
        services.invoice_issue(actor=owner_user, booking=booking, number="A-1", amount_fen=booking.charge_fen)
    invoice = services.invoice_issue(actor=owner_user, booking=booking, number="A-1")
    booking.voucher_order.refresh_from_db()
    assert booking.voucher_order.redeemed_fen > 0
    assert invoice.amount_fen == booking.charge_fen - booking.voucher_order.redeemed_fen
    sample = services.sample_request_submit(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        sample_count=2,
        sample_description="薄膜",
    )
    with pytest.raises(ValidationError, match="费用确定后"):
        services.invoice_issue(actor=owner_user, sample_request=sample, number="A-2")
    for step in (services.sample_request_accept, services.sample_request_receive):
        sample = step(actor=owner_user, sample_request=sample)
    sample = services.sample_request_report(
        actor=owner_user, sample_request=sample, report=minimal_pdf(), report_name="报告.pdf"
    )
    with pytest.raises(ValidationError, match="发票号码"):
        services.invoice_issue(actor=owner_user, sample_request=sample, number="A-1")  # used by the owner
    assert services.invoice_issue(actor=owner_user, sample_request=sample, number="A-2").amount_fen == (
        sample.charge_fen
    )


def test_only_the_owner_issues_and_records_payment(
    instrument, owner_user, enterprise_user, enterprise_org, other_institute_user
):
    booking = used_booking(instrument, owner_user, enterprise_user, enterprise_org)
    for stranger in (enterprise_user, other_institute_user):
        with pytest.raises(PermissionDenied):
            services.invoice_issue(actor=stranger, booking=booking, number="X-1")
    invoice = services.invoice_issue(actor=owner_user, booking=booking, number="X-1")
    with pytest.raises(PermissionDenied):
        services.invoice_mark_paid(actor=enterprise_user, invoice=invoice)
    assert Invoice.objects.get().status == InvoiceStatus.ISSUED


def test_the_invoice_pages_for_owner_and_payer(
    client, instrument, owner_user, enterprise_user, enterprise_org, other_enterprise_user
):
    booking = used_booking(instrument, owner_user, enterprise_user, enterprise_org)
    client.force_login(owner_user)
    page = client.get(reverse("instruments:invoice-list")).content.decode()
    assert booking.code in page and "登记发票" in page
    form_url = reverse("instruments:invoice-create", args=["booking", booking.code])
    assert "自付部分" in client.get(form_url).content.decode()
    refused = client.post(form_url, {"number": "", "issued_on": "2099-01-01"})
    assert refused.status_code == 400 and not Invoice.objects.exists()
    assert "开票日期" in refused.content.decode() or "必填" in refused.content.decode()
    done = client.post(form_url, {"number": "No.9", "issued_on": timezone.localdate().isoformat()})
    assert done.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.number == "No.9" and invoice.amount_fen == booking.charge_fen

    client.force_login(enterprise_user)  # the payer sees it, and cannot record its payment
    page = client.get(reverse("instruments:invoice-list")).content.decode()
    assert "No.9" in page and "登记收款" not in page
    assert client.post(reverse("instruments:invoice-paid", args=[invoice.code])).status_code == 403
    assert client.get(form_url).status_code in (403, 404)

    client.force_login(other_enterprise_user)  # another organization sees nothing
    assert "No.9" not in client.get(reverse("instruments:invoice-list")).content.decode()
    assert client.post(reverse("instruments:invoice-paid", args=[invoice.code])).status_code == 404

    client.force_login(owner_user)
    client.post(reverse("instruments:invoice-paid", args=[invoice.code]), {"paid_on": ""})
    assert Invoice.objects.get().status == InvoiceStatus.PAID
