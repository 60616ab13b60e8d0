"""Machine time paid by innovation voucher: held at booking, captured at the actual minutes, released on
cancellation; every fen on the ledger, and the ledger's and the vouchers' reconciliation stay clean."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from instruments_helpers import HOURLY, next_weekday_at
from payment_helpers import voucher_instrument, voucher_setup

from kechuang.instruments import services
from kechuang.instruments.choices import UserClass
from kechuang.ledger.models import Account, Hold
from kechuang.ledger.reconcile import violations
from kechuang.vouchers.choices import OrderStatus
from kechuang.vouchers.models import Voucher

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
RATE = HOURLY[UserClass.DISTRICT]  # 400 元/小时; the scheme pays 50 %


def voucher_account(voucher: Voucher) -> Account:
    return Account.objects.get(pk=Voucher.objects.get(pk=voucher.pk).account_id)


def assert_reconciled():
    problems = violations()
    assert problems == [], problems


@pytest.fixture
def paying(operator, leader, enterprise_org, enterprise_user):
    owner, owner_user, voucher = voucher_setup(
        operator=operator, leader=leader, enterprise_org=enterprise_org, enterprise_user=enterprise_user
    )
    instrument = voucher_instrument(owner, owner_user)
    return instrument, owner_user, voucher


def test_held_at_booking_captured_at_the_actual_minutes(paying, enterprise_user, enterprise_org):
    instrument, owner_user, voucher = paying
    start = next_weekday_at(9)
    booking = services.booking_create(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        start_at=start,
        end_at=start + 3 * H,
        voucher=voucher,
    )
    order = booking.voucher_order
    assert order.voucher_fen == 3 * RATE // 2  # half of three booked hours
    assert voucher_account(voucher).held_fen == order.voucher_fen
    services.booking_check_in(actor=owner_user, booking=booking, now=start)
    services.booking_check_out(actor=owner_user, booking=booking, now=start + dt.timedelta(minutes=75))
    booking.refresh_from_db()
    assert booking.charge_fen == RATE * 75 // 60
    services.booking_confirm_charge(actor=enterprise_user, booking=booking)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.redeemed_fen == booking.charge_fen // 2
    account = voucher_account(voucher)
    assert account.held_fen == 0
    assert account.balance_fen == 500_000 - booking.charge_fen // 2
    assert_reconciled()


def test_released_on_cancellation(paying, enterprise_user, enterprise_org):
    instrument, _owner_user, voucher = paying
    start = next_weekday_at(9)
    booking = services.booking_create(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        start_at=start,
        end_at=start + 2 * H,
        voucher=voucher,
        now=start - 72 * H,
    )
    services.booking_cancel(actor=enterprise_user, booking=booking, now=start - 48 * H)
    booking.voucher_order.refresh_from_db()
    assert booking.voucher_order.status == OrderStatus.CANCELLED
    assert Hold.objects.get(pk=booking.voucher_order.hold_id).status == "voided"
    assert voucher_account(voucher).held_fen == 0 and voucher_account(voucher).balance_fen == 500_000
    assert_reconciled()


def test_a_late_cancellation_captures_one_slot(paying, enterprise_user, enterprise_org):
    instrument, _owner_user, voucher = paying
    start = next_weekday_at(9)
    booking = services.booking_create(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        start_at=start,
        end_at=start + 2 * H,
        voucher=voucher,
        now=start - 72 * H,
    )
    booking = services.booking_cancel(actor=enterprise_user, booking=booking, now=start - 2 * H)
    services.booking_confirm_charge(actor=enterprise_user, booking=booking)
    assert voucher_account(voucher).balance_fen == 500_000 - RATE // 2
    assert_reconciled()


def test_a_voucher_is_refused_where_the_owner_takes_none(
    instrument, enterprise_user, enterprise_org, operator, leader
):
    _owner, _owner_user, voucher = voucher_setup(
        operator=operator, leader=leader, enterprise_org=enterprise_org, enterprise_user=enterprise_user
    )
    start = next_weekday_at(9)
    with pytest.raises(ValidationError, match="不接受创新券"):
        services.booking_create(
            actor=enterprise_user,
            instrument=instrument,
            organization=enterprise_org,
            start_at=start,
            end_at=start + H,
            voucher=voucher,
        )
    assert voucher_account(voucher).held_fen == 0


PER_SAMPLE_RATE = 10_000  # 100 元/样品 for the district's enterprises; the scheme pays 50 %


def _sample(instrument, enterprise_user, enterprise_org, voucher, count=3):
    return services.sample_request_submit(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        sample_count=count,
        sample_description="GaN 外延片",
        voucher=voucher,
    )


def test_a_sample_test_paid_by_voucher_is_held_at_acceptance_and_captured_on_confirmation(
    paying, enterprise_user, enterprise_org, media_root
):
    from kechuang.vouchers.factories import minimal_pdf

    instrument, owner_user, voucher = paying
    assert instrument.voucher_sample_service is not None
    sample = _sample(instrument, enterprise_user, enterprise_org, voucher)
    assert sample.voucher_order is None and voucher_account(voucher).held_fen == 0  # nothing held yet
    sample = services.sample_request_accept(actor=owner_user, sample_request=sample)
    order = sample.voucher_order
    assert order.status == OrderStatus.ACCEPTED and order.voucher_fen == 3 * PER_SAMPLE_RATE // 2
    assert voucher_account(voucher).held_fen == order.voucher_fen
    sample = services.sample_request_receive(actor=owner_user, sample_request=sample)
    sample = services.sample_request_report(
        actor=owner_user, sample_request=sample, report=minimal_pdf(), report_name="报告.pdf"
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    services.sample_request_confirm(actor=enterprise_user, sample_request=sample)
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.redeemed_fen == 3 * PER_SAMPLE_RATE // 2
    account = voucher_account(voucher)
    assert account.held_fen == 0 and account.balance_fen == 500_000 - order.redeemed_fen
    assert_reconciled()


@pytest.mark.parametrize("how", ["reject_after_receipt", "cancel_after_acceptance"])
def test_a_sample_tests_voucher_hold_is_released_on_rejection_or_cancellation(
    paying, enterprise_user, enterprise_org, how
):
    instrument, owner_user, voucher = paying
    sample = _sample(instrument, enterprise_user, enterprise_org, voucher)
    sample = services.sample_request_accept(actor=owner_user, sample_request=sample)
    if how == "reject_after_receipt":
        sample = services.sample_request_receive(actor=owner_user, sample_request=sample)
        services.sample_request_reject(actor=owner_user, sample_request=sample, note="样品已破损")
    else:
        services.sample_request_cancel(actor=enterprise_user, sample_request=sample)
    sample.voucher_order.refresh_from_db()
    assert sample.voucher_order.status == OrderStatus.CANCELLED
    assert voucher_account(voucher).held_fen == 0 and voucher_account(voucher).balance_fen == 500_000
    assert_reconciled()


def test_a_sample_test_whose_voucher_is_spent_cannot_be_accepted_and_nothing_is_held(
    operator, leader, enterprise_org, enterprise_user
):
    owner, owner_user, voucher = voucher_setup(
        operator=operator,
        leader=leader,
        enterprise_org=enterprise_org,
        enterprise_user=enterprise_user,
        amount_fen=10_000,
    )
    instrument = voucher_instrument(owner, owner_user)
    first = _sample(instrument, enterprise_user, enterprise_org, voucher, count=2)  # 100 元 held: all of it
    services.sample_request_accept(actor=owner_user, sample_request=first)
    second = _sample(instrument, enterprise_user, enterprise_org, voucher, count=1)
    with pytest.raises(ValidationError, match="余额不足"):
        services.sample_request_accept(actor=owner_user, sample_request=second)
    second.refresh_from_db()
    assert second.status == "submitted" and second.voucher_order_id is None
    assert_reconciled()
