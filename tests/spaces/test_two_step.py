"""Reservation then lease, the spaces module's two steps (docs/reliability.md, two-step decisions): the
lease of a reservation for its own period never fails on what the reservation was accepted with, even
with another hold right after it; whoever signs may decide differently (a shorter period, another
rent) or cancel the reservation instead; a period beyond the reservation is checked like a new hold."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from spaces_helpers import days

from kechuang.spaces import services
from kechuang.spaces.choices import LeaseStatus, ReservationStatus


def _reserve(unit, actor, organization, start, end):
    return services.reservation_create(
        actor=actor, unit=unit, organization=organization, start_date=start, end_date=end
    )


@pytest.mark.django_db
def test_a_reservation_always_converts_for_its_own_period_and_may_convert_shorter(
    unit, operator, park_operator, enterprise_org, other_enterprise_org
):
    held = _reserve(unit, operator, enterprise_org, days(1), days(30))
    _reserve(unit, operator, other_enterprise_org, days(31), days(90))  # the next hold, back to back
    lease = services.lease_sign(
        actor=park_operator,  # another person than the one who reserved: the same rules
        unit=unit,
        organization=enterprise_org,
        start_date=held.start_date,
        end_date=held.end_date,
        reservation=held,
    )
    assert lease.status == LeaseStatus.ACTIVE and lease.reservation_id == held.pk
    held.refresh_from_db()
    assert held.status == ReservationStatus.CONVERTED


@pytest.mark.django_db
def test_the_signer_may_decide_differently_shorter_or_cancel(
    unit, operator, enterprise_org, other_enterprise_org
):
    held = _reserve(unit, operator, enterprise_org, days(1), days(60))
    shorter = services.lease_sign(
        actor=operator,
        unit=unit,
        organization=enterprise_org,
        start_date=days(1),
        end_date=days(20),
        rent_fen_per_m2_day=250,
        reservation=held,
    )
    assert (shorter.end_date, shorter.rent_fen_per_m2_day) == (days(20), 250)

    other = _reserve(unit, operator, other_enterprise_org, days(100), days(130))
    assert (
        services.reservation_cancel(actor=operator, reservation=other).status == ReservationStatus.CANCELLED
    )


@pytest.mark.django_db
def test_a_lease_beyond_its_reservation_is_checked_like_a_new_hold(
    unit, operator, enterprise_org, other_enterprise_org
):
    held = _reserve(unit, operator, enterprise_org, days(1), days(30))
    _reserve(unit, operator, other_enterprise_org, days(31), days(90))
    with pytest.raises(ValidationError) as caught:
        services.lease_sign(
            actor=operator,
            unit=unit,
            organization=enterprise_org,
            start_date=days(1),
            end_date=days(60),
            reservation=held,
        )
    assert "已被预订" in " ".join(caught.value.messages)
    held.refresh_from_db()
    assert held.status == ReservationStatus.ACTIVE  # nothing changed: the signer may sign for its period
