"""Every write of the service desk: ``<entity>_<verb>(*, actor, ...)``, atomic, permission-checked,
audited (docs/design.md §4).

Requests change state only through ``_transition``: it re-reads the row, checks the version the caller
saw and the transition table, and writes with ``UPDATE … WHERE id = … AND version = n AND status = s``.
Of two staff changing the same request at once, one update matches and the other matches no row and
raises ``RequestConflict`` (docs/reliability.md H2); the history gets an event only for the winner, so it never
shows an impossible transition.

The SLA tick (``sla_tick``) marks reminders and escalations with conditional updates on their own
timestamps (``… WHERE response_escalated_at IS NULL``) and notifies with dedupe keys, so running it twice,
or twice at once, escalates and notifies once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.accounts.choices import Role
from kechuang.core import audit
from kechuang.core.actors import deny, is_system
from kechuang.core.codes import next_code
from kechuang.core.models import AuditResult
from kechuang.core.text import checked_text
from kechuang.core.uploads import check_upload
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization
from kechuang.notifications.text import lazy_text

from . import clock, notify
from .choices import (
    AssignmentRole,
    CalendarDayKind,
    Department,
    PlanItemKind,
    PlanItemStatus,
    RequestCategory,
    RequestChannel,
    RequestEventKind,
    RequestStatus,
    VisitStatus,
)
from .models import (
    OPEN_STATUSES,
    Assignment,
    CalendarDay,
    CalendarYear,
    Plan,
    PlanItem,
    RequestAttachment,
    RequestEvent,
    ServicePreference,
    ServiceRequest,
    SlaPolicy,
    Visit,
)
from .permissions import (
    can_act_for_enterprise,
    can_edit_calendar,
    can_edit_plan,
    can_edit_sla_policy,
    can_file_request,
    can_handle_request,
    can_manage_assignments,
    can_note_request,
    can_plan_visit,
    can_reassign_request,
    can_set_preference,
    forget_assignments,
)
from .workcalendar import DEFAULT_SLA, load_calendar_rows, work_calendar

logger = logging.getLogger(__name__)

S = RequestStatus
OPEN = (S.SUBMITTED, S.IN_PROGRESS, S.HANDED_OVER)

# action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "respond": (frozenset({S.SUBMITTED}), S.IN_PROGRESS),
    "hand_over": (frozenset({S.SUBMITTED, S.IN_PROGRESS, S.HANDED_OVER}), S.HANDED_OVER),
    "resolve": (frozenset({S.SUBMITTED, S.IN_PROGRESS, S.HANDED_OVER}), S.RESOLVED),
    "close": (frozenset({S.IN_PROGRESS, S.HANDED_OVER, S.RESOLVED}), S.CLOSED),
    "reopen": (frozenset({S.RESOLVED, S.CLOSED}), S.IN_PROGRESS),
    "withdraw": (frozenset(OPEN), S.WITHDRAWN),
}
# Every (from, to) pair the history may show; tests check recorded histories against it.
ALLOWED_STEPS: frozenset[tuple[str, str]] = frozenset(
    (source, target) for sources, target in TRANSITIONS.values() for source in sources
)

MAX_ATTACHMENTS = 10
MAX_FILES_PER_UPLOAD = 5
REOPEN_WINDOW_DAYS = 30
REMIND_BEFORE_MINUTES = 240  # working minutes before a due time when the commissioner is reminded


class RequestConflict(Exception):
    """Someone else changed the request since the caller read it (optimistic version mismatch)."""

    def __init__(self, request: ServiceRequest | None = None) -> None:
        self.request = request
        self.current_version = request.version if request is not None else None
        self.current_status = request.status if request is not None else ""
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.request is not None:
            return _("该诉求刚被他人更新（当前状态：%(status)s），请刷新页面查看最新情况后再操作。") % {
                "status": self.request.get_status_display()
            }
        return _("该诉求刚被他人更新，请刷新页面查看最新情况后再操作。")


def _now() -> dt.datetime:
    return clock.now()


def _code(prefix: str, when: dt.datetime) -> str:
    """The next public code of a kind, numbered per year of ``when`` (never the primary key)."""
    return next_code("servicedesk", prefix, width=6, year=when.astimezone(clock.TZ).year)


def current_assignee(organization_id: int, role: str = AssignmentRole.COMMISSIONER) -> Any:
    row = (
        Assignment.objects.filter(organization_id=organization_id, role=role, ended_at__isnull=True)
        .select_related("user")
        .first()
    )
    return row.user if row is not None else None


def _event(
    request: ServiceRequest,
    *,
    kind: str,
    actor: Any,
    when: dt.datetime,
    text: str = "",
    from_status: str = "",
    to_status: str = "",
    internal: bool = False,
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        text=text,
        from_status=from_status,
        to_status=to_status,
        is_internal=internal,
        version=request.version,
        data=data or {},
        created_at=when,
    )


# --- filing ------------------------------------------------------------------------------------------


def _store_files(
    request: ServiceRequest, files: Iterable[Any], *, actor: Any, when: dt.datetime
) -> list[RequestAttachment]:
    files = [f for f in files if f]
    if not files:
        return []
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise ValidationError({"files": _("一次最多上传 %(n)s 个附件。") % {"n": MAX_FILES_PER_UPLOAD}})
    have = RequestAttachment.objects.filter(request=request).count()
    if have + len(files) > MAX_ATTACHMENTS:
        raise ValidationError({"files": _("每条诉求最多 %(n)s 个附件。") % {"n": MAX_ATTACHMENTS}})
    stored = []
    for file in files:
        checked = check_upload(file, name=getattr(file, "name", "") or "", field="files")
        if hasattr(file, "seek"):
            file.seek(0)
        content = file.read() if hasattr(file, "read") else bytes(file)
        attachment = RequestAttachment(
            request=request,
            original_name=checked.name,
            content_type=checked.content_type,
            kind_label=checked.label,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
            created_at=when,
        )
        attachment.file.save("upload.bin", ContentFile(content), save=False)
        attachment.save()
        stored.append(attachment)
        audit.record(
            "service_request.attach",
            actor=actor,
            obj=attachment,
            detail={"request": request.code, "sha256": checked.sha256, "kind": checked.kind},
        )
    return stored


@transaction.atomic
def request_file(
    *,
    actor: Any,
    organization: Organization,
    category: str,
    title: str,
    text: str,
    channel: str = RequestChannel.PLATFORM,
    files: Iterable[Any] = (),
) -> ServiceRequest:
    """An enterprise files a request (or staff record one it made by phone or during a visit). It is
    routed to the enterprise's commissioner and both clocks start."""
    if organization is None or organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("只有企业可以提出诉求。")})
    if not is_system(actor) and not can_file_request(actor, organization):
        raise deny(_("您不能代表该企业提出诉求。"))
    if category not in RequestCategory.values:
        raise ValidationError({"category": _("请选择诉求类别。")})
    if channel not in RequestChannel.values:
        raise ValidationError({"channel": _("无效的来源渠道。")})
    title = checked_text(title, "title", label=_("标题"), limit=120, quote=False)
    text = checked_text(text, "text", label=_("诉求内容"), limit=4000, quote=False)
    now = _now()
    calendar = work_calendar()
    response_days, resolution_days = _policy(category)
    commissioner = current_assignee(organization.pk)
    request = ServiceRequest.objects.create(
        organization=organization,
        category=category,
        title=title,
        text=text,
        channel=channel,
        commissioner=commissioner,
        created_by=actor if getattr(actor, "pk", None) else None,
        filed_at=now,
        updated_at=now,
        response_days=response_days,
        resolution_days=resolution_days,
        clock_started_at=now,
        response_due_at=clock.add_working_days(now, response_days, calendar),
        resolution_due_at=clock.add_working_days(now, resolution_days, calendar),
    )
    request.code = _code(ServiceRequest.CODE_PREFIX, now)
    ServiceRequest.objects.filter(pk=request.pk).update(code=request.code)
    _event(
        request,
        kind=RequestEventKind.FILED,
        actor=actor,
        when=now,
        to_status=S.SUBMITTED,
        data={
            "category": category,
            "channel": channel,
            "commissioner": commissioner.pk if commissioner else None,
        },
    )
    _store_files(request, files, actor=actor, when=now)
    audit.record(
        "service_request.file",
        actor=actor,
        obj=request,
        detail={"organization": organization.pk, "category": category, "channel": channel},
    )
    notify.send(
        notify.request_staff_recipients(request),
        kind="filed",
        title=lazy_text(gettext_lazy("新诉求 %(code)s：%(title)s"), code=request.code, title=title),
        body=lazy_text(
            gettext_lazy("%(org)s 提出了%(category)s类诉求，请在 %(due)s 前首次响应。"),
            org=organization.name,
            category=RequestCategory(request.category).label,
            due=request.response_due_at.astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M"),
        ),
        url=notify.request_url(request),
        dedupe_key=f"sq:{request.pk}:filed",
    )
    return request


