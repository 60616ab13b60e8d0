"""Demo data: leads across the stages, sources and clusters with the evidence each stage needs, key
projects with milestones and monthly status, the watch list from the demo's leases and requests; a
second run creates nothing; the demo accounts take over leads."""

from __future__ import annotations

import random

import pytest

from kechuang.directory.demo.generator import generate_directory
from kechuang.directory.profiles import load_profile
from kechuang.directory.profiles.apply import apply_profile
from kechuang.investment import demo
from kechuang.investment.choices import EVIDENCE_FOR, PIPELINE, LeadStage, LostReason
from kechuang.investment.models import KeyProject, Lead, RetentionCase, StageEvidence
from kechuang.servicedesk.demo import make_demo_service_desk
from kechuang.spaces import demo as spaces_demo
from kechuang.testing.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db):
    apply_profile("juyuan", profile=load_profile("juyuan"))
    generate_directory(district="juyuan", scale="tiny", seed=7)
    make_demo_service_desk(scale="tiny", seed=7, rng=random.Random("7:servicedesk"))
    spaces_demo.generate(scale="tiny", seed=7, rng=random.Random("7:spaces"))


def run():
    return demo.generate(scale="tiny", seed=7, rng=random.Random("7:investment"))


def test_demo_makes_leads_in_many_stages_with_their_evidence_and_key_projects(district):
    counts = run()
    assert counts["招商线索"] == demo.LEADS["tiny"] == Lead.objects.count()
    assert len(set(Lead.objects.values_list("stage", flat=True))) >= 5
    assert len(set(Lead.objects.values_list("source", flat=True))) >= 3
    assert all(lead.leader_id and lead.case_officer_id for lead in Lead.objects.all())
    for lead in Lead.objects.all():
        reached = (
            PIPELINE.index(lead.stage) if lead.stage in PIPELINE else PIPELINE.index(lead.closed_from_stage)
        )
        kinds = set(StageEvidence.objects.filter(lead=lead).values_list("kind", flat=True))
        assert kinds == {EVIDENCE_FOR[stage] for stage in PIPELINE[1 : reached + 1]}, lead.code
        if lead.stage in (LeadStage.REGISTERED, LeadStage.SETTLED, LeadStage.PRODUCING):
            assert lead.organization is not None and lead.organization.uscc == lead.uscc
        if not lead.is_open:
            assert lead.closed_reason_code in LostReason.values and lead.closed_reason
    assert counts["重点项目"] == KeyProject.objects.count() == demo.PROJECTS["tiny"]
    assert all(p.milestones.count() == 5 and p.reports.count() == 3 for p in KeyProject.objects.all())
    assert counts["稳商案件"] == RetentionCase.objects.count()


def test_a_second_run_creates_nothing(district):
    run()
    before = (Lead.objects.count(), KeyProject.objects.count(), RetentionCase.objects.count())
    again = run()
    assert again == {"招商线索": 0, "阶段材料": 0, "重点项目": 0, "稳商案件": 0}
    assert (Lead.objects.count(), KeyProject.objects.count(), RetentionCase.objects.count()) == before


def test_the_demo_accounts_take_over_leads(district, district_office):
    run()
    leader = user_with_role("leader", district_office, username="leader", is_demo=True)
    commissioner = user_with_role("commissioner", district_office, username="commissioner", is_demo=True)
    demo.attach_demo_accounts()
    assert (
        Lead.objects.filter(leader=leader).exists()
        and Lead.objects.filter(case_officer=commissioner).exists()
    )


def test_a_fresh_demo_has_consistent_clocks_and_its_first_scheduler_run_escalates_only_a_handful(district):
    from kechuang.investment import services
    from kechuang.notifications.models import Notification
    from kechuang.servicedesk import clock

    run()
    moment = clock.now()
    for lead in Lead.objects.all():
        assert lead.received_at <= lead.acknowledged_at <= lead.acknowledge_due_at, lead.code
        assert lead.acknowledged_at <= moment and lead.stage_entered_at <= moment
        if lead.assessed_at is not None:
            assert lead.received_at < lead.assessed_at <= lead.assessment_due_at, lead.code
        if lead.feedback_at is not None:
            assert lead.received_at < lead.feedback_at <= min(lead.feedback_due_at, moment), lead.code
        reached = set(StageEvidence.objects.filter(lead=lead).values_list("stage", flat=True))
        assert (lead.assessed_at is not None) == (LeadStage.ASSESSMENT in reached), lead.code
        times = list(
            StageEvidence.objects.filter(lead=lead).order_by("pk").values_list("recorded_at", flat=True)
        )
        assert times == sorted(times) and all(t <= moment for t in times), lead.code
    before = Notification.objects.count()
    report = services.clocks_tick(moment=moment)
    assert 1 <= len(report.escalated) <= demo.OVERDUE_UPDATES["tiny"], report.escalated
    assert all(item.endswith(":update") for item in report.escalated)
    assert Notification.objects.count() - before <= 2 * demo.OVERDUE_UPDATES["tiny"]
    assert services.clocks_tick(moment=moment).escalated == []
    assert services.milestones_tick(moment=moment) <= demo.PROJECTS["tiny"]


def test_the_demo_has_firms_kept_and_lost_with_reasons_from_the_list(district, operator):
    from kechuang.investment import selectors

    run()
    figures = selectors.retention_figures(actor=operator)
    assert figures["firms_kept"] >= 2 and figures["firms_lost"] >= 1
    assert sum(row["n"] for row in figures["lost_reasons"]) == figures["lost"]
    assert all(case.reason_code in LostReason.values for case in RetentionCase.objects.filter(status="lost"))
