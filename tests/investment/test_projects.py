"""Key projects (重点项目包保): the leader becomes the firm's 包保, milestones, issues linked to service-desk
requests, monthly status with its escalation path (issue 18 item 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from inv_helpers import at

from kechuang.investment import services
from kechuang.investment.choices import ProjectStatus
from kechuang.investment.models import ProjectStatusReport
from kechuang.notifications.models import Notification
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import Assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(frozen, operator, leader, enterprise_org):
    return services.project_create(
        actor=operator,
        name="智感二期扩产",
        leader=leader,
        organization=enterprise_org,
        departments=["planning", "development"],
        planned_investment_fen=30_000 * 1_000_000,
    )


def test_a_key_project_makes_its_leader_the_firms_baobao(project, leader, enterprise_org):
    assert project.code.startswith("ZD-2026-")
    current = Assignment.objects.get(
        organization=enterprise_org, role=AssignmentRole.LEADER, ended_at__isnull=True
    )
    assert current.user == leader


def test_only_operators_set_up_projects_and_leaders_must_be_leaders(frozen, commissioner, operator, leader):
    with pytest.raises(PermissionDenied):
        services.project_create(actor=commissioner, name="x", leader=commissioner)
    with pytest.raises(ValidationError, match="班子领导"):
        services.project_create(actor=operator, name="x", leader=commissioner)
    with pytest.raises(ValidationError, match="责任部门"):
        services.project_create(actor=operator, name="x", leader=leader, departments=["nowhere"])


def test_milestones_issues_and_their_resolution_through_a_service_request(
    project, leader, enterprise_org, enterprise_user
):
    from kechuang.servicedesk import services as desk

    milestone = services.milestone_add(
        actor=leader, project=project, title="设备进场", due_on=dt.date(2026, 3, 10)
    )
    request = desk.request_file(
        actor=enterprise_user,
        organization=enterprise_org,
        category="space",
        title="双回路供电增容",
        text="需 2000kVA",
    )
    issue = services.issue_raise(
        actor=leader,
        project=project,
        text="供电增容审批慢",
        department="planning",
        service_request_code=request.code,
    )
    assert issue.service_request == request
    with pytest.raises(ValidationError, match="诉求编号"):
        services.issue_raise(actor=leader, project=project, text="x", service_request_code="SQ-2026-999999")
    services.issue_resolve(actor=leader, issue=issue, resolution="供电局已批复")
    issue.refresh_from_db()
    assert issue.resolved_at is not None
    # the overdue milestone is told to the leader once, however often the job runs
    assert services.milestones_tick() == 1
    assert services.milestones_tick() == 0
    services.milestone_done(actor=leader, milestone=milestone)
    milestone.refresh_from_db()
    assert milestone.done_on == dt.date(2026, 3, 16)


def test_blocked_escalates_and_at_risk_twice_escalates(project, leader, frozen, district_office):
    from kechuang.testing.factories import user_with_role

    other_leader = user_with_role("leader", district_office, username="lead2")
    services.status_report(actor=leader, project=project, status=ProjectStatus.ON_TRACK)
    assert not Notification.objects.filter(kind="investment.project").exists()
    frozen.set(at(2026, 4, 15, 10))
    with pytest.raises(ValidationError, match="说明"):
        services.status_report(actor=leader, project=project, status=ProjectStatus.AT_RISK)
    services.status_report(actor=leader, project=project, status=ProjectStatus.AT_RISK, note="设备延期")
    assert not Notification.objects.filter(kind="investment.project").exists()  # first month at risk
    frozen.set(at(2026, 5, 15, 10))
    services.status_report(actor=leader, project=project, status=ProjectStatus.AT_RISK, note="仍未到货")
    project.refresh_from_db()
    assert project.status == ProjectStatus.AT_RISK and project.escalated_at is not None
    assert set(
        Notification.objects.filter(kind="investment.project").values_list("recipient", flat=True)
    ) == {
        leader.pk,
        other_leader.pk,
    }
    services.status_report(actor=leader, project=project, status=ProjectStatus.BLOCKED, note="供电未批")
    assert ProjectStatusReport.objects.filter(project=project).count() == 3  # May corrected, not added


def test_another_leader_cannot_report_on_the_project(project, district_office):
    from kechuang.testing.factories import user_with_role

    other_leader = user_with_role("leader", district_office, username="lead2")
    with pytest.raises(PermissionDenied):
        services.status_report(actor=other_leader, project=project, status=ProjectStatus.BLOCKED, note="x")


def test_an_issue_can_be_filed_as_the_firms_service_request(project, leader, commissioner, enterprise_org):
    from kechuang.servicedesk.choices import AssignmentRole
    from kechuang.servicedesk.services import assignment_set

    assignment_set(
        actor=None, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=commissioner
    )
    issue = services.issue_raise(
        actor=leader,
        project=project,
        text="环评批复时间过长",
        department="approval",
        file_request_category="approval",
    )
    request = issue.service_request
    assert request is not None and request.organization == enterprise_org
    assert request.commissioner == commissioner and project.code in request.title
    assert request.response_due_at is not None  # the service desk's clocks run on it
    orphan = services.project_create(actor=None, name="无企业的联合实验室", leader=leader)
    with pytest.raises(ValidationError, match="未关联"):
        services.issue_raise(actor=leader, project=orphan, text="x", file_request_category="approval")
