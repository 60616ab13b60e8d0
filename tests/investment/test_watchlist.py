"""稳商: the watch list opens exactly one case per firm and signal, however often it runs, and closes it
when the signal clears (a lease renewed); cases close as kept or lost with reasons (issue 18 item 6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kechuang.directory.models import Building
from kechuang.investment import selectors, services
from kechuang.investment.choices import RetentionSignal, RetentionStatus
from kechuang.investment.models import RetentionCase
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.services import assignment_set
from kechuang.spaces import services as space_services
from kechuang.spaces.choices import SpaceType, UnitStatus
from kechuang.spaces.models import SpaceUnit

pytestmark = pytest.mark.django_db


def make_unit(block, code: str) -> SpaceUnit:
    building, _ = Building.objects.get_or_create(
        code="hub", defaults={"name": "菊东数字经济产业楼", "block": block}
    )
    return SpaceUnit.objects.create(
        code=f"hub-{code}",
        building=building,
        unit_code=code,
        floor=3,
        area_m2=Decimal("300"),
        space_type=SpaceType.OFFICE,
        rent_fen_per_m2_day=400,
        status=UnitStatus.VACANT,
    )


@pytest.fixture
def ending_lease(frozen, operator, commissioner, enterprise_org, block):
    assignment_set(
        actor=None, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=commissioner
    )
    today = frozen().date()
    return space_services.lease_sign(
        actor=operator,
        unit=make_unit(block, "301"),
        organization=enterprise_org,
        start_date=today - dt.timedelta(days=900),
        end_date=today + dt.timedelta(days=120),
    )


def cases(signal: str = RetentionSignal.LEASE_ENDING):
    return RetentionCase.objects.filter(signal=signal)


def test_a_lease_ending_without_renewal_opens_one_case_however_often_the_job_runs(ending_lease, commissioner):
    first = services.watchlist_build()
    second = services.watchlist_build()
    assert len(first.opened) == 1 and second.opened == []
    case = cases().get()
    assert case.organization == ending_lease.organization and case.signal_ref == ending_lease.code
    assert case.owner == commissioner and case.status == RetentionStatus.OPEN
    assert ending_lease.code in case.detail


def test_the_case_closes_when_the_lease_is_renewed(ending_lease, operator, block):
    services.watchlist_build()
    space_services.lease_sign(
        actor=operator,
        unit=make_unit(block, "302"),
        organization=ending_lease.organization,
        start_date=ending_lease.end_date + dt.timedelta(days=1),
        end_date=ending_lease.end_date + dt.timedelta(days=1096),
    )
    report = services.watchlist_build()
    case = cases().get()
    assert report.cleared == [case.code] and case.status == RetentionStatus.CLEARED and case.closed_at
    assert services.watchlist_build().opened == []  # no new case once renewed


def test_a_lease_ending_later_than_six_months_is_not_a_signal(frozen, operator, enterprise_org, block):
    today = frozen().date()
    space_services.lease_sign(
        actor=operator,
        unit=make_unit(block, "303"),
        organization=enterprise_org,
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=400),
    )
    services.watchlist_build()
    assert not cases().exists()


def test_repeated_requests_open_a_case_for_the_firm(frozen, enterprise_org, enterprise_user):
    from kechuang.servicedesk import services as desk

    for index in range(3):
        desk.request_file(
            actor=enterprise_user,
            organization=enterprise_org,
            category="policy",
            title=f"政策咨询{index}",
            text="请答复",
        )
    services.watchlist_build()
    services.watchlist_build()
    assert cases(RetentionSignal.REQUESTS).count() == 1


def test_a_stated_plan_to_move_is_entered_by_hand_once_and_closed_with_a_reason(
    frozen, commissioner, operator, enterprise_org, other_enterprise_org
):
    case = services.retention_case_open(
        actor=commissioner, organization=enterprise_org, signal=RetentionSignal.MOVE_PLAN, detail="拟迁往苏州"
    )
    with pytest.raises(ValidationError, match="未结案件"):
        services.retention_case_open(
            actor=commissioner, organization=enterprise_org, signal=RetentionSignal.MOVE_PLAN, detail="再次"
        )
    services.retention_action_add(
        actor=commissioner, case=case, text="分管领导上门走访", due_on=dt.date(2026, 3, 20)
    )
    with pytest.raises(ValidationError, match="原因"):
        services.retention_case_close(actor=commissioner, case=case, outcome=RetentionStatus.KEPT, reason="")
    services.retention_case_close(
        actor=commissioner, case=case, outcome=RetentionStatus.KEPT, reason="解决扩租需求"
    )
    lost = services.retention_case_open(
        actor=operator, organization=other_enterprise_org, signal=RetentionSignal.MOVE_PLAN, detail="总部搬迁"
    )
    with pytest.raises(ValidationError, match="原因"):  # a lost firm needs a reason from the list
        services.retention_case_close(actor=operator, case=lost, outcome=RetentionStatus.LOST, reason="搬迁")
    services.retention_case_close(
        actor=operator,
        case=lost,
        outcome=RetentionStatus.LOST,
        reason_code="elsewhere",
        reason="集团总部统一搬迁",
    )
    figures = selectors.retention_figures(actor=operator)
    assert (figures["firms_kept"], figures["firms_lost"]) == (1, 1)
    by_reason = {row["code"]: row["n"] for row in figures["lost_reasons"]}
    assert by_reason["elsewhere"] == 1 and sum(by_reason.values()) == 1
    assert figures["lost_reasons"][0]["label"] == "选址外地"
    # a manual case is never closed by the job
    services.retention_case_open(
        actor=operator, organization=enterprise_org, signal=RetentionSignal.MOVE_PLAN, detail="又提迁出"
    )
    services.watchlist_build()
    assert RetentionCase.objects.filter(status=RetentionStatus.OPEN).count() == 1


def test_one_breached_request_is_not_a_signal_but_two_are(frozen, enterprise_org, enterprise_user):
    from kechuang.servicedesk import services as desk
    from kechuang.servicedesk.models import ServiceRequest

    first = desk.request_file(
        actor=enterprise_user, organization=enterprise_org, category="policy", title="政策咨询", text="请答复"
    )
    ServiceRequest.objects.filter(pk=first.pk).update(response_breached=True)
    services.watchlist_build()
    assert not cases(RetentionSignal.REQUESTS).exists()
    second = desk.request_file(
        actor=enterprise_user, organization=enterprise_org, category="space", title="用房咨询", text="请答复"
    )
    ServiceRequest.objects.filter(pk=second.pk).update(resolution_breached=True)
    services.watchlist_build()
    assert cases(RetentionSignal.REQUESTS).count() == 1
