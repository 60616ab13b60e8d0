"""Two reservations racing for the same unit and period on PostgreSQL, with real parallel connections:
exactly one succeeds, the other gets a clean "该房源在此期间已被预订"; the same for leases."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from spaces_helpers import days

from kechuang.spaces import services
from kechuang.spaces.choices import LeaseStatus, ReservationStatus, UnitStatus
from kechuang.spaces.models import Lease, Reservation, SpaceUnit
from kechuang.testing.concurrency import concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _split(results: list[Any], kind: type) -> tuple[list[Any], list[Any]]:
    ok = [r for r in results if isinstance(r, kind)]
    errors = [r for r in results if not isinstance(r, kind)]
    return ok, errors


@pytest.mark.parametrize("attempt", range(3))
def test_two_racing_reservations_for_one_unit_and_period_give_exactly_one_success(
    attempt, unit, operator, enterprise_org, other_enterprise_org
):
    organizations = [enterprise_org, other_enterprise_org]
    unit_pk = unit.pk

    def reserve(index: int) -> Reservation:
        return services.reservation_create(
            actor=operator,
            unit=SpaceUnit.objects.get(pk=unit_pk),
            organization=organizations[index],
            start_date=days(10 + index),
            end_date=days(400),
        )

    ok, errors = _split(concurrently(2, reserve), Reservation)
    assert len(ok) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert errors[0].messages == ["该房源在此期间已被预订"]
    assert Reservation.objects.filter(status=ReservationStatus.ACTIVE).count() == 1
    assert SpaceUnit.objects.get(pk=unit_pk).status == UnitStatus.RESERVED


def test_eight_racing_direct_leases_leave_one_holder(unit, operator, enterprise_org):
    unit_pk = unit.pk

    def sign(index: int) -> Lease:
        return services.lease_sign(
            actor=operator,
            unit=SpaceUnit.objects.get(pk=unit_pk),
            organization=enterprise_org,
            start_date=days(index),
            end_date=days(300),
        )

    ok, errors = _split(concurrently(8, sign), Lease)
    assert len(ok) == 1
    assert all(isinstance(e, ValidationError) and e.messages == ["该房源在此期间已被预订"] for e in errors), (
        errors
    )
    assert Lease.objects.filter(status=LeaseStatus.ACTIVE).count() == 1


def test_without_the_unit_lock_the_database_still_refuses_the_second_lease(
    unit, enterprise_org, other_enterprise_org
):
    """Bypass the service: two connections insert overlapping leases at once; the exclusion constraint
    lets exactly one commit. PostgreSQL refuses the other either as a constraint violation or, when both
    inserts wait on each other while checking the constraint (and the code counter), as a deadlock
    victim; both are the database's refusal."""
    from django.db import IntegrityError, OperationalError, transaction

    from kechuang.spaces.models import new_code

    organizations = [enterprise_org, other_enterprise_org]

    def insert(index: int) -> Lease:
        with transaction.atomic():
            return Lease.objects.create(
                code=new_code("LS"),
                unit_id=unit.pk,
                organization=organizations[index],
                start_date=days(0),
                end_date=days(100),
                contract_end_date=days(100),
                rent_fen_per_m2_day=280,
                signed_on=days(0),
            )

    ok, errors = _split(concurrently(2, insert), Lease)
    assert len(ok) == 1
    assert len(errors) == 1, errors
    refused = errors[0]
    assert isinstance(refused, IntegrityError) or (
        isinstance(refused, OperationalError) and "deadlock detected" in str(refused)
    ), refused
    assert Lease.objects.filter(unit_id=unit.pk).count() == 1
