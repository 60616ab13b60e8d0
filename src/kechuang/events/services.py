"""Every write of the events module: ``<entity>_<verb>(*, actor, ...)``, keyword-only, typed, atomic,
permission-checked first, audited last. Refusals are ``core.actors.deny`` (403) or application errors
(``core.errors``, 400/409) with a Chinese message; nothing is half-written.

Sign-up and cancellation lock the event row first (then the code counter), so concurrent sign-ups for
the last places queue on the event and the count of confirmed places read under the lock is exact:
capacity is never exceeded, and a cancelled place goes to exactly one person, the first on the waiting
list (docs/adr/0025-events-and-competitions.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import Actor, deny, require, user_of
from kechuang.core.dates import in_range, out_of_range_message
from kechuang.core.errors import ApplicationError, Conflict
from kechuang.core.text import checked_text, clean_text
from kechuang.directory.models import Building, Organization, Person
from kechuang.directory.permissions import member_organization_ids

from . import notify
from . import permissions as perms
from .choices import (
    ACTIVE_REGISTRATION,
    Audience,
    EventKind,
    EventStatus,
    Height,
    RegistrationStatus,
    SeriesKind,
    VenueKind,
)
from .models import (
    CHECKIN_ALPHABET,
    CHECKIN_LENGTH,
    Event,
    EventSeries,
    Feedback,
    Registration,
    Speaker,
    new_checkin_code,
    new_code,
)

MAX_CAPACITY = 100_000
MAX_SPEAKERS = 30
MAX_CO_ORGANIZERS = 20


@dataclass(frozen=True)
class SpeakerInput:
    """A speaker: a directory person, or a guest by name (and affiliation)."""

    person: Person | None = None
    guest_name: str = ""
    guest_affiliation: str = ""
    topic: str = ""


@dataclass(frozen=True)
class EventDetails:
    """What an organizer fills in for an event (create and update take the same)."""

    title: str
    kind: str
    summary: str
    venue_kind: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    height: str
    audience: str = Audience.ALL
    series: EventSeries | None = None
    building: Building | None = None
    amenity: str = ""
    venue_detail: str = ""
    agenda: str = ""
    co_organizers: Sequence[Organization] = ()
    speakers: Sequence[SpeakerInput] = field(default_factory=tuple)


# --- series ----------------------------------------------------------------------------------------------


def profile_amenities() -> list[str]:
    """The names of the district profile's amenities (public places where an event may take place)."""
    from kechuang.directory.selectors import district_profile

    return [
        str(a["name"])
        for a in district_profile().get("amenities", []) or []
        if isinstance(a, dict) and a.get("name")
    ]


def series_load_from_profile(*, actor: Actor = None, items: Sequence[dict[str, Any]] | None = None) -> int:
    """Load the district profile's brand events (``district.events``) as series; idempotent (by name).
    Returns how many series were created."""
    require(actor is None or perms.is_operator(actor), _("只有运营人员可以载入活动系列。"))
    if items is None:
        from kechuang.directory.selectors import district_profile

        items = [i for i in district_profile().get("events", []) or [] if isinstance(i, dict)]
    created = 0
    with transaction.atomic():
        for order, item in enumerate(items):
            name = clean_text(item.get("name"))[:80]
            if not name:
                continue
            kind = str(item.get("kind")) if item.get("kind") in SeriesKind.values else str(SeriesKind.OTHER)
            _series, made = EventSeries.objects.update_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "description": clean_text(item.get("description"))[:500],
                    "from_profile": True,
                    "sort_order": order,
                },
            )
            created += made
        if created:
            audit.record(
                "events.series.load", actor=actor, object_type="events.series", detail={"created": created}
            )
    return created


# --- events ----------------------------------------------------------------------------------------------


