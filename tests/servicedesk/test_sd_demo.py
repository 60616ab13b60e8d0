"""Demo data: every enterprise gets a commissioner, requests exist in every state with consistent
histories and clocks, a second run creates nothing, and the demo accounts get a portfolio."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count

from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.demo import attach_demo_accounts, make_demo_service_desk
from kechuang.servicedesk.models import Assignment, RequestEvent, ServiceRequest, Visit
from kechuang.servicedesk.services import ALLOWED_STEPS
from kechuang.testing.factories import OrganizationFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprises(db, district_office):
    return [OrganizationFactory(name=f"演示测试企业{i}", is_key=i % 5 == 0) for i in range(12)]


def run(scale: str = "tiny", seed: int = 7) -> dict[str, int]:
    return make_demo_service_desk(
        scale=scale, seed=seed, rng=random.Random(f"{seed}:servicedesk"), stdout=None
    )


def test_demo_assigns_everyone_and_makes_requests_in_every_state(enterprises):
    counts = run()
    assert counts["企业诉求"] == 24
    enterprise_count = Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).count()
    assert (
        Assignment.objects.filter(role=AssignmentRole.COMMISSIONER, ended_at__isnull=True).count()
        == enterprise_count
    )
    key = Organization.objects.filter(is_key=True).count()
    assert Assignment.objects.filter(role=AssignmentRole.LEADER, ended_at__isnull=True).count() == key
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert {"closed", "in_progress"} <= statuses
    assert not ServiceRequest.objects.filter(code__startswith="tmp-").exists()
    for request in ServiceRequest.objects.all():
        assert (
            request.response_due_at >= request.filed_at
            and request.resolution_due_at >= request.response_due_at
        )
        state = ""
        for event in request.events.order_by("created_at", "id"):
            if event.to_status:
                if event.from_status:
                    assert (event.from_status, event.to_status) in ALLOWED_STEPS
                assert event.from_status == state
                state = event.to_status
        assert state == request.status, request.code


def test_a_second_run_creates_nothing(enterprises):
    run()
    before = (
        ServiceRequest.objects.count(),
        RequestEvent.objects.count(),
        Assignment.objects.count(),
        Visit.objects.count(),
    )
    assert run() == {}
    after = (
        ServiceRequest.objects.count(),
        RequestEvent.objects.count(),
        Assignment.objects.count(),
        Visit.objects.count(),
    )
    assert after == before


def test_demo_accounts_get_a_portfolio_once_they_exist(enterprises, district_office):
    run()
    commissioner = user_with_role("commissioner", district_office, username="commissioner", is_demo=True)
    user_with_role("leader", district_office, username="leader", is_demo=True)
    enterprise_user = user_with_role("enterprise", enterprises[3], username="enterprise", is_demo=True)
    counts = attach_demo_accounts()
    assert counts["演示专员接手企业"] > 0 and counts["演示企业诉求"] == 3
    assert Assignment.objects.filter(
        user=commissioner, organization=enterprises[3], ended_at__isnull=True
    ).exists()
    own = ServiceRequest.objects.filter(organization=enterprises[3], created_by=enterprise_user)
    assert dict(own.values_list("status").annotate(n=Count("id"))) == {
        "submitted": 1,
        "in_progress": 1,
        "resolved": 1,
    }
    assert attach_demo_accounts() == {"演示专员接手企业": 0, "演示企业诉求": 0}