def _policy(category: str) -> tuple[int, int]:
    row = SlaPolicy.objects.filter(category=category).values_list("response_days", "resolution_days").first()
    if row:
        return int(row[0]), int(row[1])
    return DEFAULT_SLA.get(category, DEFAULT_SLA["other"])


# --- transitions -------------------------------------------------------------------------------------


def _transition(
    request: ServiceRequest,
    *,
    actor: Any,
    version: int | None,
    action: str,
    event_kind: str,
    text: str = "",
    changes: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    compute: Any = None,
) -> ServiceRequest:
    """Move ``request`` along ``action`` if it is still at ``version``; see the module docstring."""
    sources, target = TRANSITIONS[action]
    current = ServiceRequest.objects.get(pk=request.pk)
    if version is not None and int(version) != current.version:
        raise RequestConflict(current)
    if current.status not in sources:
        raise ValidationError(
            {
                "status": _("诉求当前为“%(status)s”，不能执行此操作。")
                % {"status": current.get_status_display()}
            }
        )
    now = now or _now()
    values = dict(changes or {})
    if compute is not None:
        values.update(compute(current, now))
    matched = ServiceRequest.objects.filter(
        pk=current.pk, version=current.version, status=current.status
    ).update(status=target, version=F("version") + 1, updated_at=now, **values)
    if matched != 1:
        raise RequestConflict(ServiceRequest.objects.get(pk=current.pk))
    previous = current.status
    current.refresh_from_db()
    _event(
        current,
        kind=event_kind,
        actor=actor,
        when=now,
        text=text,
        from_status=previous,
        to_status=target,
        data=data,
    )
    audit.record(
        f"service_request.{action}",
        actor=actor,
        obj=current,
        detail={"from": previous, "to": target, "version": current.version, **(data or {})},
    )
    request.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
    return current


def _response_fields(current: ServiceRequest, now: dt.datetime) -> dict[str, Any]:
    if current.first_responded_at is not None:
        return {}
    calendar = work_calendar()
    return {
        "first_responded_at": now,
        "response_minutes": max(0, clock.working_minutes_between(current.filed_at, now, calendar)),
        "response_breached": current.response_breached or now > current.response_due_at,
    }


def _resolution_fields(current: ServiceRequest, now: dt.datetime) -> dict[str, Any]:
    values = _response_fields(current, now)
    if current.resolved_at is None:
        calendar = work_calendar()
        values.update(
            resolved_at=now,
            resolution_minutes=max(0, clock.working_minutes_between(current.clock_started_at, now, calendar)),
            resolution_breached=current.resolution_breached or now > current.resolution_due_at,
        )
    return values


def _check_handler(actor: Any, request: ServiceRequest) -> None:
    if not can_handle_request(actor, request):
        raise deny(_("只有该企业的服务专员或运营人员可以办理此诉求。"))


def _check_enterprise(actor: Any, request: ServiceRequest) -> None:
    if not can_act_for_enterprise(actor, request):
        raise deny(_("只有提出诉求的企业可以执行此操作。"))


@transaction.atomic
def request_respond(*, actor: Any, request: ServiceRequest, version: int | None, text: str) -> ServiceRequest:
    """The commissioner's first answer: stops the first-response clock, the request is in progress."""
    _check_handler(actor, request)
    text = checked_text(text, "text", label=_("答复内容"), limit=4000, quote=False)
    result = _transition(
        request,
        actor=actor,
        version=version,
        action="respond",
        event_kind=RequestEventKind.RESPONDED,
        text=text,
        compute=_response_fields,
    )
    notify.send(
        notify.request_enterprise_recipients(result),
        kind="responded",
        title=lazy_text(gettext_lazy("您的诉求 %(code)s 已有答复"), code=result.code),
        body=text[:300],
        url=notify.request_url(result),
        dedupe_key=f"sq:{result.pk}:responded:{result.version}",
    )
    return result


@transaction.atomic
def request_reply(
    *, actor: Any, request: ServiceRequest, text: str, internal: bool = False, version: int | None = None
) -> RequestEvent:
    """A message in the request's thread. From staff on a request still waiting for its first answer,
    the message is that answer (see ``request_respond``). ``internal`` notes are staff-only."""
    text = checked_text(text, "text", label=_("留言内容"), limit=4000, quote=False)
    current = ServiceRequest.objects.get(pk=request.pk)
    handler = can_handle_request(actor, current)
    if internal:
        if not can_note_request(actor, current):
            raise deny(_("只有服务专员、运营人员和领导可以写内部备注。"))
    elif not (handler or can_act_for_enterprise(actor, current)):
        raise deny(_("您不能在此诉求下留言。"))
    if current.status not in OPEN_STATUSES and current.status != S.RESOLVED and not internal:
        raise ValidationError(
            {
                "text": _("诉求已%(status)s，不能再留言；如问题仍未解决，请重新打开。")
                % {"status": current.get_status_display()}
            }
        )
    if handler and not internal and current.status == S.SUBMITTED:
        result = request_respond(actor=actor, request=current, version=version, text=text)
        request.__dict__.update({k: v for k, v in result.__dict__.items() if not k.startswith("_")})
        return result.events.order_by("-id").first()  # type: ignore[return-value]
    now = _now()
    event = _event(
        current,
        kind=RequestEventKind.NOTE if internal else RequestEventKind.MESSAGE,
        actor=actor,
        when=now,
        text=text,
        internal=internal,
    )
    audit.record(
        "service_request.note" if internal else "service_request.message",
        actor=actor,
        obj=current,
        detail={"event": event.pk},
    )
    if not internal:
        recipients = (
            notify.request_enterprise_recipients(current)
            if handler
            else notify.request_staff_recipients(current)
        )
        notify.send(
            recipients,
            kind="message",
            title=lazy_text(gettext_lazy("诉求 %(code)s 有新留言"), code=current.code),
            body=text[:300],
            url=notify.request_url(current),
            dedupe_key=f"sq:{current.pk}:message:{event.pk}",
        )
    return event


