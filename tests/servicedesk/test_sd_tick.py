"""``kechuang sla-tick``: reminders before a due time, escalation to the responsible leader after it;
idempotent, so running it twice escalates and notifies once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from sd_helpers import at

from kechuang.core.models import AuditEvent
from kechuang.notifications.models import Notification
from kechuang.servicedesk import services
from kechuang.servicedesk.choices import RequestEventKind, RequestStatus
from kechuang.servicedesk.models import RequestEvent

pytestmark = pytest.mark.django_db


def escalations(request) -> int:
    return RequestEvent.objects.filter(request=request, kind=RequestEventKind.ESCALATED).count()


def tick_notifications() -> int:
    return Notification.objects.filter(kind__in=["servicedesk.escalated", "servicedesk.due_soon"]).count()


def test_running_sla_tick_twice_escalates_and_notifies_once(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))  # first response due Tue 17 Mar 10:00
    frozen.set(at(2026, 3, 17, 10, 1))
    first, second = StringIO(), StringIO()
    call_command("sla_tick", stdout=first)
    call_command("sla_tick", stdout=second)
    assert "超时升级 1 条" in first.getvalue() and request.code in first.getvalue()
    assert "超时升级 0 条，发出通知 0 条" in second.getvalue()
    assert escalations(request) == 1
    leader_notes = Notification.objects.filter(recipient=desk["leader"], kind="servicedesk.escalated")
    assert leader_notes.count() == 1 and request.code in leader_notes.get().title
    assert (
        Notification.objects.filter(recipient=desk["commissioner"], kind="servicedesk.escalated").count() == 1
    )
    assert tick_notifications() == 2
    request.refresh_from_db()
    assert request.response_escalated_at == at(2026, 3, 17, 10, 1) and request.response_breached
    assert request.status == RequestStatus.SUBMITTED  # escalation is not a status change
    assert (
        AuditEvent.objects.filter(action="service_request.escalate", object_id=str(request.pk)).count() == 1
    )


def test_tick_reminds_the_commissioner_once_before_the_due_time(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))  # due Tue 10:00; reminder within 4 working hours
    frozen.set(at(2026, 3, 16, 15))  # 2.5 h today + 1 h tomorrow = 3.5 working hours left
    report = services.sla_tick()
    assert report.reminded == [request.code] and not report.escalated
    assert services.sla_tick().reminded == []
    assert (
        Notification.objects.filter(recipient=desk["commissioner"], kind="servicedesk.due_soon").count() == 1
    )


def test_tick_leaves_requests_with_time_left_alone(file_request, frozen):
    file_request(when=at(2026, 3, 16, 10))
    frozen.set(at(2026, 3, 16, 11))  # 7.5 working hours left
    report = services.sla_tick()
    assert not report.reminded and not report.escalated


def test_answered_request_is_not_escalated_for_its_response_clock(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))
    services.request_respond(actor=desk["commissioner"], request=request, version=1, text="已受理")
    frozen.set(at(2026, 3, 20, 10))
    assert services.sla_tick().escalated == []


def test_resolution_breach_escalates_and_again_after_a_reopen(file_request, desk, frozen):
    request = file_request(
        when=at(2026, 3, 16, 10), category="policy"
    )  # resolution: 5 days → Mon 23 Mar 10:00
    services.request_respond(actor=desk["commissioner"], request=request, version=1, text="已受理")
    frozen.set(at(2026, 3, 23, 10, 5))
    assert services.sla_tick().escalated == [request.code]
    services.request_resolve(actor=desk["commissioner"], request=request, version=2, text="办结")
    services.request_reopen(actor=desk["user"], request=request, version=3, reason="还没解决")
    frozen.set(at(2026, 3, 31, 10))  # the new clock (from 23 Mar 10:05) ran out on 30 Mar 10:05
    assert services.sla_tick().escalated == [request.code]
    assert services.sla_tick().escalated == []
    assert escalations(request) == 2
    assert Notification.objects.filter(recipient=desk["leader"], kind="servicedesk.escalated").count() == 2


def test_without_a_responsible_leader_every_leader_is_told(desk, frozen):
    from kechuang.testing.factories import user_with_role

    second_leader = user_with_role("leader", None, username="lead2")
    frozen.set(at(2026, 3, 16, 10))
    request = services.request_file(
        actor=desk["other_user"],
        organization=desk["other_org"],
        category="other",
        title="停车位不足",
        text="访客无处停车。",
    )
    frozen.set(at(2026, 3, 18, 10))
    services.sla_tick()
    assert set(
        Notification.objects.filter(kind="servicedesk.escalated").values_list("recipient", flat=True)
    ) >= {desk["leader"].pk, second_leader.pk, desk["operator"].pk}
    assert escalations(request) == 1


def test_dry_run_changes_nothing(file_request, frozen):
    request = file_request(when=at(2026, 3, 16, 10))
    frozen.set(at(2026, 3, 18, 10))
    out = StringIO()
    call_command("sla_tick", "--dry-run", stdout=out)
    assert "演练" in out.getvalue()
    assert escalations(request) == 0 and tick_notifications() == 0


def test_now_option_runs_the_tick_for_a_given_moment(file_request):
    request = file_request(when=at(2026, 3, 16, 10))
    out = StringIO()
    call_command("sla_tick", "--now", "2026-03-17T10:30:00+08:00", stdout=out)
    assert request.code in out.getvalue() and escalations(request) == 1
