"""Booking and sample-testing flows through the services: rules, refusals with their reasons, charges."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from instruments_helpers import HOURLY, PER_SAMPLE, make_instrument, next_weekday_at

from kechuang.instruments import services
from kechuang.instruments.choices import BookingStatus, InstrumentStatus, SampleStatus, ServiceMode, UserClass
from kechuang.instruments.models import Booking, Qualification
from kechuang.vouchers.factories import minimal_pdf

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def book(user, org, instrument, start, hours=1, **kwargs):
    return services.booking_create(
        actor=user,
        instrument=instrument,
        organization=org,
        start_at=start,
        end_at=start + hours * H,
        **kwargs,
    )


def test_an_automatic_instrument_confirms_at_once_at_the_district_rate(
    instrument, enterprise_user, enterprise_org
):
    booking = book(enterprise_user, enterprise_org, instrument, next_weekday_at(9), hours=2)
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.user_class == UserClass.DISTRICT and booking.rate_fen == HOURLY[UserClass.DISTRICT]
    assert booking.code.startswith(f"YY-{timezone.localdate().year}-")


def test_the_owner_staff_pay_the_internal_rate_and_other_institutes_the_outside_rate(
    instrument, owner_user, owner_org, other_institute_user
):
    own = book(owner_user, owner_org, instrument, next_weekday_at(9))
    other_org = other_institute_user.memberships.get().organization
    outside = book(other_institute_user, other_org, instrument, next_weekday_at(11))
    assert (own.user_class, own.rate_fen) == (UserClass.OWNER, HOURLY[UserClass.OWNER])
    assert (outside.user_class, outside.rate_fen) == (UserClass.OUTSIDE, HOURLY[UserClass.OUTSIDE])


def test_without_a_valid_qualification_a_trained_only_instrument_refuses_with_the_reason(
    trained_only, enterprise_user, enterprise_org, owner_user
):
    start = next_weekday_at(9)
    with pytest.raises(ValidationError) as refused:
        book(enterprise_user, enterprise_org, trained_only, start)
    assert "仅限培训合格人员" in refused.value.message_dict["instrument"][0]
    assert "尚未取得该仪器的上机资格" in refused.value.message_dict["instrument"][0]
    today = timezone.localdate()
    services.qualification_grant(
        actor=owner_user,
        instrument=trained_only,
        user=enterprise_user,
        trained_on=today - dt.timedelta(days=400),
        expires_on=today - dt.timedelta(days=35),
    )
    with pytest.raises(ValidationError) as expired:
        book(enterprise_user, enterprise_org, trained_only, start)
    assert (
        "已于" in expired.value.message_dict["instrument"][0]
        and "过期" in expired.value.message_dict["instrument"][0]
    )
    assert not Booking.objects.exists()
    services.qualification_grant(
        actor=owner_user, instrument=trained_only, user=enterprise_user, trained_on=today, expires_on=None
    )
    assert Qualification.objects.get().trainer == owner_user
    assert book(enterprise_user, enterprise_org, trained_only, start).status == BookingStatus.CONFIRMED


def test_only_the_owner_trains_users(trained_only, enterprise_user):
    with pytest.raises(PermissionDenied):
        services.qualification_grant(
            actor=enterprise_user,
            instrument=trained_only,
            user=enterprise_user,
            trained_on=timezone.localdate(),
        )


def test_a_start_in_the_past_is_refused_with_its_own_reason_even_without_a_minimum_notice(
    owner_org, enterprise_user, enterprise_org
):
    instrument = make_instrument(owner_org, min_notice_hours=0)
    with pytest.raises(ValidationError, match="开始时间已过") as refused:
        book(enterprise_user, enterprise_org, instrument, next_weekday_at(9, days_ahead=-14))
    assert "提前 0 小时" not in str(refused.value)
    assert not Booking.objects.exists()


def test_minimum_notice_and_opening_hours_are_enforced(owner_org, enterprise_user, enterprise_org):
    instrument = make_instrument(owner_org, min_notice_hours=240)
    with pytest.raises(ValidationError, match="至少提前 240 小时"):
        book(enterprise_user, enterprise_org, instrument, next_weekday_at(9, days_ahead=7))
    instrument.min_notice_hours = 0
    instrument.save()
    with pytest.raises(ValidationError, match="开放时间"):
        book(enterprise_user, enterprise_org, instrument, next_weekday_at(7))
    with pytest.raises(ValidationError, match="开放时间"):
        book(enterprise_user, enterprise_org, instrument, next_weekday_at(17))  # 17:00–18:00 ends after 17:30
    saturday = next_weekday_at(9)
    while saturday.isoweekday() != 6:
        saturday += dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="开放日"):
        book(enterprise_user, enterprise_org, instrument, saturday)
    with pytest.raises(ValidationError, match="整数倍"):
        services.booking_create(
            actor=enterprise_user,
            instrument=instrument,
            organization=enterprise_org,
            start_at=next_weekday_at(9),
            end_at=next_weekday_at(9, 45),
        )


def test_a_booking_in_maintenance_or_over_another_gets_a_clean_refusal(
    instrument, owner_user, enterprise_user, enterprise_org, other_enterprise_user, other_enterprise_org
):
    start = next_weekday_at(9)
    book(enterprise_user, enterprise_org, instrument, start, hours=2)
    with pytest.raises(ValidationError) as taken:
        book(other_enterprise_user, other_enterprise_org, instrument, start + H)
    assert taken.value.messages == ["该时段已被预约"]
    services.maintenance_block(
        actor=owner_user,
        instrument=instrument,
        start_at=start + 3 * H,
        end_at=start + 5 * H,
        reason="更换灯丝",
    )
    with pytest.raises(ValidationError) as blocked:
        book(other_enterprise_user, other_enterprise_org, instrument, start + 4 * H)
    assert blocked.value.messages == ["该时段仪器维护中，不能预约"]
    with pytest.raises(ValidationError, match="已有预约"):
        services.maintenance_block(actor=owner_user, instrument=instrument, start_at=start, end_at=start + H)


def test_the_owner_approves_or_rejects_when_the_rule_says_so(
    owner_approves, owner_user, enterprise_user, enterprise_org
):
    first = book(enterprise_user, enterprise_org, owner_approves, next_weekday_at(9))
    second = book(enterprise_user, enterprise_org, owner_approves, next_weekday_at(11))
    assert first.status == second.status == BookingStatus.REQUESTED
    with pytest.raises(PermissionDenied):
        services.booking_approve(actor=enterprise_user, booking=first)
    assert services.booking_approve(actor=owner_user, booking=first).status == BookingStatus.CONFIRMED
    with pytest.raises(ValidationError):
        services.booking_reject(actor=owner_user, booking=second, note="")
    rejected = services.booking_reject(actor=owner_user, booking=second, note="该时段需内部使用")
    assert rejected.status == BookingStatus.REJECTED
    # the rejected slot is free again
    assert (
        book(enterprise_user, enterprise_org, owner_approves, next_weekday_at(11)).status
        == BookingStatus.REQUESTED
    )


def test_cancellation_is_free_before_the_window_and_charged_one_slot_after(
    owner_org, enterprise_user, enterprise_org
):
    instrument = make_instrument(owner_org, free_cancel_hours=24)
    start = next_weekday_at(9)
    early = book(enterprise_user, enterprise_org, instrument, start, hours=3)
    cancelled = services.booking_cancel(actor=enterprise_user, booking=early, now=start - 48 * H)
    assert (cancelled.status, cancelled.late_cancel, cancelled.charge_fen) == (
        BookingStatus.CANCELLED,
        False,
        0,
    )
    late = book(enterprise_user, enterprise_org, instrument, start, hours=3)
    cancelled = services.booking_cancel(actor=enterprise_user, booking=late, now=start - 2 * H)
    assert cancelled.late_cancel and cancelled.charge_fen == HOURLY[UserClass.DISTRICT]
    third = book(enterprise_user, enterprise_org, instrument, start, hours=1)
    with pytest.raises(ValidationError, match="已开始"):
        services.booking_cancel(actor=enterprise_user, booking=third, now=start + dt.timedelta(minutes=5))


def test_check_in_and_out_record_the_actual_minutes_and_the_charge(
    instrument, owner_user, enterprise_user, enterprise_org
):
    start = next_weekday_at(9)
    booking = book(enterprise_user, enterprise_org, instrument, start, hours=2)
    with pytest.raises(ValidationError, match="30 分钟"):
        services.booking_check_in(actor=owner_user, booking=booking, now=start - H)
    with pytest.raises(PermissionDenied):
        services.booking_check_in(actor=enterprise_user, booking=booking, now=start)
    services.booking_check_in(actor=owner_user, booking=booking, now=start + dt.timedelta(minutes=5))
    done = services.booking_check_out(actor=owner_user, booking=booking, now=start + dt.timedelta(minutes=95))
    assert done.status == BookingStatus.COMPLETED and done.actual_minutes == 90
    assert done.charge_fen == HOURLY[UserClass.DISTRICT] * 90 // 60
    confirmed = services.booking_confirm_charge(actor=enterprise_user, booking=done)
    assert confirmed.charge_confirmed_at is not None
    with pytest.raises(ValidationError):
        services.booking_confirm_charge(actor=enterprise_user, booking=done)


def test_a_no_show_is_counted_and_charged_one_slot(instrument, owner_user, enterprise_user, enterprise_org):
    start = next_weekday_at(9)
    booking = book(enterprise_user, enterprise_org, instrument, start, hours=3)
    with pytest.raises(ValidationError):
        services.booking_no_show(actor=owner_user, booking=booking, now=start - H)
    missed = services.booking_no_show(actor=owner_user, booking=booking, now=start + H)
    assert missed.status == BookingStatus.NO_SHOW and missed.charge_fen == HOURLY[UserClass.DISTRICT]
    assert Booking.objects.filter(organization=enterprise_org, status=BookingStatus.NO_SHOW).count() == 1


def test_retired_and_sample_only_instruments_take_no_machine_time(owner_org, enterprise_user, enterprise_org):
    sample_only = make_instrument(owner_org, service_mode=ServiceMode.SAMPLE)
    with pytest.raises(ValidationError, match="只接受委托测试"):
        book(enterprise_user, enterprise_org, sample_only, next_weekday_at(9))
    retired = make_instrument(owner_org, status=InstrumentStatus.RETIRED)
    with pytest.raises(ValidationError, match="不在用"):
        book(enterprise_user, enterprise_org, retired, next_weekday_at(9))


def test_nobody_books_for_another_organization(instrument, enterprise_user, other_enterprise_org):
    with pytest.raises(PermissionDenied):
        book(enterprise_user, other_enterprise_org, instrument, next_weekday_at(9))


def test_the_sample_testing_flow_from_submission_to_confirmation(
    instrument, owner_user, enterprise_user, enterprise_org, other_enterprise_user, media_root
):
    request = services.sample_request_submit(
        actor=enterprise_user,
        instrument=instrument,
        organization=enterprise_org,
        sample_count=3,
        sample_description="硅基MEMS芯片截面样品 3 片",
        requirements="观察截面形貌，放大 5 万倍",
    )
    assert request.status == SampleStatus.SUBMITTED and request.code.startswith("WT-")
    with pytest.raises(PermissionDenied):
        services.sample_request_accept(actor=enterprise_user, sample_request=request)
    services.sample_request_accept(actor=owner_user, sample_request=request)
    with pytest.raises(ValidationError):
        services.sample_request_report(
            actor=owner_user, sample_request=request, report=minimal_pdf(), report_name="报告.pdf"
        )
    services.sample_request_receive(actor=owner_user, sample_request=request)
    with pytest.raises(ValidationError):
        services.sample_request_report(
            actor=owner_user, sample_request=request, report=b"<html>x</html>", report_name="报告.html"
        )
    reported = services.sample_request_report(
        actor=owner_user, sample_request=request, report=minimal_pdf("SEM report"), report_name="检测报告.pdf"
    )
    assert reported.status == SampleStatus.REPORTED
    assert reported.charge_fen == 3 * PER_SAMPLE[UserClass.DISTRICT]
    with pytest.raises(PermissionDenied):
        services.sample_request_confirm(actor=other_enterprise_user, sample_request=reported)
    confirmed = services.sample_request_confirm(actor=enterprise_user, sample_request=reported)
    assert confirmed.status == SampleStatus.CONFIRMED