@transaction.atomic
def request_hand_over(
    *,
    actor: Any,
    request: ServiceRequest,
    version: int | None,
    department: str,
    department_name: str = "",
    text: str = "",
) -> ServiceRequest:
    """Hand the request to a department; the commissioner stays responsible and the clocks keep running."""
    _check_handler(actor, request)
    if department not in Department.values:
        raise ValidationError({"department": _("请选择转办部门。")})
    department_name = checked_text(
        department_name,
        "department_name",
        label=_("部门名称"),
        limit=60,
        required=department == Department.OTHER,
        quote=False,
    )
    text = checked_text(text, "text", label=_("转办说明"), limit=2000, quote=False)
    label = department_name if department == Department.OTHER else str(Department(department).label)
    result = _transition(
        request,
        actor=actor,
        version=version,
        action="hand_over",
        event_kind=RequestEventKind.HANDED_OVER,
        text=text,
        changes={"department": department, "department_name": department_name},
        data={"department": department, "department_label": label},
        compute=_response_fields,
    )
    notify.send(
        notify.request_enterprise_recipients(result),
        kind="handed_over",
        title=lazy_text(
            gettext_lazy("您的诉求 %(code)s 已转交%(dept)s办理"),
            code=result.code,
            dept=department_name if department == Department.OTHER else Department(department).label,
        ),
        body=text[:300],
        url=notify.request_url(result),
        dedupe_key=f"sq:{result.pk}:handed_over:{result.version}",
    )
    return result


@transaction.atomic
def request_resolve(*, actor: Any, request: ServiceRequest, version: int | None, text: str) -> ServiceRequest:
    """The commissioner reports the request resolved; the enterprise then closes it with a rating."""
    _check_handler(actor, request)
    text = checked_text(text, "text", label=_("办结说明"), limit=4000, quote=False)
    result = _transition(
        request,
        actor=actor,
        version=version,
        action="resolve",
        event_kind=RequestEventKind.RESOLVED,
        text=text,
        compute=_resolution_fields,
    )
    notify.send(
        notify.request_enterprise_recipients(result),
        kind="resolved",
        title=lazy_text(gettext_lazy("您的诉求 %(code)s 已办结，请评价"), code=result.code),
        body=text[:300],
        url=notify.request_url(result),
        dedupe_key=f"sq:{result.pk}:resolved:{result.cycle}",
    )
    return result


@transaction.atomic
def request_close(
    *, actor: Any, request: ServiceRequest, version: int | None, rating: int, comment: str = ""
) -> ServiceRequest:
    """The enterprise closes its request with a satisfaction rating (1–5)."""
    _check_enterprise(actor, request)
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ValidationError({"rating": _("请为本次服务打分（1–5 分）。")}) from None
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("满意度评分应为 1–5 分。")})
    comment = checked_text(comment, "comment", label=_("评价"), limit=500, required=False, quote=False)

    def compute(current: ServiceRequest, now: dt.datetime) -> dict[str, Any]:
        return {
            **_resolution_fields(current, now),
            "closed_at": now,
            "rating": rating,
            "rating_comment": comment,
        }

    result = _transition(
        request,
        actor=actor,
        version=version,
        action="close",
        event_kind=RequestEventKind.CLOSED,
        text=comment,
        data={"rating": rating},
        compute=compute,
    )
    notify.send(
        notify.request_staff_recipients(result),
        kind="closed",
        title=lazy_text(
            gettext_lazy("诉求 %(code)s 已由企业关闭，评分 %(rating)s 分"), code=result.code, rating=rating
        ),
        body=comment[:300],
        url=notify.request_url(result),
        dedupe_key=f"sq:{result.pk}:closed:{result.cycle}",
    )
    return result


@transaction.atomic
def request_reopen(
    *, actor: Any, request: ServiceRequest, version: int | None, reason: str
) -> ServiceRequest:
    """The enterprise reopens a resolved request, or one closed in the last 30 days; the resolution
    clock starts again from now."""
    _check_enterprise(actor, request)
    reason = checked_text(reason, "reason", label=_("重新打开的原因"), limit=2000, quote=False)
    now = _now()

    def compute(current: ServiceRequest, when: dt.datetime) -> dict[str, Any]:
        if (
            current.status == S.CLOSED
            and current.closed_at
            and when - current.closed_at > dt.timedelta(days=REOPEN_WINDOW_DAYS)
        ):
            raise ValidationError(
                {
                    "reason": _("诉求关闭已超过 %(n)s 天，不能重新打开，请提交新的诉求。")
                    % {"n": REOPEN_WINDOW_DAYS}
                }
            )
        calendar = work_calendar()
        return {
            "cycle": current.cycle + 1,
            "clock_started_at": when,
            "resolution_due_at": clock.add_working_days(when, current.resolution_days, calendar),
            "resolved_at": None,
            "closed_at": None,
            "resolution_minutes": None,
            "rating": None,
            "rating_comment": "",
            "resolution_reminded_at": None,
            "resolution_escalated_at": None,
        }

    previous_rating = ServiceRequest.objects.filter(pk=request.pk).values_list("rating", flat=True).first()
    result = _transition(
        request,
        actor=actor,
        version=version,
        action="reopen",
        event_kind=RequestEventKind.REOPENED,
        text=reason,
        now=now,
        data={"previous_rating": previous_rating},
        compute=compute,
    )
    notify.send(
        notify.request_staff_recipients(result),
        kind="reopened",
        title=lazy_text(gettext_lazy("诉求 %(code)s 被企业重新打开"), code=result.code),
        body=reason[:300],
        url=notify.request_url(result),
        dedupe_key=f"sq:{result.pk}:reopened:{result.cycle}",
    )
    return result


@transaction.atomic
def request_withdraw(
    *, actor: Any, request: ServiceRequest, version: int | None, reason: str = ""
) -> ServiceRequest:
    """The enterprise withdraws a request it no longer needs."""
    _check_enterprise(actor, request)
    reason = checked_text(reason, "reason", label=_("撤回原因"), limit=500, required=False, quote=False)
    result = _transition(
        request,
        actor=actor,
        version=version,
        action="withdraw",
        event_kind=RequestEventKind.WITHDRAWN,
        text=reason,
        compute=lambda current, now: {"closed_at": now},
    )
    notify.send(
        notify.request_staff_recipients(result),
        kind="withdrawn",
        title=lazy_text(gettext_lazy("诉求 %(code)s 已被企业撤回"), code=result.code),
        body=reason[:300],
        url=notify.request_url(result),
        dedupe_key=f"sq:{result.pk}:withdrawn",
    )
    return result


def _commissioner_candidate(user: Any) -> None:
    if user is None or not user.is_active or Role.COMMISSIONER not in user.roles:
        raise ValidationError({"commissioner": _("请选择一位在岗的服务专员。")})


