"""Working-day clocks of a lead on the service desk's calendar; a breach escalates once to the leader,
however often the scheduler runs (issue 18 item 2)."""

from __future__ import annotations

import pytest
from inv_helpers import advance, at, lead_input

from kechuang.core.jobs import JobContext, get_job
from kechuang.investment import services
from kechuang.investment.choices import ActivityKind, LeadClock
from kechuang.investment.models import LeadEscalation
from kechuang.notifications.models import Notification
from kechuang.servicedesk.choices import CalendarDayKind
from kechuang.servicedesk.models import CalendarDay

pytestmark = pytest.mark.django_db


def run_job(moment):
    job = get_job("investment-clocks")
    assert job is not None
    return job.run(JobContext(name=job.name, due_at=moment, started_at=moment))


def escalations(lead):
    return sorted(LeadEscalation.objects.filter(lead=lead).values_list("clock", flat=True))


def test_the_clocks_skip_holidays_of_the_calendar(frozen, operator):
    CalendarDay.objects.create(date=at(2026, 3, 17).date(), kind=CalendarDayKind.HOLIDAY, name="测试假日")
    lead = services.lead_create(actor=operator, data=lead_input())
    local = lead.acknowledge_due_at.astimezone(services.clock.TZ)
    assert (local.date().isoformat(), local.hour) == ("2026-03-18", 10)


def test_a_breached_clock_escalates_once_when_the_job_runs_twice(lead, leader, commissioner, frozen):
    frozen.set(at(2026, 3, 17, 11))  # one working day and an hour later: not acknowledged
    first = run_job(frozen())
    second = run_job(frozen())
    assert escalations(lead) == [LeadClock.ACKNOWLEDGE]
    assert "升级 1 项" in first and "升级 0 项" in second
    to_leader = Notification.objects.filter(recipient=leader, dedupe_key__startswith=f"zs:{lead.pk}:")
    assert to_leader.count() == 1
    assert (
        Notification.objects.filter(recipient=commissioner, dedupe_key__startswith=f"zs:{lead.pk}:").count()
        == 1
    )
    assert lead.activities.filter(kind=ActivityKind.ESCALATED).count() == 1


def test_nothing_escalates_before_the_due_time_or_after_the_work_is_done(lead, commissioner, frozen):
    frozen.set(at(2026, 3, 17, 9, 59))
    services.clocks_tick()
    assert escalations(lead) == []
    services.lead_acknowledge(actor=commissioner, lead=lead)
    advance(commissioner, lead, "研判通过")
    services.lead_record(actor=commissioner, lead=lead, text="已告知企业研判结论", feedback=True)
    frozen.set(at(2026, 3, 27, 10))  # past assessment and feedback dues, within the update clock
    services.clocks_tick()
    assert escalations(lead) == []


def test_a_stalled_stage_escalates_each_missed_update(lead, commissioner, leader, frozen):
    services.lead_acknowledge(actor=commissioner, lead=lead)
    advance(commissioner, lead, "研判通过")
    services.lead_record(actor=commissioner, lead=lead, text="已反馈企业", feedback=True)
    frozen.set(at(2026, 3, 30, 10, 30))  # ten working days without an update
    services.clocks_tick()
    services.clocks_tick()
    assert escalations(lead) == [LeadClock.UPDATE]
    services.lead_record(actor=commissioner, lead=lead, text="企业在比较两地方案")
    frozen.set(at(2026, 4, 14, 11))  # another ten working days
    services.clocks_tick()
    assert escalations(lead) == [LeadClock.UPDATE, LeadClock.UPDATE]
    assert Notification.objects.filter(recipient=leader, kind="investment.escalated").count() == 2


def test_a_lead_without_a_leader_escalates_to_every_leader(frozen, operator, leader):
    lead = services.lead_create(actor=operator, data=lead_input())
    frozen.set(at(2026, 3, 18, 10))
    services.clocks_tick()
    assert Notification.objects.filter(recipient=leader, dedupe_key__startswith=f"zs:{lead.pk}:").exists()


def test_closed_leads_do_not_escalate(lead, commissioner, frozen):
    services.lead_close(
        actor=commissioner, lead=lead, outcome="withdrawn", reason_code="own", reason="项目取消"
    )
    frozen.set(at(2026, 6, 1, 10))
    services.clocks_tick()
    assert escalations(lead) == []


def test_a_lead_in_production_no_longer_runs_clocks(lead, commissioner, operator, frozen):
    from kechuang.investment.choices import LeadStage

    Lead = type(lead)
    Lead.objects.filter(pk=lead.pk).update(stage=LeadStage.PRODUCING)
    frozen.set(at(2026, 9, 1, 10))
    services.clocks_tick()
    assert escalations(lead) == []
    from kechuang.investment.selectors import lead_clocks

    lead.refresh_from_db()
    assert {c.state for c in lead_clocks(lead)} == {"stopped"}
