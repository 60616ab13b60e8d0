"""Requests through their life: filing and routing, first response, hand-over, resolution, closing with
a rating, reopening, withdrawing; the transition table; notifications and the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from sd_helpers import at

from kechuang.core.models import AuditEvent
from kechuang.notifications.models import Notification
from kechuang.servicedesk import services
from kechuang.servicedesk.choices import AssignmentRole, RequestStatus
from kechuang.servicedesk.models import RequestEvent, ServiceRequest
from kechuang.servicedesk.selectors import request_clocks
from kechuang.servicedesk.services import ALLOWED_STEPS, RequestConflict

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def history_is_consistent(request: ServiceRequest) -> None:
    """Every status change in the history is allowed, and each starts where the previous one ended."""
    state = ""
    for event in request.events.order_by("created_at", "id"):
        if not event.to_status:
            continue
        if event.from_status:
            assert (event.from_status, event.to_status) in ALLOWED_STEPS, (event.from_status, event.to_status)
        assert event.from_status == state, (event.kind, event.from_status, state)
        state = event.to_status
    assert state == request.status


def test_filed_request_gets_a_public_code_and_goes_to_the_commissioner(file_request, desk):
    request = file_request(when=at(2026, 3, 16, 10))
    assert request.code == "SQ-2026-000001"  # the year's first, whatever its primary key
    assert request.commissioner == desk["commissioner"]
    assert request.status == RequestStatus.SUBMITTED and request.version == 1
    note = Notification.objects.get(recipient=desk["commissioner"], kind="servicedesk.filed")
    assert request.code in note.title and "2026-03-17 10:00" in note.body
    assert AuditEvent.objects.filter(action="service_request.file", object_id=str(request.pk)).exists()


def test_request_of_an_enterprise_without_commissioner_goes_to_the_operators(desk, frozen):
    request = services.request_file(
        actor=desk["other_user"],
        organization=desk["other_org"],
        category="space",
        title="需要实验室",
        text="约 300 平方米。",
    )
    assert request.commissioner is None
    assert Notification.objects.filter(recipient=desk["operator"], title__contains=request.code).exists()


def test_full_journey_respond_hand_over_resolve_close(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))
    frozen.set(at(2026, 3, 16, 11, 30))
    services.request_respond(actor=desk["commissioner"], request=request, version=1, text="已受理。")
    assert request.status == RequestStatus.IN_PROGRESS and request.version == 2
    assert request.response_minutes == 90 and not request.response_breached
    frozen.set(at(2026, 3, 17, 9))
    services.request_hand_over(
        actor=desk["commissioner"],
        request=request,
        version=2,
        department="planning",
        text="请规划建设办协助。",
    )
    assert request.status == RequestStatus.HANDED_OVER and request.department_label == "规划建设办"
    frozen.set(at(2026, 3, 18, 10))
    services.request_resolve(actor=desk["commissioner"], request=request, version=3, text="已办理完毕。")
    assert request.status == RequestStatus.RESOLVED
    assert request.resolution_minutes == 510 * 2 and not request.resolution_breached
    frozen.set(at(2026, 3, 18, 14))
    services.request_close(actor=desk["user"], request=request, version=4, rating=5, comment="很及时")
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.rating == 5 and request.version == 5
    history_is_consistent(request)
    clocks = request_clocks(request, now=at(2026, 3, 19, 9))
    assert [c.state for c in clocks] == ["met", "met"]
    assert Notification.objects.filter(recipient=desk["user"], title__contains="已办结").exists()
    actions = set(
        AuditEvent.objects.filter(
            object_id=str(request.pk), object_type="servicedesk.servicerequest"
        ).values_list("action", flat=True)
    )
    assert {
        "service_request.file",
        "service_request.respond",
        "service_request.hand_over",
        "service_request.resolve",
        "service_request.close",
    } <= actions


def test_staff_message_on_a_new_request_is_its_first_response(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))
    frozen.set(at(2026, 3, 16, 10, 45))
    services.request_reply(actor=desk["commissioner"], request=request, text="您好，已收到。")
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS and request.response_minutes == 45


def test_enterprise_message_does_not_answer_its_own_request(file_request, desk):
    request = file_request()
    services.request_reply(actor=desk["user"], request=request, text="补充：需要在月底前办好。")
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED and request.first_responded_at is None


def test_internal_note_is_hidden_from_the_enterprise(file_request, desk):
    from kechuang.servicedesk.permissions import event_visible_to

    request = file_request()
    services.request_reply(actor=desk["leader"], request=request, text="请尽快办理。", internal=True)
    assert event_visible_to(desk["leader"]).filter(request=request, is_internal=True).exists()
    assert not event_visible_to(desk["user"]).filter(request=request, is_internal=True).exists()
    with pytest.raises(PermissionDenied):
        services.request_reply(actor=desk["user"], request=request, text="x", internal=True)


def test_late_first_response_is_recorded_as_a_breach(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))  # due 17 Mar 10:00
    frozen.set(at(2026, 3, 17, 11))
    services.request_respond(actor=desk["commissioner"], request=request, version=1, text="抱歉回复晚了。")
    assert request.response_breached and request.response_minutes == 510 + 60


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("close", RequestStatus.SUBMITTED),
        ("reopen", RequestStatus.SUBMITTED),
        ("respond", RequestStatus.RESOLVED),
    ],
)
def test_impossible_transitions_are_refused_and_change_nothing(file_request, desk, action, status):
    request = file_request()
    if status == RequestStatus.RESOLVED:
        services.request_resolve(actor=desk["commissioner"], request=request, version=1, text="已答复。")
    before = ServiceRequest.objects.filter(pk=request.pk).values().get()
    events = RequestEvent.objects.filter(request=request).count()
    calls = {
        "close": lambda: services.request_close(
            actor=desk["user"], request=request, version=request.version, rating=5
        ),
        "reopen": lambda: services.request_reopen(
            actor=desk["user"], request=request, version=request.version, reason="没解决"
        ),
        "respond": lambda: services.request_respond(
            actor=desk["commissioner"], request=request, version=request.version, text="x"
        ),
    }
    with pytest.raises(ValidationError, match="不能执行此操作"):
        calls[action]()
    assert ServiceRequest.objects.filter(pk=request.pk).values().get() == before
    assert RequestEvent.objects.filter(request=request).count() == events


def test_stale_version_is_a_conflict_and_changes_nothing(file_request, desk):
    request = file_request()
    services.request_respond(actor=desk["commissioner"], request=request, version=1, text="已受理。")
    stale = ServiceRequest.objects.get(pk=request.pk)
    stale.version = 1
    with pytest.raises(RequestConflict) as caught:
        services.request_resolve(actor=desk["operator"], request=stale, version=1, text="办结")
    assert caught.value.current_version == 2 and "刷新" in caught.value.message
    assert ServiceRequest.objects.get(pk=request.pk).status == RequestStatus.IN_PROGRESS


def test_reopen_restarts_the_resolution_clock_and_keeps_the_old_rating_in_history(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))
    services.request_resolve(actor=desk["commissioner"], request=request, version=1, text="已办结。")
    services.request_close(actor=desk["user"], request=request, version=2, rating=2, comment="没解决")
    frozen.set(at(2026, 3, 20, 16))  # Friday 16:00; policy resolution = 5 working days
    services.request_reopen(actor=desk["user"], request=request, version=3, reason="问题又出现了")
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_PROGRESS and request.cycle == 2 and request.rating is None
    # 5 days = 42.5 h from Fri 16:00: 1.5 h Fri, Mon–Thu 34 h (35.5 h), Fri 27 Mar 09:00 + 7 h = 16:00
    assert request.resolution_due_at == at(2026, 3, 27, 16)
    assert request.events.get(kind="reopened").data == {"previous_rating": 2}
    history_is_consistent(request)


def test_closed_request_cannot_be_reopened_after_thirty_days(file_request, desk, frozen):
    request = file_request(when=at(2026, 3, 16, 10))
    services.request_resolve(actor=desk["commissioner"], request=request, version=1, text="已办结。")
    services.request_close(actor=desk["user"], request=request, version=2, rating=4)
    frozen.advance(days=31)
    with pytest.raises(ValidationError, match="超过 30 天"):
        services.request_reopen(actor=desk["user"], request=request, version=3, reason="x")


def test_enterprise_withdraws_its_request(file_request, desk):
    request = file_request()
    services.request_withdraw(actor=desk["user"], request=request, version=1, reason="已自行解决")
    assert request.status == RequestStatus.WITHDRAWN
    history_is_consistent(request)


@pytest.mark.parametrize("who", ["other_user", "leader", "user"])
def test_only_the_commissioner_or_an_operator_handles_a_request(file_request, desk, who):
    request = file_request()
    with pytest.raises(PermissionDenied):
        services.request_respond(actor=desk[who], request=request, version=1, text="x")
    assert ServiceRequest.objects.get(pk=request.pk).status == RequestStatus.SUBMITTED


@pytest.mark.parametrize("who", ["other_user", "commissioner", "operator", "leader"])
def test_only_the_enterprise_closes_and_rates_its_request(file_request, desk, who):
    request = file_request()
    services.request_resolve(actor=desk["commissioner"], request=request, version=1, text="办结")
    with pytest.raises(PermissionDenied):
        services.request_close(actor=desk[who], request=request, version=2, rating=5)
    assert ServiceRequest.objects.get(pk=request.pk).status == RequestStatus.RESOLVED


def test_enterprise_cannot_file_for_another_enterprise(desk):
    with pytest.raises(PermissionDenied):
        services.request_file(
            actor=desk["other_user"], organization=desk["org"], category="policy", title="x", text="y"
        )
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "请填写标题"),
        ("title", "长" * 121, "不能超过 120"),
        ("category", "weather", "请选择诉求类别"),
        ("text", "\x00\x00", "请填写诉求内容"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(desk, field, value, message):
    data = {"category": "policy", "title": "标题", "text": "内容"}
    data[field] = value
    with pytest.raises(ValidationError, match=message):
        services.request_file(actor=desk["user"], organization=desk["org"], **data)


def test_rating_must_be_one_to_five(file_request, desk):
    request = file_request()
    services.request_resolve(actor=desk["commissioner"], request=request, version=1, text="办结")
    for rating in (0, 6, "很好"):
        with pytest.raises(ValidationError, match="1–5"):
            services.request_close(actor=desk["user"], request=request, version=2, rating=rating)


def test_attachments_are_checked_by_content(desk, frozen):
    good = SimpleUploadedFile("营业执照.pdf", PDF, content_type="application/pdf")
    request = services.request_file(
        actor=desk["user"],
        organization=desk["org"],
        category="approval",
        title="施工许可",
        text="材料见附件。",
        files=[good],
    )
    assert request.attachments.get().kind_label == "PDF"
    fake = SimpleUploadedFile(
        "说明.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
    with pytest.raises(ValidationError, match="HTML"):
        services.request_attach(actor=desk["user"], request=request, files=[fake])
    assert request.attachments.count() == 1


def test_new_commissioner_takes_over_open_requests_and_history_is_kept(file_request, desk, frozen):
    from kechuang.testing.factories import user_with_role

    request = file_request()
    successor = user_with_role("commissioner", None, username="comm2")
    frozen.advance(days=1)
    services.assignment_set(
        actor=desk["operator"],
        organization=desk["org"],
        role=AssignmentRole.COMMISSIONER,
        user=successor,
        reason="工作调整",
    )
    request.refresh_from_db()
    assert request.commissioner == successor and request.version == 2
    rows = list(
        desk["org"].service_assignments.filter(role=AssignmentRole.COMMISSIONER).order_by("started_at")
    )
    assert [r.user for r in rows] == [desk["commissioner"], successor]
    assert rows[0].ended_at is not None and rows[1].ended_at is None
    assert Notification.objects.filter(recipient=successor, title__contains=desk["org"].name).exists()


def test_assignment_needs_the_right_role_and_an_operator(desk):
    with pytest.raises(ValidationError, match="服务专员"):
        services.assignment_set(
            actor=desk["operator"],
            organization=desk["other_org"],
            role=AssignmentRole.COMMISSIONER,
            user=desk["leader"],
        )
    with pytest.raises(PermissionDenied):
        services.assignment_set(
            actor=desk["commissioner"],
            organization=desk["other_org"],
            role=AssignmentRole.COMMISSIONER,
            user=desk["commissioner"],
        )