@transaction.atomic
def request_reassign(
    *, actor: Any, request: ServiceRequest, version: int | None, commissioner: Any, reason: str = ""
) -> ServiceRequest:
    """An operator routes one request to another commissioner (the enterprise's assignment stays)."""
    if not can_reassign_request(actor):
        raise deny(_("只有运营人员可以更换诉求的服务专员。"))
    _commissioner_candidate(commissioner)
    reason = checked_text(reason, "reason", label=_("说明"), limit=200, required=False, quote=False)
    current = ServiceRequest.objects.get(pk=request.pk)
    if version is not None and int(version) != current.version:
        raise RequestConflict(current)
    if current.status not in OPEN_STATUSES:
        raise ValidationError({"commissioner": _("只有办理中的诉求可以更换专员。")})
    now = _now()
    matched = ServiceRequest.objects.filter(pk=current.pk, version=current.version).update(
        commissioner=commissioner, version=F("version") + 1, updated_at=now
    )
    if matched != 1:
        raise RequestConflict(ServiceRequest.objects.get(pk=current.pk))
    previous = current.commissioner_id
    current.refresh_from_db()
    _event(
        current,
        kind=RequestEventKind.REASSIGNED,
        actor=actor,
        when=now,
        text=reason,
        internal=True,
        data={"from": previous, "to": commissioner.pk},
    )
    audit.record(
        "service_request.reassign", actor=actor, obj=current, detail={"from": previous, "to": commissioner.pk}
    )
    notify.send(
        [commissioner],
        kind="assigned",
        title=lazy_text(gettext_lazy("诉求 %(code)s 已转由您办理"), code=current.code),
        url=notify.request_url(current),
        dedupe_key=f"sq:{current.pk}:assigned:{current.version}",
    )
    request.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
    return current


@transaction.atomic
def request_attach(*, actor: Any, request: ServiceRequest, files: Iterable[Any]) -> list[RequestAttachment]:
    current = ServiceRequest.objects.get(pk=request.pk)
    if not (can_handle_request(actor, current) or can_act_for_enterprise(actor, current)):
        raise deny(_("您不能为此诉求上传附件。"))
    if current.status in (S.CLOSED, S.WITHDRAWN):
        raise ValidationError(
            {"files": _("诉求已%(status)s，不能再上传附件。") % {"status": current.get_status_display()}}
        )
    now = _now()
    stored = _store_files(current, files, actor=actor, when=now)
    if stored:
        _event(
            current,
            kind=RequestEventKind.ATTACHED,
            actor=actor,
            when=now,
            text="、".join(a.original_name for a in stored),
            data={"attachments": [a.pk for a in stored]},
        )
    return stored


# --- the SLA tick -------------------------------------------------------------------------------------


@dataclass
class TickReport:
    now: dt.datetime
    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    notifications: int = 0

    def summary(self) -> str:
        return _("临期提醒 %(r)s 条，超时升级 %(e)s 条，发出通知 %(n)s 条") % {
            "r": len(self.reminded),
            "e": len(self.escalated),
            "n": self.notifications,
        }


def _clock_fields(which: str) -> tuple[str, str, str, tuple[str, ...]]:
    if which == "response":
        return "response_due_at", "response_reminded_at", "response_escalated_at", (S.SUBMITTED,)
    return "resolution_due_at", "resolution_reminded_at", "resolution_escalated_at", OPEN