def _checked_details(details: EventDetails) -> EventDetails:
    errors: dict[str, str] = {}
    if details.kind not in EventKind.values:
        errors["kind"] = _("活动类型无效。")
    if details.height not in Height.values:
        errors["height"] = _("请选择活动服务的高地。")
    if details.audience not in Audience.values:
        errors["audience"] = _("面向对象无效。")
    if details.venue_kind not in VenueKind.values:
        errors["venue_kind"] = _("场地类型无效。")
    elif details.venue_kind == VenueKind.BUILDING and details.building is None:
        errors["building"] = _("请选择举办活动的楼宇。")
    elif details.venue_kind == VenueKind.AMENITY and clean_text(details.amenity) not in profile_amenities():
        errors["amenity"] = _("请选择街区的一处公共设施。")
    starts, ends = details.starts_at, details.ends_at
    if not isinstance(starts, dt.datetime) or timezone.is_naive(starts) or not in_range(starts):
        errors["starts_at"] = out_of_range_message()
    elif not isinstance(ends, dt.datetime) or timezone.is_naive(ends) or not in_range(ends):
        errors["ends_at"] = out_of_range_message()
    elif ends < starts:
        errors["ends_at"] = _("结束时间不能早于开始时间。")
    elif ends - starts > dt.timedelta(days=31):
        errors["ends_at"] = _("一场活动不超过 31 天。")
    if isinstance(details.capacity, bool) or not isinstance(details.capacity, int):
        errors["capacity"] = _("名额应为整数。")
    elif not 1 <= details.capacity <= MAX_CAPACITY:
        errors["capacity"] = _("名额应在 1 到 %(n)s 之间。") % {"n": MAX_CAPACITY}
    if len(details.speakers) > MAX_SPEAKERS:
        errors["speakers"] = _("嘉宾不超过 %(n)s 位。") % {"n": MAX_SPEAKERS}
    if len(details.co_organizers) > MAX_CO_ORGANIZERS:
        errors["co_organizers"] = _("协办单位不超过 %(n)s 家。") % {"n": MAX_CO_ORGANIZERS}
    if errors:
        raise ApplicationError(errors)
    speakers = []
    for item in details.speakers:
        guest = checked_text(
            item.guest_name, "speakers", label=_("嘉宾姓名"), limit=40, required=item.person is None
        )
        speakers.append(
            SpeakerInput(
                person=item.person,
                guest_name="" if item.person is not None else guest,
                guest_affiliation=checked_text(
                    item.guest_affiliation, "speakers", label=_("嘉宾单位与职务"), limit=120, required=False
                ),
                topic=checked_text(item.topic, "speakers", label=_("报告题目"), limit=200, required=False),
            )
        )
    return EventDetails(
        title=checked_text(details.title, "title", label=_("活动名称"), limit=120),
        kind=details.kind,
        summary=checked_text(details.summary, "summary", label=_("活动简介"), limit=5000),
        venue_kind=details.venue_kind,
        starts_at=starts,
        ends_at=ends,
        capacity=details.capacity,
        height=details.height,
        audience=details.audience,
        series=details.series,
        building=details.building if details.venue_kind == VenueKind.BUILDING else None,
        amenity=clean_text(details.amenity) if details.venue_kind == VenueKind.AMENITY else "",
        venue_detail=checked_text(
            details.venue_detail, "venue_detail", label=_("具体地点或线上链接"), limit=200, required=False
        ),
        agenda=checked_text(details.agenda, "agenda", label=_("议程"), limit=10000, required=False),
        co_organizers=list(dict.fromkeys(details.co_organizers)),
        speakers=speakers,
    )


def _write_details(event: Event, details: EventDetails) -> None:
    for name in (
        "title",
        "kind",
        "summary",
        "venue_kind",
        "starts_at",
        "ends_at",
        "capacity",
        "height",
        "audience",
        "series",
        "building",
        "amenity",
        "venue_detail",
        "agenda",
    ):
        setattr(event, name, getattr(details, name))
    event.save()
    event.co_organizers.set([o for o in details.co_organizers if o.pk != event.organizer_id])
    event.speakers.all().delete()
    Speaker.objects.bulk_create(
        [
            Speaker(
                event=event,
                person=s.person,
                guest_name=s.guest_name,
                guest_affiliation=s.guest_affiliation,
                topic=s.topic,
                sort_order=index,
            )
            for index, s in enumerate(details.speakers)
        ]
    )


