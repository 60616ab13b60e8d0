"""Instrument pages: the public catalogue with filters and the week calendar; booking from the page with
the acting organization; the owner's desk (approve, check in, check out); my bookings (confirm the
charge); the operators' overview; query budgets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from instruments_helpers import HOURLY, make_instrument, next_weekday_at

from kechuang.instruments.choices import ApprovalRule, BookingStatus, ServiceMode, UserClass
from kechuang.instruments.models import Booking

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_the_catalogue_is_public_and_filters(client, owner_org, instrument, django_assert_max_num_queries):
    make_instrument(owner_org, name="傅里叶变换红外光谱仪", service_mode=ServiceMode.SAMPLE)
    for n in range(8):
        make_instrument(owner_org, name=f"示波器{n}")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("instruments:instrument-list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "场发射扫描电子显微镜" in text and "共 10 台仪器" in text
    found = client.get(reverse("instruments:instrument-list"), {"q": "红外"}).content.decode()
    assert "傅里叶变换红外光谱仪" in found and "场发射扫描电子显微镜" not in found
    self_only = client.get(reverse("instruments:instrument-list"), {"mode": "self"}).content.decode()
    assert "傅里叶变换红外光谱仪" not in self_only
    assert (
        "共 0 台仪器"
        in client.get(reverse("instruments:instrument-list"), {"category": "05"}).content.decode()
    )


def test_the_detail_shows_the_week_calendar_and_the_rate_card(
    client, instrument, enterprise_org, enterprise_user
):
    start = next_weekday_at(10)
    Booking.objects.create(
        code="YY-P-1",
        instrument=instrument,
        organization=enterprise_org,
        user=enterprise_user,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status=BookingStatus.CONFIRMED,
        user_class="district",
    )
    week = start.date() - dt.timedelta(days=start.date().weekday())
    page = client.get(
        reverse("instruments:instrument-detail", args=[instrument.code]), {"week": week.isoformat()}
    )
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="week-calendar"' in text
    assert "已约" in text and 'data-testid="slot-free"' in text
    assert "400 元" in text or "400.00" in text
    assert 'data-testid="booking-form"' not in text  # anonymous: no form


def test_book_from_the_page_then_the_owner_approves_checks_in_and_out(
    client, owner_org, owner_user, enterprise_user, enterprise_org
):
    instrument = make_instrument(owner_org, rule=ApprovalRule.OWNER)
    start = next_weekday_at(9)
    login(client, enterprise_user)
    answer = client.post(
        reverse("instruments:booking-create", args=[instrument.code]),
        {"start_at": start.strftime("%Y-%m-%dT%H:%M"), "slots": 2, "purpose": "MEMS 器件形貌"},
        follow=True,
    )
    assert "等待管理方审批" in answer.content.decode()
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED and booking.booked_minutes == 120
    # the enterprise cannot approve its own booking
    assert (
        client.post(reverse("instruments:booking-action", args=[booking.code, "approve"])).status_code == 403
    )
    login(client, owner_user)
    desk = client.get(reverse("instruments:owner-queue")).content.decode()
    assert booking.code in desk
    client.post(reverse("instruments:booking-action", args=[booking.code, "approve"]))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    # check-in is refused this early: the message says why, nothing changes
    answer = client.post(reverse("instruments:booking-action", args=[booking.code, "check-in"]), follow=True)
    assert "30 分钟" in answer.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_refused_booking_shows_the_page_again_with_what_the_user_entered(
    client, owner_org, enterprise_user, enterprise_org
):
    """A refusal names its reason and keeps the form: the start, the slots and the purpose the user
    typed, with the calendar on the week they asked for (a redirect used to empty the form)."""
    instrument = make_instrument(owner_org, min_notice_hours=240)
    start = next_weekday_at(9, days_ahead=7)
    login(client, enterprise_user)
    typed = timezone.localtime(start).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(
        reverse("instruments:booking-create", args=[instrument.code]),
        {"start_at": typed, "slots": 3, "purpose": "薄膜厚度测量"},
    )
    text = answer.content.decode()
    assert answer.status_code == 200 and "至少提前 240 小时" in text
    assert f'value="{typed}"' in text and 'value="3"' in text and 'value="薄膜厚度测量"' in text
    monday = start.date() - dt.timedelta(days=start.date().weekday())
    # the next-week link of that week, to the instrument's page (the refusal answers at the booking URL)
    next_week = f"{reverse('instruments:instrument-detail', args=[instrument.code])}?week={(monday + dt.timedelta(days=7)).isoformat()}"
    assert f'href="{next_week}"' in text and client.get(next_week).status_code == 200
    assert not Booking.objects.exists()
    # a form the service never sees (no start) is kept the same way, with its own message
    answer = client.post(
        reverse("instruments:booking-create", args=[instrument.code]), {"slots": 2, "purpose": "再试一次"}
    )
    text = answer.content.decode()
    assert answer.status_code == 200 and "开始时间" in text and 'value="再试一次"' in text
    # a sample request refused for a missing description keeps its count and requirements
    instrument.service_mode = ServiceMode.BOTH
    instrument.save()
    answer = client.post(
        reverse("instruments:sample-create", args=[instrument.code]),
        {"sample_count": 4, "sample_description": "", "requirements": "测 XRD 图谱"},
    )
    text = answer.content.decode()
    assert answer.status_code == 200 and 'value="4"' in text and "测 XRD 图谱</textarea>" in text


def test_check_out_with_actual_minutes_then_the_booker_confirms_the_charge(
    client, instrument, owner_user, enterprise_user, enterprise_org
):
    start = next_weekday_at(9)
    booking = Booking.objects.create(
        code="YY-P-2",
        instrument=instrument,
        organization=enterprise_org,
        user=enterprise_user,
        start_at=start,
        end_at=start + dt.timedelta(hours=2),
        status=BookingStatus.CHECKED_IN,
        checked_in_at=start,
        user_class=UserClass.DISTRICT,
        rate_fen=HOURLY[UserClass.DISTRICT],
    )
    login(client, owner_user)
    client.post(
        reverse("instruments:booking-action", args=[booking.code, "check-out"]), {"actual_minutes": 90}
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED and booking.charge_fen == 60_000
    login(client, enterprise_user)
    mine = client.get(reverse("instruments:booking-list")).content.decode()
    assert 'data-testid="confirm-charge"' in mine
    client.post(reverse("instruments:booking-action", args=[booking.code, "confirm-charge"]))
    booking.refresh_from_db()
    assert booking.charge_confirmed_at is not None


def test_another_enterprise_gets_404_on_a_booking_and_the_overview_is_staff_only(
    client, instrument, enterprise_user, enterprise_org, other_enterprise_user, operator
):
    start = next_weekday_at(9)
    booking = Booking.objects.create(
        code="YY-P-3",
        instrument=instrument,
        organization=enterprise_org,
        user=enterprise_user,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status=BookingStatus.CONFIRMED,
        user_class="district",
    )
    login(client, other_enterprise_user)
    assert (
        client.post(reverse("instruments:booking-action", args=[booking.code, "cancel"])).status_code == 404
    )
    assert client.get(reverse("instruments:overview")).status_code == 403
    assert client.get(reverse("instruments:owner-queue")).status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    login(client, operator)
    page = client.get(reverse("instruments:overview"))
    assert page.status_code == 200 and "共享仪器机时" in page.content.decode()
    # the page's figures must not hide the district profile every page's header shows (they did, as
    # "district": the header fell back to the generic name)
    from kechuang.directory.selectors import district_profile

    name = district_profile().get("platform_name")
    assert name and f'<span class="kc-brand-name">{name}</span>' in page.content.decode()


def test_the_booker_rates_a_completed_booking_once_and_the_figures_show_it(
    client, instrument, owner_user, enterprise_user, enterprise_org, other_enterprise_user
):
    from django.utils import timezone as tz

    start = tz.now() - dt.timedelta(days=3)
    booking = Booking.objects.create(
        code="YY-P-9",
        instrument=instrument,
        organization=enterprise_org,
        user=enterprise_user,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status=BookingStatus.COMPLETED,
        actual_minutes=60,
        charge_fen=40_000,
        user_class=UserClass.DISTRICT,
        rate_fen=40_000,
    )
    login(client, other_enterprise_user)
    assert (
        client.post(reverse("instruments:booking-rate", args=[booking.code]), {"score": 1}).status_code == 404
    )
    login(client, enterprise_user)
    assert 'data-testid="rate-form"' in client.get(reverse("instruments:booking-list")).content.decode()
    client.post(
        reverse("instruments:booking-rate", args=[booking.code]), {"score": 4, "comment": "操作指导细致"}
    )
    answer = client.post(reverse("instruments:booking-rate", args=[booking.code]), {"score": 5}, follow=True)
    assert "已经评价过" in answer.content.decode()
    assert 'data-testid="rate-form"' not in client.get(reverse("instruments:booking-list")).content.decode()
    login(client, owner_user)
    detail = client.get(reverse("instruments:instrument-detail", args=[instrument.code])).content.decode()
    assert "4.0（1）" in detail


def test_the_detail_states_the_booking_terms_without_a_zero_hour_notice(client, owner_org):
    strict = make_instrument(owner_org, name="透射电镜", min_notice_hours=24, free_cancel_hours=48)
    open_any_time = make_instrument(owner_org, name="示波器", min_notice_hours=0, free_cancel_hours=0)

    def terms(instrument):
        text = client.get(reverse("instruments:instrument-detail", args=[instrument.code])).content.decode()
        start = text.index('data-testid="booking-terms">') + len('data-testid="booking-terms">')
        return text[start : text.index("</span>", start)]

    assert terms(strict) == "每时段 60 分钟。至少提前 24 小时预约。开始前 48 小时以上取消免费。"
    assert terms(open_any_time) == "每时段 60 分钟。无需提前预约。开始前取消均免费。"