def sla_tick(*, now: dt.datetime | None = None, dry_run: bool = False) -> TickReport:
    """Find requests whose clocks are about to run out (remind the commissioner) or have run out
    (escalate to the responsible leader and tell the commissioner). Idempotent."""
    now = now or _now()
    calendar = work_calendar()
    soon = clock.add_working_minutes(now, REMIND_BEFORE_MINUTES, calendar)
    report = TickReport(now=now)
    for which in ("response", "resolution"):
        due_field, reminded_field, escalated_field, statuses = _clock_fields(which)
        breached = (
            ServiceRequest.objects.filter(
                status__in=statuses, **{f"{escalated_field}__isnull": True, f"{due_field}__lte": now}
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk in list(breached):
            if dry_run:
                report.escalated.append(str(pk))
                continue
            _escalate(pk, which=which, now=now, report=report)
        due_soon = (
            ServiceRequest.objects.filter(
                status__in=statuses,
                **{
                    f"{reminded_field}__isnull": True,
                    f"{escalated_field}__isnull": True,
                    f"{due_field}__gt": now,
                    f"{due_field}__lte": soon,
                },
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for pk in list(due_soon):
            if dry_run:
                report.reminded.append(str(pk))
                continue
            _remind(pk, which=which, now=now, report=report)
    return report


@transaction.atomic
def _escalate(pk: int, *, which: str, now: dt.datetime, report: TickReport) -> None:
    due_field, _reminded, escalated_field, statuses = _clock_fields(which)
    matched = ServiceRequest.objects.filter(
        Q(pk=pk),
        Q(status__in=statuses),
        Q(**{f"{escalated_field}__isnull": True, f"{due_field}__lte": now}),
    ).update(**{escalated_field: now, f"{which}_breached": True})
    if matched != 1:  # someone resolved it, or another tick got here first
        return
    request = ServiceRequest.objects.select_related("organization", "commissioner").get(pk=pk)
    leaders = notify.leaders_for(request.organization_id)
    label = _("首次响应") if which == "response" else _("办结")
    clock_label = (
        gettext_lazy("首次响应") if which == "response" else gettext_lazy("办结")
    )  # in each reader's language
    due = getattr(request, due_field).astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M")
    _event(
        request,
        kind=RequestEventKind.ESCALATED,
        actor=None,
        when=now,
        text=_("%(clock)s超时（时限 %(due)s），已升级至包保领导。") % {"clock": label, "due": due},
        data={"clock": which, "due": due, "cycle": request.cycle, "leaders": [u.pk for u in leaders]},
    )
    audit.record(
        "service_request.escalate",
        actor=None,
        obj=request,
        username="sla-tick",
        detail={"clock": which, "cycle": request.cycle, "leaders": [u.pk for u in leaders]},
    )
    title = lazy_text(
        gettext_lazy("诉求 %(code)s %(clock)s超时，已升级"), code=request.code, clock=clock_label
    )
    body = lazy_text(
        gettext_lazy("%(org)s 的%(category)s类诉求“%(title)s”%(clock)s时限为 %(due)s，现已超时。"),
        org=request.organization.name,
        category=RequestCategory(request.category).label,
        title=request.title,
        clock=clock_label,
        due=due,
    )
    key = f"sq:{pk}:{which}:escalated:{request.cycle}"
    report.notifications += notify.send(
        leaders, kind="escalated", title=title, body=body, url=notify.request_url(request), dedupe_key=key
    )
    report.notifications += notify.send(
        notify.request_staff_recipients(request),
        kind="escalated",
        title=title,
        body=body,
        url=notify.request_url(request),
        dedupe_key=key,
    )
    report.escalated.append(request.code)


@transaction.atomic
def _remind(pk: int, *, which: str, now: dt.datetime, report: TickReport) -> None:
    due_field, reminded_field, escalated_field, statuses = _clock_fields(which)
    matched = ServiceRequest.objects.filter(
        Q(pk=pk),
        Q(status__in=statuses),
        Q(**{f"{reminded_field}__isnull": True, f"{escalated_field}__isnull": True, f"{due_field}__gt": now}),
    ).update(**{reminded_field: now})
    if matched != 1:
        return
    request = ServiceRequest.objects.select_related("organization", "commissioner").get(pk=pk)
    label = _("首次响应") if which == "response" else _("办结")
    clock_label = (
        gettext_lazy("首次响应") if which == "response" else gettext_lazy("办结")
    )  # in each reader's language
    due = getattr(request, due_field).astimezone(clock.TZ).strftime("%Y-%m-%d %H:%M")
    _event(
        request,
        kind=RequestEventKind.REMINDED,
        actor=None,
        when=now,
        internal=True,
        text=_("%(clock)s时限 %(due)s 临近。") % {"clock": label, "due": due},
        data={"clock": which, "due": due, "cycle": request.cycle},
    )
    report.notifications += notify.send(
        notify.request_staff_recipients(request),
        kind="due_soon",
        title=lazy_text(
            gettext_lazy("诉求 %(code)s 即将%(clock)s超时"), code=request.code, clock=clock_label
        ),
        body=lazy_text(
            gettext_lazy("%(org)s：“%(title)s”，%(clock)s时限 %(due)s。"),
            org=request.organization.name,
            title=request.title,
            clock=clock_label,
            due=due,
        ),
        url=notify.request_url(request),
        dedupe_key=f"sq:{pk}:{which}:reminded:{request.cycle}",
    )
    report.reminded.append(request.code)


# --- assignments --------------------------------------------------------------------------------------


def _check_assignee(role: str, user: Any) -> None:
    if role not in AssignmentRole.values:
        raise ValidationError({"role": _("无效的职责。")})
    needed = Role.COMMISSIONER if role == AssignmentRole.COMMISSIONER else Role.LEADER
    if user is None or not user.is_active or needed not in user.roles:
        message = (
            _("请选择一位在岗的服务专员。")
            if role == AssignmentRole.COMMISSIONER
            else _("请选择一位班子领导。")
        )
        raise ValidationError({"user": message})


@transaction.atomic
def assignment_set(
    *, actor: Any, organization: Organization, role: str, user: Any, reason: str = ""
) -> Assignment:
    """Make ``user`` the enterprise's commissioner (or 包保 leader). The current assignment ends and stays
    in the history; the enterprise's open requests follow the new commissioner."""
    if not is_system(actor) and not can_manage_assignments(actor):
        raise deny(_("只有运营人员可以分配服务专员和包保领导。"))
    if organization is None or organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("只能为企业分配服务专员。")})
    _check_assignee(role, user)
    reason = checked_text(reason, "reason", label=_("说明"), limit=200, required=False, quote=False)
    Organization.objects.select_for_update().filter(pk=organization.pk).first()  # one change at a time
    now = _now()
    current = Assignment.objects.filter(organization=organization, role=role, ended_at__isnull=True).first()
    if current is not None and current.user_id == user.pk:
        return current
    if current is not None:
        Assignment.objects.filter(pk=current.pk).update(
            ended_at=now,
            ended_by=actor if getattr(actor, "pk", None) else None,
            end_reason=reason or _("重新分配"),
        )
    assignment = Assignment.objects.create(
        organization=organization,
        role=role,
        user=user,
        started_at=now,
        reason=reason,
        assigned_by=actor if getattr(actor, "pk", None) else None,
    )
    moved = []
    if role == AssignmentRole.COMMISSIONER:
        for request in (
            ServiceRequest.objects.filter(organization=organization, status__in=OPEN)
            .exclude(commissioner=user)
            .order_by("pk")
        ):
            previous = request.commissioner_id
            ServiceRequest.objects.filter(pk=request.pk).update(
                commissioner=user, version=F("version") + 1, updated_at=now
            )
            request.refresh_from_db()
            _event(
                request,
                kind=RequestEventKind.REASSIGNED,
                actor=actor,
                when=now,
                internal=True,
                text=_("企业更换服务专员，诉求随之转交。"),
                data={"from": previous, "to": user.pk},
            )
            moved.append(request.code)
    audit.record(
        "assignment.set",
        actor=actor,
        obj=assignment,
        detail={
            "organization": organization.pk,
            "role": role,
            "user": user.pk,
            "previous": current.user_id if current else None,
            "requests_moved": moved,
        },
    )
    forget_assignments(actor)
    forget_assignments(user)
    title = lazy_text(
        gettext_lazy("您已被分配为“%(org)s”的服务专员")
        if role == AssignmentRole.COMMISSIONER
        else gettext_lazy("您已被确定为“%(org)s”的包保领导"),
        org=organization.name,
    )
    from django.urls import reverse

    notify.send(
        [user],
        kind="assignment",
        title=title,
        body=lazy_text(gettext_lazy("未办结诉求 %(n)s 条已转给您。"), n=len(moved)) if moved else "",
        url=reverse("servicedesk:enterprise-detail", args=[organization.pk]),
        dedupe_key=f"assignment:{assignment.pk}",
    )
    return assignment


@transaction.atomic
def assignment_end(
    *, actor: Any, organization: Organization, role: str, reason: str = ""
) -> Assignment | None:
    if not is_system(actor) and not can_manage_assignments(actor):
        raise deny(_("只有运营人员可以调整服务专员和包保领导。"))
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    current = Assignment.objects.filter(organization=organization, role=role, ended_at__isnull=True).first()
    if current is None:
        return None
    now = _now()
    reason = checked_text(reason, "reason", label=_("说明"), limit=200, required=False, quote=False)
    Assignment.objects.filter(pk=current.pk).update(
        ended_at=now,
        ended_by=actor if getattr(actor, "pk", None) else None,
        end_reason=reason or _("取消分配"),
    )
    current.refresh_from_db()
    audit.record(
        "assignment.end", actor=actor, obj=current, detail={"organization": organization.pk, "role": role}
    )
    forget_assignments(current.user)
    return current


def assignments_apply_suggestions(*, actor: Any, limit: int = 200) -> list[Assignment]:
    """Assign every enterprise without a commissioner as the workload suggestion says."""
    if not can_manage_assignments(actor):
        raise deny(_("只有运营人员可以分配服务专员。"))
    from .selectors import assignment_suggestions

    done = []
    with transaction.atomic():
        for suggestion in assignment_suggestions(limit=limit):
            done.append(
                assignment_set(
                    actor=actor,
                    organization=suggestion.organization,
                    role=AssignmentRole.COMMISSIONER,
                    user=suggestion.commissioner,
                    reason=_("按工作量均衡建议分配"),
                )
            )
    return done


# --- visits and 无事不扰 -------------------------------------------------------------------------------


def visit_cap() -> int:
    """The district's monthly visit cap per enterprise (settings.SERVICEDESK_VISITS_PER_MONTH, default 2)."""
    return int(getattr(settings, "SERVICEDESK_VISITS_PER_MONTH", 2))


def effective_cap(preference: ServicePreference | None) -> int:
    cap = visit_cap()
    if preference is not None and preference.max_visits_per_month is not None:
        cap = min(cap, int(preference.max_visits_per_month))
    return cap


def local_today() -> dt.date:
    return _now().astimezone(clock.TZ).date()


class VisitRefused(ValidationError):
    """A visit refused by 无事不扰 (the monthly cap or the enterprise's do-not-disturb)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__({"planned_for": message})
        self.reason = reason
        self.text = message


def _visit_refusal(
    organization: Organization, planned_for: dt.date, request: ServiceRequest | None
) -> VisitRefused | None:
    preference = ServicePreference.objects.filter(organization=organization).first()
    invited = (
        request is not None and request.organization_id == organization.pk and request.status in OPEN_STATUSES
    )
    if preference is not None and preference.blocks(planned_for) and not invited:
        until = (
            _("至 %(date)s") % {"date": preference.do_not_disturb_until.strftime("%Y-%m-%d")}
            if preference.do_not_disturb_until
            else _("长期有效")
        )
        return VisitRefused(
            _(
                "“%(org)s”已开启“无事不扰”（%(until)s），不能安排走访。企业有事会通过平台提出诉求；"
                "如需上门办理企业自己提出的诉求，请在安排走访时关联该诉求。"
            )
            % {"org": organization.name, "until": until},
            "do_not_disturb",
        )
    cap = effective_cap(preference)
    month = Visit.objects.filter(
        organization=organization,
        status__in=[VisitStatus.PLANNED, VisitStatus.DONE],
        planned_for__year=planned_for.year,
        planned_for__month=planned_for.month,
    ).count()
    if month >= cap:
        if cap == 0:
            message = _("“%(org)s”设置了每月不接受走访（“无事不扰”），不能安排走访。") % {
                "org": organization.name
            }
        else:
            message = _(
                "“%(org)s”%(year)s年%(month)s月已安排 %(count)s 次走访，已达每月上限 %(cap)s 次"
                "（“无事不扰”）。请改到其他月份，或与已安排的走访合并。"
            ) % {
                "org": organization.name,
                "year": planned_for.year,
                "month": planned_for.month,
                "count": month,
                "cap": cap,
            }
        return VisitRefused(message, "monthly_cap")
    return None


def visit_plan(
    *,
    actor: Any,
    organization: Organization,
    planned_for: dt.date,
    purpose: str,
    visitor: Any = None,
    companions: str = "",
    request: ServiceRequest | None = None,
) -> Visit:
    """Plan a visit. Refused (with a message saying why) over the monthly cap or while the enterprise
    does not want to be disturbed; a refusal is audited."""
    if organization is None or organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("只能走访企业。")})
    if not can_plan_visit(actor, organization):
        raise deny(_("只有该企业的服务专员、包保领导或运营人员可以安排走访。"))
    visitor = visitor or actor
    if (
        visitor is None
        or not visitor.is_active
        or not (visitor.roles & {Role.COMMISSIONER, Role.LEADER, Role.OPERATOR})
    ):
        raise ValidationError({"visitor": _("走访人须为服务专员、班子领导或运营人员。")})
    purpose = checked_text(purpose, "purpose", label=_("走访事由"), limit=200, quote=False)
    companions = checked_text(
        companions, "companions", label=_("同行人员"), limit=200, required=False, quote=False
    )
    if not isinstance(planned_for, dt.date):
        raise ValidationError({"planned_for": _("请填写走访日期。")})
    today = local_today()
    if planned_for < today:
        raise ValidationError({"planned_for": _("走访日期不能早于今天；已发生的走访请在走访记录中补记。")})
    if planned_for > today + dt.timedelta(days=366):
        raise ValidationError({"planned_for": _("只能安排一年以内的走访。")})
    if request is not None and request.organization_id != organization.pk:
        raise ValidationError({"request": _("关联的诉求不属于该企业。")})
    try:
        with transaction.atomic():
            Organization.objects.select_for_update().filter(
                pk=organization.pk
            ).first()  # the cap under a lock
            refusal = _visit_refusal(organization, planned_for, request)
            if refusal is not None:
                raise refusal
            now = _now()
            visit = Visit.objects.create(
                organization=organization,
                planned_for=planned_for,
                purpose=purpose,
                visitor=visitor,
                companions=companions,
                request=request,
                created_by=actor,
                created_at=now,
            )
            visit.code = _code(Visit.CODE_PREFIX, now)
            Visit.objects.filter(pk=visit.pk).update(code=visit.code)
            audit.record(
                "visit.plan",
                actor=actor,
                obj=visit,
                detail={
                    "organization": organization.pk,
                    "planned_for": planned_for.isoformat(),
                    "request": request.code if request else "",
                },
            )
            notify.send(
                notify.enterprise_people(organization.pk),
                kind="visit_planned",
                title=lazy_text(
                    gettext_lazy("服务专员将于 %(date)s 走访贵企业"), date=planned_for.strftime("%Y-%m-%d")
                ),
                body=lazy_text(
                    gettext_lazy("事由：%(purpose)s。如不方便，可在“服务偏好”中设置无事不扰。"),
                    purpose=purpose,
                ),
                url=notify.visit_url(visit),
                dedupe_key=f"visit:{visit.pk}:planned",
            )
            return visit
    except VisitRefused as refused:
        audit.record(
            "visit.plan",
            actor=actor,
            object_type="directory.organization",
            object_id=str(organization.pk),
            object_repr=organization.name[:200],
            result=AuditResult.DENIED,
            detail={"reason": refused.reason, "planned_for": planned_for.isoformat()},
        )
        raise


@transaction.atomic
def visit_record(*, actor: Any, visit: Visit, notes: str, follow_ups: Iterable[str] = ()) -> Visit:
    """Record what happened on a visit (走访记录); follow-ups go into the enterprise's plan."""
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if not (locked.visitor_id == getattr(actor, "pk", None) or can_plan_visit(actor, locked)):
        raise deny(_("只有走访人、该企业的服务专员或运营人员可以填写走访记录。"))
    if locked.status == VisitStatus.CANCELLED:
        raise ValidationError({"notes": _("走访已取消，不能填写记录。")})
    if locked.planned_for > local_today():
        raise ValidationError(
            {
                "notes": _("走访日期（%(date)s）还没到，走访后再填写记录。")
                % {"date": locked.planned_for.strftime("%Y-%m-%d")}
            }
        )
    notes = checked_text(notes, "notes", label=_("走访记录"), limit=4000, quote=False)
    now = _now()
    locked.status, locked.notes, locked.recorded_at = VisitStatus.DONE, notes, now
    locked.save(update_fields=["status", "notes", "recorded_at"])
    items = [t.strip() for t in follow_ups if t and t.strip()]
    for text in items:
        plan_item_add(
            actor=actor,
            organization=locked.organization,
            kind=PlanItemKind.FOLLOW_UP,
            text=text,
            visit=locked,
        )
    audit.record("visit.record", actor=actor, obj=locked, detail={"follow_ups": len(items)})
    visit.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


@transaction.atomic
def visit_cancel(*, actor: Any, visit: Visit, reason: str = "") -> Visit:
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    enterprise = can_act_for_enterprise(actor, locked)
    if not (locked.visitor_id == getattr(actor, "pk", None) or can_plan_visit(actor, locked) or enterprise):
        raise deny(_("您不能取消这次走访。"))
    if locked.status != VisitStatus.PLANNED:
        raise ValidationError({"reason": _("只有已计划的走访可以取消。")})
    locked.status = VisitStatus.CANCELLED
    locked.cancel_reason = checked_text(
        reason, "reason", label=_("取消原因"), limit=200, required=False, quote=False
    ) or (_("企业婉拒") if enterprise else _("取消"))
    locked.save(update_fields=["status", "cancel_reason"])
    audit.record("visit.cancel", actor=actor, obj=locked, detail={"by_enterprise": bool(enterprise)})
    if enterprise:
        notify.send(
            [locked.visitor],
            kind="visit_cancelled",
            title=lazy_text(
                gettext_lazy("“%(org)s”婉拒了 %(date)s 的走访"),
                org=locked.organization.name,
                date=locked.planned_for.strftime("%Y-%m-%d"),
            ),
            body=locked.cancel_reason,
            url=notify.visit_url(locked),
            dedupe_key=f"visit:{locked.pk}:cancelled",
        )
    visit.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


@transaction.atomic
def preference_set(
    *,
    actor: Any,
    organization: Organization,
    do_not_disturb: bool,
    do_not_disturb_until: dt.date | None = None,
    max_visits_per_month: int | None = None,
    note: str = "",
) -> ServicePreference:
    """The enterprise's own 无事不扰 setting. Turning it on cancels the planned visits it covers (except
    visits to handle a request the enterprise itself made) and tells the visitors."""
    if not can_set_preference(actor, organization):
        raise deny(_("只有企业自己可以设置服务偏好。"))
    if max_visits_per_month is not None and not 0 <= int(max_visits_per_month) <= 10:
        raise ValidationError({"max_visits_per_month": _("每月走访次数应在 0–10 之间。")})
    today = local_today()
    if do_not_disturb and do_not_disturb_until is not None and do_not_disturb_until < today:
        raise ValidationError({"do_not_disturb_until": _("截止日期不能早于今天。")})
    note = checked_text(note, "note", label=_("说明"), limit=200, required=False, quote=False)
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    preference, _created = ServicePreference.objects.get_or_create(organization=organization)
    preference.do_not_disturb = bool(do_not_disturb)
    preference.do_not_disturb_until = do_not_disturb_until if do_not_disturb else None
    preference.max_visits_per_month = None if max_visits_per_month is None else int(max_visits_per_month)
    preference.note, preference.updated_by = note, actor
    preference.save()
    cancelled = []
    if preference.do_not_disturb:
        planned = Visit.objects.filter(
            organization=organization, status=VisitStatus.PLANNED, planned_for__gte=today
        ).select_related("request", "visitor")
        for visit in planned:
            invited = visit.request is not None and visit.request.status in OPEN_STATUSES
            if preference.blocks(visit.planned_for) and not invited:
                Visit.objects.filter(pk=visit.pk).update(
                    status=VisitStatus.CANCELLED, cancel_reason=_("企业开启了“无事不扰”")
                )
                cancelled.append(visit.code)
                notify.send(
                    [visit.visitor],
                    kind="visit_cancelled",
                    title=lazy_text(
                        gettext_lazy("“%(org)s”开启了无事不扰，%(date)s 的走访已取消"),
                        org=organization.name,
                        date=visit.planned_for.strftime("%Y-%m-%d"),
                    ),
                    url=notify.visit_url(visit),
                    dedupe_key=f"visit:{visit.pk}:cancelled",
                )
    audit.record(
        "service_preference.set",
        actor=actor,
        obj=preference,
        detail={
            "do_not_disturb": preference.do_not_disturb,
            "until": do_not_disturb_until.isoformat() if do_not_disturb_until else "",
            "max_visits_per_month": preference.max_visits_per_month,
            "visits_cancelled": cancelled,
        },
    )
    return preference


# --- 一企一策 ------------------------------------------------------------------------------------------


def _plan_for(organization: Organization) -> Plan:
    plan, _created = Plan.objects.get_or_create(organization=organization)
    return plan


@transaction.atomic
def plan_update(*, actor: Any, organization: Organization, summary: str) -> Plan:
    if organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("一企一策只适用于企业。")})
    if not is_system(actor) and not can_edit_plan(actor, organization):
        raise deny(_("只有该企业的服务专员、包保领导或运营人员可以编辑一企一策。"))
    plan = _plan_for(organization)
    plan.summary = checked_text(
        summary, "summary", label=_("概况与服务思路"), limit=4000, required=False, quote=False
    )
    plan.updated_by = actor
    plan.save()
    audit.record("plan.update", actor=actor, obj=plan, detail={"organization": organization.pk})
    return plan


