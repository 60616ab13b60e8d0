"""Request → viewing → reservation → lease → occupancy; release and re-let; refused transitions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from spaces_helpers import days

from kechuang.core.models import AuditEvent
from kechuang.spaces import selectors, services
from kechuang.spaces.choices import LeaseStatus, RequestStatus, ReservationStatus, UnitStatus, ViewingStatus

pytestmark = pytest.mark.django_db


def soon() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=2)


def test_full_journey_from_request_to_lease_then_release_and_relet(
    space_request, unit, enterprise_user, operator, enterprise_org, other_enterprise_org
):
    viewing = services.viewing_book(
        actor=enterprise_user, space_request=space_request, unit=unit, scheduled_at=soon()
    )
    assert viewing.status == ViewingStatus.REQUESTED
    services.viewing_confirm(actor=operator, viewing=viewing)
    services.viewing_complete(actor=operator, viewing=viewing)

    reservation = services.reservation_create(
        actor=operator,
        unit=unit,
        organization=enterprise_org,
        start_date=days(0),
        end_date=days(729),
        space_request=space_request,
    )
    unit.refresh_from_db()
    assert unit.status == UnitStatus.RESERVED

    lease = services.lease_sign(
        actor=operator,
        unit=unit,
        organization=enterprise_org,
        start_date=days(0),
        end_date=days(729),
        rent_fen_per_m2_day=270,
        reservation=reservation,
    )
    unit.refresh_from_db()
    reservation.refresh_from_db()
    space_request.refresh_from_db()
    assert (unit.status, unit.vacant_since) == (UnitStatus.LEASED, None)
    assert reservation.status == ReservationStatus.CONVERTED
    assert space_request.status == RequestStatus.FULFILLED
    assert lease.rent_fen_per_m2_day == 270 and lease.vacant_since == days(-30)

    # the tenant leaves in 100 days: the unit is free from that day, and may be let from it
    services.lease_release(actor=operator, lease=lease, free_from=days(100))
    lease.refresh_from_db()
    assert (lease.status, lease.end_date, lease.contract_end_date) == (LeaseStatus.ENDED, days(99), days(729))
    unit.refresh_from_db()
    assert unit.status == UnitStatus.LEASED  # still occupied until then
    with pytest.raises(ValidationError, match="该房源在此期间已被预订"):
        services.lease_sign(
            actor=operator,
            unit=unit,
            organization=other_enterprise_org,
            start_date=days(99),
            end_date=days(400),
        )
    relet = services.lease_sign(
        actor=operator, unit=unit, organization=other_enterprise_org, start_date=days(100), end_date=days(400)
    )
    assert relet.status == LeaseStatus.ACTIVE
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "spaces.request.create",
        "spaces.viewing.book",
        "spaces.reservation.create",
        "spaces.lease.sign",
        "spaces.lease.release",
    } <= actions


def test_release_today_frees_the_unit_at_once(unit, operator, enterprise_org):
    lease = services.lease_sign(
        actor=operator, unit=unit, organization=enterprise_org, start_date=days(-200), end_date=days(500)
    )
    services.lease_release(actor=operator, lease=lease)
    unit.refresh_from_db()
    assert (unit.status, unit.vacant_since) == (UnitStatus.VACANT, days(0))
    assert selectors.vacancy_figures()["vacant_units"] == 1


def test_overlapping_reservation_is_refused_with_a_clean_chinese_message(
    unit, operator, enterprise_org, other_enterprise_org
):
    services.reservation_create(
        actor=operator, unit=unit, organization=enterprise_org, start_date=days(1), end_date=days(30)
    )
    with pytest.raises(ValidationError) as caught:
        services.reservation_create(
            actor=operator,
            unit=unit,
            organization=other_enterprise_org,
            start_date=days(20),
            end_date=days(60),
        )
    assert caught.value.messages == ["该房源在此期间已被预订"]


def test_cancelled_reservation_frees_the_unit_and_keeps_its_vacancy_clock(unit, operator, enterprise_org):
    reservation = services.reservation_create(
        actor=operator, unit=unit, organization=enterprise_org, start_date=days(1), end_date=days(30)
    )
    services.reservation_cancel(actor=operator, reservation=reservation)
    unit.refresh_from_db()
    assert (unit.status, unit.vacant_since) == (UnitStatus.VACANT, days(-30))
    with pytest.raises(ValidationError):
        services.reservation_cancel(actor=operator, reservation=reservation)
    with pytest.raises(ValidationError, match="不能转为租约"):
        services.lease_sign(
            actor=operator,
            unit=unit,
            organization=enterprise_org,
            start_date=days(1),
            end_date=days(30),
            reservation=reservation,
        )


@pytest.mark.parametrize(
    "start,end,message",
    [
        (10, 5, "截止日不能早于起始日"),
        (0, 20 * 366 + 1, "期限不能超过 20 年"),
        (-30, -1, "预订截止日不能早于今天"),
    ],
)
def test_bad_periods_are_refused(unit, operator, enterprise_org, start, end, message):
    with pytest.raises(ValidationError, match=message):
        services.reservation_create(
            actor=operator, unit=unit, organization=enterprise_org, start_date=days(start), end_date=days(end)
        )


def test_viewing_transitions_refuse_impossible_moves(space_request, unit, enterprise_user, operator):
    viewing = services.viewing_book(
        actor=enterprise_user, space_request=space_request, unit=unit, scheduled_at=soon()
    )
    with pytest.raises(ValidationError, match="请勿重复预约"):
        services.viewing_book(
            actor=enterprise_user, space_request=space_request, unit=unit, scheduled_at=soon()
        )
    services.viewing_cancel(actor=enterprise_user, viewing=viewing)
    for move in (services.viewing_confirm, services.viewing_complete, services.viewing_cancel):
        with pytest.raises(ValidationError):
            move(actor=operator, viewing=viewing)
    with pytest.raises(ValidationError, match="必须晚于现在"):
        services.viewing_book(
            actor=enterprise_user,
            space_request=space_request,
            unit=unit,
            scheduled_at=timezone.now() - dt.timedelta(hours=1),
        )


def test_enterprise_cannot_confirm_its_own_viewing_and_park_operator_can(
    space_request, unit, enterprise_user, park_operator
):
    viewing = services.viewing_book(
        actor=enterprise_user, space_request=space_request, unit=unit, scheduled_at=soon()
    )
    with pytest.raises(PermissionDenied):
        services.viewing_confirm(actor=enterprise_user, viewing=viewing)
    assert services.viewing_confirm(actor=park_operator, viewing=viewing).status == ViewingStatus.CONFIRMED


def test_cancelling_a_request_cancels_its_open_viewings(space_request, unit, enterprise_user):
    viewing = services.viewing_book(
        actor=enterprise_user, space_request=space_request, unit=unit, scheduled_at=soon()
    )
    services.space_request_cancel(actor=enterprise_user, space_request=space_request)
    viewing.refresh_from_db()
    assert viewing.status == ViewingStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.viewing_book(
            actor=enterprise_user, space_request=space_request, unit=unit, scheduled_at=soon()
        )


def test_request_area_range_must_be_ordered(enterprise_user, enterprise_org):
    with pytest.raises(ValidationError) as caught:
        services.space_request_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title="x",
            area_min_m2=Decimal(300),
            area_max_m2=Decimal(100),
        )
    assert "area_max_m2" in caught.value.message_dict


def test_daily_refresh_marks_an_expired_lease_vacant_from_the_next_day(unit, operator, enterprise_org):
    services.lease_sign(
        actor=operator, unit=unit, organization=enterprise_org, start_date=days(-100), end_date=days(-1)
    )
    unit.refresh_from_db()
    assert unit.status == UnitStatus.VACANT and unit.vacant_since == days(0)
    assert services.units_refresh_status() == 0  # already right: idempotent