def event_create(*, actor: Actor, organization: Organization, details: EventDetails) -> Event:
    """A draft event organized by ``organization`` (the operators may organize for any organization)."""
    require(
        perms.can_create_event(actor, organization), _("只有运营人员或本单位成员可以创建本单位主办的活动。")
    )
    details = _checked_details(details)
    with transaction.atomic():
        event = Event(code=new_code("HD"), organizer=organization, created_by=user_of(actor))
        _write_details(event, details)
        audit.record("events.event.create", actor=actor, obj=event, detail={"title": event.title})
    return event


def _lock(event: Event) -> Event:
    return (
        Event.objects.select_for_update(of=("self",)).select_related("organizer", "building").get(pk=event.pk)
    )


def event_update(*, actor: Actor, event: Event, details: EventDetails) -> Event:
    details = _checked_details(details)
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_edit_event(actor, event), _("只有草稿状态的活动可以由主办方或运营人员修改。"))
        if details.capacity < event.registrations.filter(status=RegistrationStatus.CONFIRMED).count():
            raise ApplicationError({"capacity": _("名额不能少于已报名人数。")})
        _write_details(event, details)
        audit.record("events.event.update", actor=actor, obj=event, detail={"title": event.title})
    return event


def event_submit(*, actor: Actor, event: Event) -> Event:
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_edit_event(actor, event), _("只有草稿状态的活动可以提交审核。"))
        event.status, event.submitted_at, event.status_reason = EventStatus.SUBMITTED, timezone.now(), ""
        event.save(update_fields=["status", "submitted_at", "status_reason", "updated_at"])
        notify.event_submitted(event)
        audit.record("events.event.submit", actor=actor, obj=event)
    return event


def event_review(*, actor: Actor, event: Event, approve: bool, reason: str = "") -> Event:
    """An operator (not the event's creator) publishes a submitted event, or sends it back with a reason."""
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_review_event(actor, event), _("只有运营人员可以审核他人提交的活动。"))
        reason = checked_text(reason, "reason", label=_("退回原因"), limit=500, required=not approve)
        event.reviewed_by, event.status_reason = user_of(actor), reason
        if approve:
            if event.starts_at <= timezone.now():
                raise ApplicationError({"starts_at": _("活动开始时间已过，请退回主办方修改时间。")})
            event.status, event.published_at = EventStatus.PUBLISHED, timezone.now()
        else:
            event.status = EventStatus.DRAFT
        event.save(update_fields=["status", "status_reason", "reviewed_by", "published_at", "updated_at"])
        notify.event_reviewed(event, approved=approve)
        audit.record(
            "events.event.review", actor=actor, obj=event, detail={"approved": approve, "reason": reason}
        )
    return event


def event_cancel(*, actor: Actor, event: Event, reason: str) -> Event:
    """Cancel an event with a reason; every active registration is cancelled and its holder told."""
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_cancel_event(actor, event), _("只有主办方或运营人员可以取消未结束的活动。"))
        event.status_reason = checked_text(reason, "reason", label=_("取消原因"), limit=500)
        event.status = EventStatus.CANCELLED
        event.save(update_fields=["status", "status_reason", "updated_at"])
        active = list(
            Registration.objects.select_for_update(of=("self",))
            .filter(event=event, status__in=ACTIVE_REGISTRATION)
            .select_related("user")
            .order_by("pk")
        )
        now = timezone.now()
        Registration.objects.filter(pk__in=[r.pk for r in active]).update(
            status=RegistrationStatus.CANCELLED, cancelled_at=now
        )
        notify.event_cancelled(event, active)
        audit.record(
            "events.event.cancel",
            actor=actor,
            obj=event,
            detail={"reason": event.status_reason, "registrations": len(active)},
        )
    return event