@transaction.atomic
def plan_item_add(
    *,
    actor: Any,
    organization: Organization,
    kind: str,
    text: str,
    due_on: dt.date | None = None,
    request: ServiceRequest | None = None,
    visit: Visit | None = None,
) -> PlanItem:
    if organization.kind != OrganizationKind.ENTERPRISE:
        raise ValidationError({"organization": _("一企一策只适用于企业。")})
    if (
        not is_system(actor)
        and not can_edit_plan(actor, organization)
        and not (visit is not None and visit.visitor_id == getattr(actor, "pk", None))
    ):
        raise deny(_("只有该企业的服务专员、包保领导或运营人员可以编辑一企一策。"))
    if kind not in PlanItemKind.values:
        raise ValidationError({"kind": _("请选择事项类型。")})
    text = checked_text(text, "text", label=_("事项内容"), limit=500, quote=False)
    if request is not None and request.organization_id != organization.pk:
        raise ValidationError({"request": _("关联的诉求不属于该企业。")})
    plan = _plan_for(organization)
    item = PlanItem.objects.create(
        plan=plan, kind=kind, text=text, due_on=due_on, request=request, visit=visit, created_by=actor
    )
    Plan.objects.filter(pk=plan.pk).update(updated_by=actor)
    audit.record(
        "plan.item_add", actor=actor, obj=item, detail={"organization": organization.pk, "kind": kind}
    )
    return item


