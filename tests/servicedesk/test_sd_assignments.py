"""一企一专员: assignment history, the workload board and its balancing suggestions."""

from __future__ import annotations

import pytest

from kechuang.directory.models import Organization
from kechuang.servicedesk import selectors, services
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import Assignment
from kechuang.testing.factories import OrganizationFactory, ParkFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(desk):
    second = user_with_role("commissioner", None, username="comm2")
    park = ParkFactory(code="P-SD")
    orgs = [OrganizationFactory(name=f"均衡测试企业{i}", park=park if i < 3 else None) for i in range(6)]
    return {**desk, "second": second, "orgs": orgs, "park": park}


def test_suggestions_cover_every_unassigned_enterprise_and_keep_the_load_balanced(team):
    suggestions = selectors.assignment_suggestions()
    unassigned = set(selectors.unassigned_enterprises().values_list("pk", flat=True))
    assert {s.organization.pk for s in suggestions} == unassigned
    per_user: dict[int, int] = {}
    for s in suggestions:
        per_user[s.commissioner.pk] = per_user.get(s.commissioner.pk, 0) + 1
    # comm already serves one (key) enterprise; the suggestions even it out
    assert abs(per_user.get(team["second"].pk, 0) - per_user.get(team["commissioner"].pk, 0)) <= 3


def test_enterprises_in_the_same_park_go_to_the_same_commissioner_when_loads_allow(team):
    park_ids = {o.pk for o in team["orgs"][:3]}
    chosen = {s.commissioner.pk for s in selectors.assignment_suggestions() if s.organization.pk in park_ids}
    assert len(chosen) == 1


def test_apply_suggestions_assigns_everyone_and_records_history(team):
    done = services.assignments_apply_suggestions(actor=team["operator"])
    assert len(done) == Organization.objects.filter(kind="enterprise").count() - 1
    assert selectors.unassigned_enterprises().count() == 0
    loads = {w.user.pk: w.enterprises for w in selectors.workload()}
    assert sum(loads.values()) == Organization.objects.filter(kind="enterprise").count()


def test_workload_counts_open_and_breached_requests(team, file_request, frozen):
    from sd_helpers import at

    file_request(when=at(2026, 3, 16, 10))
    frozen.set(at(2026, 3, 18, 10))
    row = next(w for w in selectors.workload() if w.user == team["commissioner"])
    assert (row.enterprises, row.key_enterprises, row.open_requests, row.breached_open) == (1, 1, 1, 1)
    assert row.score == 1 + 1 + 2 + 4


def test_rebalance_hint_names_who_should_hand_over_enterprises(team):
    for org in team["orgs"]:
        services.assignment_set(
            actor=team["operator"],
            organization=org,
            role=AssignmentRole.COMMISSIONER,
            user=team["commissioner"],
        )
    hints = selectors.rebalance_hints(selectors.workload())
    assert hints and hints[0]["from"] == team["commissioner"] and hints[0]["to"] == team["second"]


def test_reassigning_to_the_same_person_changes_nothing(team):
    before = Assignment.objects.count()
    services.assignment_set(
        actor=team["operator"],
        organization=team["org"],
        role=AssignmentRole.COMMISSIONER,
        user=team["commissioner"],
    )
    assert Assignment.objects.count() == before


def test_ending_an_assignment_keeps_it_in_history(team):
    ended = services.assignment_end(
        actor=team["operator"], organization=team["org"], role=AssignmentRole.LEADER, reason="调整分工"
    )
    assert ended.ended_at is not None and ended.end_reason == "调整分工"
    assert selectors.unassigned_key_enterprises().filter(pk=team["org"].pk).exists()