def event_finish(*, actor: Actor, event: Event) -> Event:
    """Mark a held event finished: sign-up and check-in close, feedback opens; waiting-list entries lapse."""
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_finish_event(actor, event), _("只有主办方或运营人员可以在活动开始后登记结束。"))
        event.status, event.finished_at = EventStatus.FINISHED, timezone.now()
        event.save(update_fields=["status", "finished_at", "updated_at"])
        lapsed = Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED).update(
            status=RegistrationStatus.CANCELLED, cancelled_at=event.finished_at
        )
        audit.record("events.event.finish", actor=actor, obj=event, detail={"waitlist_lapsed": lapsed})
    return event


# --- registrations ---------------------------------------------------------------------------------------


def confirmed_count(event: Event) -> int:
    return Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()


def _fresh_checkin_code(event: Event) -> str:
    """A check-in code not yet used at this event (the caller holds the event lock)."""
    for _attempt in range(20):
        code = new_checkin_code()
        if not Registration.objects.filter(event=event, checkin_code=code).exists():
            return code
    raise Conflict(_("签到码生成失败，请重试。"))  # pragma: no cover - 31^8 codes


def registration_create(
    *, actor: Actor, event: Event, organization: Organization | None = None
) -> Registration:
    """Sign the actor up: a confirmed place while places remain, else a place on the waiting list.
    The event row is locked while the places are counted, so the last place goes to one person only."""
    require(perms.can_register(actor, None), _("请先登录再报名。"))
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_register(actor, event), _("该活动现在不接受报名。"))
        user = user_of(actor)
        if organization is not None and organization.pk not in member_organization_ids(user):
            raise deny(_("只能以本人所在单位的名义报名。"))
        if Registration.objects.filter(event=event, user=user, status__in=ACTIVE_REGISTRATION).exists():
            raise Conflict(_("您已报名该活动。"))
        full = confirmed_count(event) >= event.capacity
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    code=new_code("BM"),
                    event=event,
                    user=user,
                    attendee_name=display_name(user),
                    organization=organization,
                    status=RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED,
                    checkin_code=_fresh_checkin_code(event),
                )
        except IntegrityError:  # pragma: no cover - the event lock serializes sign-ups
            raise Conflict(_("您已报名该活动。")) from None
        audit.record(
            "events.registration.create",
            actor=actor,
            obj=registration,
            detail={"event": event.code, "status": registration.status},
        )
    return registration


def display_name(user: Any) -> str:
    full = (user.get_full_name() or "").strip() if hasattr(user, "get_full_name") else ""
    return (full or str(getattr(user, "username", "")))[:60]


def registration_walk_in(
    *, actor: Actor, event: Event, name: str, organization: Organization | None = None
) -> Registration:
    """The door staff register and check in someone without an account (a resident, a pupil) while
    places remain; counted like any check-in."""
    name = checked_text(name, "name", label=_("参加者姓名"), limit=60)
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_check_in(actor, event), _("只有主办方或运营人员可以在活动进行中办理签到。"))
        if confirmed_count(event) >= event.capacity:
            raise Conflict(_("名额已满，不能再现场登记。"))
        now = timezone.now()
        registration = Registration.objects.create(
            code=new_code("BM"),
            event=event,
            user=None,
            attendee_name=name,
            organization=organization,
            status=RegistrationStatus.CONFIRMED,
            checkin_code=_fresh_checkin_code(event),
            queued_at=now,
            checked_in_at=now,
            checked_in_by=user_of(actor),
        )
        audit.record(
            "events.registration.walk_in", actor=actor, obj=registration, detail={"event": event.code}
        )
    return registration


