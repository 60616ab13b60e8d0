"""Who hears about what in events, through the in-platform notifications (:mod:`kechuang.notifications`).

Sent in the service's transaction (a rolled-back step tells no one), each with a dedupe key built from
the record's code and the step, so a retried step tells each person once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.roles import Role
from kechuang.notifications.services import notification_send, organization_members, role_holders
from kechuang.notifications.text import lazy_text

from .models import Aftercare, Event, Meeting, Objection, Registration


def _event_url(event: Event) -> str:
    return reverse("events:event-detail", args=[event.code])


def event_submitted(event: Event) -> None:
    notification_send(
        recipients=role_holders(Role.OPERATOR),
        kind="events.review",
        title=lazy_text(_("待审核活动：%(title)s"), title=event.title),
        url=reverse("events:review-list"),
        dedupe_key=f"events.submitted:{event.code}:{event.submitted_at}",
    )


def event_reviewed(event: Event, *, approved: bool) -> None:
    if approved:
        title = lazy_text(_("活动“%(title)s”已审核通过并发布"), title=event.title)
    else:
        title = lazy_text(_("活动“%(title)s”被退回修改"), title=event.title)
    notification_send(
        recipients=organization_members(event.organizer_id),
        kind="events.reviewed",
        title=title,
        body=event.status_reason,
        url=_event_url(event),
        dedupe_key=f"events.reviewed:{event.code}:{event.status}:{event.submitted_at}",
    )


def registration_promoted(registration: Registration) -> None:
    """A cancelled place went to this person, first on the waiting list: told at once."""
    event = registration.event
    if registration.user is None:
        return
    notification_send(
        recipients=[registration.user],
        kind="events.promoted",
        title=lazy_text(_("候补成功：您已获得“%(title)s”的名额"), title=event.title),
        body=lazy_text(
            _("签到码 %(code)s，活动当天在入口出示或报给工作人员。"), code=registration.checkin_code
        ),
        url=reverse("events:my-registrations"),
        dedupe_key=f"events.promoted:{registration.code}",
    )


def event_cancelled(event: Event, registrations: Iterable[Registration]) -> None:
    users = [r.user for r in registrations if r.user is not None]
    notification_send(
        recipients=users,
        kind="events.cancelled",
        title=lazy_text(_("活动“%(title)s”已取消"), title=event.title),
        body=event.status_reason,
        url=_event_url(event),
        dedupe_key=f"events.cancelled:{event.code}",
    )


def objection_filed(objection: Objection) -> None:
    competition = objection.competition
    notification_send(
        recipients=role_holders(Role.OPERATOR),
        kind="events.objection",
        title=lazy_text(_("“%(title)s”公示收到异议 %(code)s"), title=competition.title, code=objection.code),
        body=objection.reason[:500],
        url=reverse("events:competition-detail", args=[competition.code]),
        dedupe_key=f"events.objection:{objection.code}",
    )


def _roadshow_url() -> str:
    return reverse("events:roadshow")


def meeting_requested(meeting: Meeting) -> None:
    """The other side hears of a meeting request: the team when an investor asks, the investor's members
    when the team asks."""
    from .choices import MeetingSide

    other = (
        meeting.entry.organization_id
        if meeting.asked_by_side == MeetingSide.INVESTOR
        else meeting.investor_id
    )
    notification_send(
        recipients=organization_members(other),
        kind="events.meeting",
        title=lazy_text(
            _("路演约谈请求 %(code)s：%(project)s"), code=meeting.code, project=meeting.entry.project
        ),
        body=meeting.message[:500],
        url=_roadshow_url(),
        dedupe_key=f"events.meeting:{meeting.code}:requested",
    )


def meeting_answered(meeting: Meeting) -> None:
    from .choices import MeetingSide

    asker = (
        meeting.entry.organization_id if meeting.asked_by_side == MeetingSide.TEAM else meeting.investor_id
    )
    notification_send(
        recipients=organization_members(asker),
        kind="events.meeting",
        title=lazy_text(
            _("路演约谈 %(code)s：%(status)s"), code=meeting.code, status=meeting.get_status_display()
        ),
        body=meeting.answer[:500],
        url=_roadshow_url(),
        dedupe_key=f"events.meeting:{meeting.code}:{meeting.status}",
    )


def aftercare_offered(aftercare: Aftercare) -> None:
    entry = aftercare.entry
    notification_send(
        recipients=organization_members(entry.organization_id),
        kind="events.aftercare",
        title=lazy_text(_("赛后服务：“%(project)s”可一次办理用房需求和创新券申领"), project=entry.project),
        url=reverse("events:aftercare", args=[entry.code]),
        dedupe_key=f"events.aftercare:{entry.code}",
    )