@transaction.atomic
def plan_item_set_status(*, actor: Any, item: PlanItem, status: str) -> PlanItem:
    locked = PlanItem.objects.select_for_update().select_related("plan__organization").get(pk=item.pk)
    if not can_edit_plan(actor, locked.plan.organization):
        raise deny(_("只有该企业的服务专员、包保领导或运营人员可以编辑一企一策。"))
    if status not in PlanItemStatus.values:
        raise ValidationError({"status": _("无效的状态。")})
    locked.status = status
    locked.done_at = _now() if status == PlanItemStatus.DONE else None
    locked.save(update_fields=["status", "done_at"])
    audit.record("plan.item_status", actor=actor, obj=locked, detail={"status": status})
    return locked


# --- the calendar and the clocks per category ----------------------------------------------------------


def _recompute_open_clocks() -> int:
    """After a calendar change, recompute the due times of open clocks (their start and length stay)."""
    calendar = work_calendar()
    changed = 0
    for request in ServiceRequest.objects.filter(status__in=OPEN).only(
        "pk",
        "filed_at",
        "clock_started_at",
        "response_days",
        "resolution_days",
        "response_due_at",
        "resolution_due_at",
        "first_responded_at",
    ):
        values: dict[str, Any] = {}
        resolution_due = clock.add_working_days(request.clock_started_at, request.resolution_days, calendar)
        if resolution_due != request.resolution_due_at:
            values["resolution_due_at"] = resolution_due
        if request.first_responded_at is None:
            response_due = clock.add_working_days(request.filed_at, request.response_days, calendar)
            if response_due != request.response_due_at:
                values["response_due_at"] = response_due
        if values:
            ServiceRequest.objects.filter(pk=request.pk).update(**values)
            changed += 1
    return changed