def _promote_next(event: Event) -> Registration | None:
    """Give a free place to the first on the waiting list (the caller holds the event lock)."""
    if confirmed_count(event) >= event.capacity:
        return None
    nxt = (
        Registration.objects.select_for_update(of=("self",))
        .filter(event=event, status=RegistrationStatus.WAITLISTED)
        .select_related("user", "event")
        .order_by("queued_at", "pk")
        .first()
    )
    if nxt is None:
        return None
    nxt.status, nxt.promoted_at = RegistrationStatus.CONFIRMED, timezone.now()
    nxt.save(update_fields=["status", "promoted_at"])
    notify.registration_promoted(nxt)
    return nxt


def registration_cancel(*, actor: Actor, registration: Registration) -> Registration | None:
    """Cancel a registration (its holder, or an operator). A confirmed place freed this way goes at once
    to the first on the waiting list, who is told; returns that promoted registration, if any."""
    with transaction.atomic():
        event = _lock(registration.event)
        registration = (
            Registration.objects.select_for_update().select_related("event").get(pk=registration.pk)
        )
        require(perms.can_cancel_registration(actor, registration), _("只能在活动开始前取消自己的报名。"))
        was_confirmed = registration.status == RegistrationStatus.CONFIRMED
        registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, timezone.now()
        registration.save(update_fields=["status", "cancelled_at"])
        promoted = _promote_next(event) if was_confirmed else None
        audit.record(
            "events.registration.cancel",
            actor=actor,
            obj=registration,
            detail={"event": event.code, "promoted": promoted.code if promoted else None},
        )
    return promoted


def normalize_checkin_code(code: str) -> str:
    """What the door staff typed, as stored: upper case, spaces and dashes dropped, O→0 is not needed
    (the alphabet has neither 0 nor O)."""
    return "".join(ch for ch in clean_text(code).upper() if ch not in " -")


def registration_check_in(*, actor: Actor, event: Event, code: str) -> Registration:
    """Check a person in at the door by the code on their phone (typed or scanned)."""
    typed = normalize_checkin_code(code)
    if len(typed) != CHECKIN_LENGTH or any(ch not in CHECKIN_ALPHABET for ch in typed):
        raise ApplicationError({"code": _("签到码应为 %(n)s 位字母和数字。") % {"n": CHECKIN_LENGTH}})
    with transaction.atomic():
        event = _lock(event)
        require(perms.can_check_in(actor, event), _("只有主办方或运营人员可以在活动进行中办理签到。"))
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .filter(event=event, checkin_code=typed)
            .select_related("user")
            .first()
        )
        if registration is None:
            raise ApplicationError({"code": _("签到码无效：本活动没有这个签到码。")})
        if registration.status == RegistrationStatus.WAITLISTED:
            raise ApplicationError({"code": _("该报名仍在候补中，尚未获得名额。")})
        if registration.status == RegistrationStatus.CANCELLED:
            raise ApplicationError({"code": _("该报名已取消。")})
        if registration.checked_in_at is not None:
            raise Conflict(
                _("已于 %(t)s 签到，不能重复签到。")
                % {"t": timezone.localtime(registration.checked_in_at).strftime("%H:%M")}
            )
        registration.checked_in_at, registration.checked_in_by = timezone.now(), user_of(actor)
        registration.save(update_fields=["checked_in_at", "checked_in_by"])
        audit.record(
            "events.registration.check_in", actor=actor, obj=registration, detail={"event": event.code}
        )
    return registration


def feedback_submit(*, actor: Actor, registration: Registration, rating: int, comment: str = "") -> Feedback:
    """A participant who attended rates the event (1–5) once it has ended; once per registration."""
    registration = Registration.objects.select_related("event").get(pk=registration.pk)
    require(perms.can_give_feedback(actor, registration), _("只有签到参加的人可以在活动结束后反馈。"))
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ApplicationError({"rating": _("满意度应为 1 到 5 的整数。")})
    comment = checked_text(comment, "comment", label=_("意见与建议"), limit=1000, required=False)
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(registration=registration, rating=rating, comment=comment)
            audit.record("events.feedback.submit", actor=actor, obj=feedback, detail={"rating": rating})
    except IntegrityError:
        raise Conflict(_("您已提交过反馈。")) from None
    return feedback
