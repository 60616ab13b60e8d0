"""无事不扰: the monthly visit cap and the enterprise's own do-not-disturb setting, enforced when a visit
is planned, with a clear message; plans (一企一策) and visit records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from sd_helpers import at

from kechuang.core.models import AuditEvent
from kechuang.notifications.models import Notification
from kechuang.servicedesk import services
from kechuang.servicedesk.choices import PlanItemKind, VisitStatus
from kechuang.servicedesk.models import PlanItem, Visit

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 16)


def plan(desk, day, *, who="commissioner", request=None):
    return services.visit_plan(
        actor=desk[who], organization=desk["org"], planned_for=day, purpose="了解经营情况", request=request
    )


def test_visit_over_the_monthly_cap_is_refused_with_a_clear_message(desk, settings):
    settings.SERVICEDESK_VISITS_PER_MONTH = 2
    plan(desk, dt.date(2026, 3, 18))
    plan(desk, dt.date(2026, 3, 25), who="leader")
    with pytest.raises(ValidationError) as refused:
        plan(desk, dt.date(2026, 3, 30))
    message = refused.value.message_dict["planned_for"][0]
    assert "2026年3月已安排 2 次走访" in message and "每月上限 2 次" in message and "无事不扰" in message
    assert Visit.objects.filter(organization=desk["org"]).count() == 2
    denied = AuditEvent.objects.get(action="visit.plan", result="denied")
    assert denied.detail["reason"] == "monthly_cap"
    plan(desk, dt.date(2026, 4, 1))  # next month is fine


def test_cancelled_visits_do_not_count_towards_the_cap(desk, settings):
    settings.SERVICEDESK_VISITS_PER_MONTH = 1
    visit = plan(desk, dt.date(2026, 3, 18))
    services.visit_cancel(actor=desk["commissioner"], visit=visit, reason="改期")
    plan(desk, dt.date(2026, 3, 19))


def test_enterprise_can_ask_for_fewer_visits_than_the_district_cap(desk, settings):
    settings.SERVICEDESK_VISITS_PER_MONTH = 3
    services.preference_set(
        actor=desk["user"], organization=desk["org"], do_not_disturb=False, max_visits_per_month=1
    )
    plan(desk, dt.date(2026, 3, 18))
    with pytest.raises(ValidationError, match="每月上限 1 次"):
        plan(desk, dt.date(2026, 3, 20))


def test_visit_against_do_not_disturb_is_refused_with_a_clear_message(desk):
    services.preference_set(
        actor=desk["user"],
        organization=desk["org"],
        do_not_disturb=True,
        do_not_disturb_until=dt.date(2026, 4, 30),
        note="研发攻关期",
    )
    with pytest.raises(ValidationError) as refused:
        plan(desk, dt.date(2026, 3, 20))
    message = refused.value.message_dict["planned_for"][0]
    assert "已开启“无事不扰”（至 2026-04-30）" in message and "不能安排走访" in message
    assert not Visit.objects.exists()
    assert AuditEvent.objects.get(action="visit.plan", result="denied").detail["reason"] == "do_not_disturb"
    plan(desk, dt.date(2026, 5, 6))  # after the date the enterprise gave


def test_do_not_disturb_without_end_date_holds_until_switched_off(desk):
    services.preference_set(actor=desk["user"], organization=desk["org"], do_not_disturb=True)
    with pytest.raises(ValidationError, match="长期有效"):
        plan(desk, dt.date(2026, 12, 1))
    services.preference_set(actor=desk["user"], organization=desk["org"], do_not_disturb=False)
    plan(desk, dt.date(2026, 12, 1))


def test_a_visit_to_handle_the_enterprises_own_request_is_allowed_under_do_not_disturb(file_request, desk):
    request = file_request(when=at(2026, 3, 16, 10), category="space")
    services.preference_set(actor=desk["user"], organization=desk["org"], do_not_disturb=True)
    visit = plan(desk, dt.date(2026, 3, 18), request=request)
    assert visit.request == request


def test_switching_do_not_disturb_on_cancels_planned_visits_and_tells_the_visitor(desk):
    visit = plan(desk, dt.date(2026, 3, 25))
    services.preference_set(actor=desk["user"], organization=desk["org"], do_not_disturb=True)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED and "无事不扰" in visit.cancel_reason
    assert Notification.objects.filter(
        recipient=desk["commissioner"], kind="servicedesk.visit_cancelled"
    ).exists()


def test_only_the_enterprise_sets_its_own_preference(desk):
    for who in ("operator", "commissioner", "other_user"):
        with pytest.raises(PermissionDenied):
            services.preference_set(actor=desk[who], organization=desk["org"], do_not_disturb=False)


def test_only_its_commissioner_leader_or_an_operator_plans_a_visit(desk):
    for who in ("user", "other_user"):
        with pytest.raises(PermissionDenied):
            plan(desk, dt.date(2026, 3, 20), who=who)
    with pytest.raises(PermissionDenied):
        services.visit_plan(
            actor=desk["commissioner"], organization=desk["other_org"], planned_for=MONDAY, purpose="x"
        )


def test_visit_in_the_past_is_refused(desk):
    with pytest.raises(ValidationError, match="不能早于今天"):
        plan(desk, dt.date(2026, 3, 13))


def test_planned_visit_tells_the_enterprise_and_recording_it_adds_follow_ups_to_the_plan(desk, frozen):
    visit = plan(desk, MONDAY)
    assert visit.code.startswith("ZF-2026-")
    assert Notification.objects.filter(recipient=desk["user"], kind="servicedesk.visit_planned").exists()
    services.visit_record(
        actor=desk["commissioner"],
        visit=visit,
        notes="企业经营平稳，需要扩租。",
        follow_ups=["协调 300 平方米研发空间", ""],
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    item = PlanItem.objects.get(plan__organization=desk["org"])
    assert item.kind == PlanItemKind.FOLLOW_UP and item.visit == visit


def test_a_visit_cannot_be_recorded_before_it_happens(desk):
    visit = plan(desk, dt.date(2026, 3, 20))
    with pytest.raises(ValidationError, match="还没到"):
        services.visit_record(actor=desk["commissioner"], visit=visit, notes="x")


def test_enterprise_may_decline_a_planned_visit(desk):
    visit = plan(desk, dt.date(2026, 3, 20))
    services.visit_cancel(actor=desk["user"], visit=visit, reason="近期不方便")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    assert Notification.objects.filter(
        recipient=desk["commissioner"], kind="servicedesk.visit_cancelled"
    ).exists()
    with pytest.raises(PermissionDenied):
        services.visit_cancel(actor=desk["other_user"], visit=plan(desk, dt.date(2026, 3, 21)))


def test_plan_is_edited_by_the_commissioner_not_by_other_enterprises(desk):
    services.plan_update(actor=desk["commissioner"], organization=desk["org"], summary="重点服务：场地与人才")
    item = services.plan_item_add(
        actor=desk["leader"],
        organization=desk["org"],
        kind=PlanItemKind.COMMITMENT,
        text="落实人才公寓 2 套",
        due_on=dt.date(2026, 6, 30),
    )
    services.plan_item_set_status(actor=desk["commissioner"], item=item, status="done")
    item.refresh_from_db()
    assert item.status == "done" and item.done_at is not None
    with pytest.raises(PermissionDenied):
        services.plan_update(actor=desk["user"], organization=desk["org"], summary="企业自己改")
    with pytest.raises(PermissionDenied):
        services.plan_item_add(actor=desk["other_user"], organization=desk["org"], kind="need", text="x")