CALENDAR_RANGE_MAX_DAYS = 31


def _check_calendar_day(date: dt.date, kind: str) -> None:
    if kind not in CalendarDayKind.values:
        raise ValidationError({"kind": _("请选择“放假”或“调休上班”。")})
    if kind == CalendarDayKind.WORKDAY and date.weekday() < 5:
        raise ValidationError(
            {
                "date": _("%(date)s 是周一至周五，本来就是工作日，无需设为调休上班。")
                % {"date": date.isoformat()}
            }
        )


@transaction.atomic
def calendar_day_set(
    *, actor: Any, date: dt.date, kind: str, name: str = "", note: str = "", until: dt.date | None = None
) -> CalendarDay:
    """Mark a date (or the dates from ``date`` to ``until``, for a holiday of several days) as a holiday
    or a 调休 working day, or change it; open requests' due times follow. Returns the first day."""
    if not is_system(actor) and not can_edit_calendar(actor):
        raise deny(_("只有运营人员可以修改工作日历。"))
    last = until or date
    if last < date:
        raise ValidationError({"until": _("结束日期不能早于开始日期。")})
    if (last - date).days + 1 > CALENDAR_RANGE_MAX_DAYS:
        raise ValidationError(
            {"until": _("一次最多录入 %(n)s 天，请分段录入。") % {"n": CALENDAR_RANGE_MAX_DAYS}}
        )
    if kind == CalendarDayKind.WORKDAY and last != date:
        raise ValidationError({"until": _("调休上班日请逐日录入（通常是单个周六或周日）。")})
    _check_calendar_day(date, kind)
    name = checked_text(name, "name", label=_("名称"), limit=40, required=False, quote=False)
    note = checked_text(note, "note", label=_("说明"), limit=200, required=False, quote=False)
    days, created_count, day = [], 0, date
    while day <= last:
        row, created = CalendarDay.objects.update_or_create(
            date=day,
            defaults={
                "kind": kind,
                "name": name,
                "note": note,
                "updated_by": actor,
                "source": _("运营人员维护"),
            },
        )
        days.append(row)
        created_count += created
        day += dt.timedelta(days=1)
    changed = _recompute_open_clocks()
    detail: dict[str, Any] = {
        "date": date.isoformat(),
        "kind": kind,
        "created": bool(created_count) if last == date else created_count,
        "requests_recomputed": changed,
    }
    if last != date:
        detail["until"] = last.isoformat()
    audit.record("calendar.set", actor=actor, obj=days[0], detail=detail)
    return days[0]


@transaction.atomic
def calendar_day_delete(*, actor: Any, day: CalendarDay) -> None:
    if not can_edit_calendar(actor):
        raise deny(_("只有运营人员可以修改工作日历。"))
    audit.record(
        "calendar.delete", actor=actor, obj=day, detail={"date": day.date.isoformat(), "kind": day.kind}
    )
    day.delete()
    _recompute_open_clocks()


@transaction.atomic
def calendar_load(
    *, actor: Any = None, replace: bool = False, years: set[int] | None = None, path: Any = None
) -> dict[str, Any]:
    """Load the official calendars from the data file (idempotent; days an operator edited are kept
    unless ``replace``)."""
    if not is_system(actor) and not can_edit_calendar(actor):
        raise deny(_("只有运营人员可以修改工作日历。"))
    before = set(CalendarYear.objects.values_list("year", flat=True))
    counts: dict[str, Any] = dict(
        load_calendar_rows(CalendarDay, year_model=CalendarYear, replace=replace, years=years, path=path)
    )
    marked = sorted(set(CalendarYear.objects.values_list("year", flat=True)) - before)
    counts["years_marked"] = len(marked)
    if counts["created"] or counts["updated"] or marked:
        counts["years"] = marked
        counts["requests_recomputed"] = _recompute_open_clocks()
        audit.record(
            "calendar.load",
            actor=actor,
            object_type="servicedesk.calendarday",
            username="" if actor else "load-calendar",
            detail=counts,
        )
    return counts


@transaction.atomic
def calendar_year_confirm(*, actor: Any, year: int, source: str = "") -> CalendarYear:
    """Say that ``year``'s holidays and 调休 days are entered in full (per the State Council's notice):
    its clocks stop being estimates and the warning goes away."""
    if not can_edit_calendar(actor):
        raise deny(_("只有运营人员可以修改工作日历。"))
    year = int(year)
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("年份应在 2000–2100 之间。")})
    source = checked_text(source, "source", label=_("依据"), limit=200, required=False, quote=False)
    holidays = CalendarDay.objects.filter(date__year=year, kind=CalendarDayKind.HOLIDAY).count()
    if not holidays:
        raise ValidationError(
            {
                "year": _(
                    "%(year)s 年还没有录入任何放假日期：请先按国务院办公厅的通知录入放假与调休日期，再确认。"
                )
                % {"year": year}
            }
        )
    row, created = CalendarYear.objects.update_or_create(
        year=year,
        defaults={
            "source": source or _("国务院办公厅关于%(year)s年部分节假日安排的通知") % {"year": year},
            "confirmed_by": actor,
            "confirmed_at": _now(),
        },
    )
    audit.record(
        "calendar.year_confirm",
        actor=actor,
        obj=row,
        detail={"year": year, "source": row.source, "holidays": holidays, "created": created},
    )
    return row


@transaction.atomic
def calendar_year_unconfirm(*, actor: Any, year: int) -> None:
    """Take back the confirmation (the year's clocks are estimates again until it is confirmed)."""
    if not can_edit_calendar(actor):
        raise deny(_("只有运营人员可以修改工作日历。"))
    row = CalendarYear.objects.filter(year=int(year)).first()
    if row is None:
        return
    audit.record("calendar.year_unconfirm", actor=actor, obj=row, detail={"year": row.year})
    row.delete()


@transaction.atomic
def sla_policy_set(*, actor: Any, category: str, response_days: int, resolution_days: int) -> SlaPolicy:
    """Change the promised clocks of a category; requests filed from now on use them."""
    if not can_edit_sla_policy(actor):
        raise deny(_("只有运营人员可以修改服务时限。"))
    if category not in RequestCategory.values:
        raise ValidationError({"category": _("无效的诉求类别。")})
    response_days, resolution_days = int(response_days), int(resolution_days)
    if not 1 <= response_days <= 30:
        raise ValidationError({"response_days": _("首次响应时限应为 1–30 个工作日。")})
    if not response_days <= resolution_days <= 120:
        raise ValidationError({"resolution_days": _("办结时限应不少于首次响应时限，且不超过 120 个工作日。")})
    policy, _created = SlaPolicy.objects.update_or_create(
        category=category,
        defaults={"response_days": response_days, "resolution_days": resolution_days, "updated_by": actor},
    )
    audit.record(
        "sla_policy.set",
        actor=actor,
        obj=policy,
        detail={"category": category, "response_days": response_days, "resolution_days": resolution_days},
    )
    return policy
