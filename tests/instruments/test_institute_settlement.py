"""An institute that owns shared instruments joins the voucher providers for 仪器共享 alone, and claims its
voucher-paid machine time through the vouchers' own monthly settlement (claim, review, batch, approval,
payment): every fen on the ledger, `ledger-reconcile` clean (docs/adr/0024-instruments.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from instruments_helpers import next_weekday_at
from payment_helpers import voucher_instrument, voucher_setup

from kechuang.instruments import services
from kechuang.ledger.models import Account
from kechuang.ledger.reconcile import violations
from kechuang.vouchers import factories
from kechuang.vouchers import services as vouchers
from kechuang.vouchers.choices import ClaimStatus, OrderStatus, ServiceCategory
from kechuang.vouchers.models import SettlementClaim
from kechuang.vouchers.permissions import claim_visible_to
from kechuang.vouchers.services import payable_account

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def test_an_institute_owner_claims_its_voucher_paid_machine_time_through_the_monthly_settlement(
    owner_org, owner_user, operator, leader, enterprise_org, enterprise_user, media_root
):
    _owner, _user, voucher = voucher_setup(
        operator=operator,
        leader=leader,
        enterprise_org=enterprise_org,
        enterprise_user=enterprise_user,
        owner=owner_org,
        owner_user=owner_user,
    )
    instrument = voucher_instrument(owner_org, owner_user)
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
    services.booking_check_out(actor=owner_user, booking=booking, now=start + dt.timedelta(minutes=90))
    booking = services.booking_confirm_charge(actor=enterprise_user, booking=booking)
    order = booking.voucher_order
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.redeemed_fen == booking.charge_fen // 2

    claim = factories.submit_claim(order=order, actor=owner_user)  # the institute's own staff claims
    assert list(claim_visible_to(owner_user)) == [claim]
    vouchers.claim_review(actor=operator, claim=claim, approve=True)
    batch = vouchers.batch_create(actor=operator, period=dt.date.today())
    assert batch is not None and batch.total_fen == order.redeemed_fen
    vouchers.batch_approve(actor=leader, batch=batch)
    vouchers.batch_pay(actor=operator, batch=batch)

    claim = SettlementClaim.objects.select_related("scheme", "provider").get(pk=claim.pk)
    assert claim.status == ClaimStatus.PAID and claim.amount_fen == order.redeemed_fen
    payable = Account.objects.get(pk=payable_account(claim.scheme, claim.provider).pk)
    assert payable.balance_fen == 0  # redeemed into the payable, then paid out of it
    assert violations() == []


def test_an_institute_joins_the_voucher_providers_for_instrument_sharing_alone(owner_org, owner_user):
    with pytest.raises(ValidationError, match="仪器共享"):
        vouchers.provider_register(
            actor=owner_user, organization=owner_org, categories=[ServiceCategory.INSTRUMENTS, "testing"]
        )
    provider = vouchers.provider_register(
        actor=owner_user, organization=owner_org, categories=[ServiceCategory.INSTRUMENTS]
    )
    assert provider.categories == [ServiceCategory.INSTRUMENTS]


def test_another_institute_cannot_claim_the_owners_order(
    owner_org, owner_user, other_institute_user, operator, leader, enterprise_org, enterprise_user, media_root
):
    _owner, _user, voucher = voucher_setup(
        operator=operator,
        leader=leader,
        enterprise_org=enterprise_org,
        enterprise_user=enterprise_user,
        owner=owner_org,
        owner_user=owner_user,
    )
    instrument = voucher_instrument(owner_org, owner_user)
    start = next_weekday_at(9)
    booking = services.booking_create(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        start_at=start,
        end_at=start + H,
        voucher=voucher,
    )
    services.booking_check_in(actor=owner_user, booking=booking, now=start)
    services.booking_check_out(actor=owner_user, booking=booking, now=start + H)
    booking = services.booking_confirm_charge(actor=enterprise_user, booking=booking)
    with pytest.raises(Exception, match="服务机构"):
        factories.submit_claim(order=booking.voucher_order, actor=other_institute_user)
    assert not SettlementClaim.objects.exists()
    assert list(claim_visible_to(other_institute_user)) == []
