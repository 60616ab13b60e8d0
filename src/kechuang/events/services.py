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
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import Actor, deny, is_system, require, user_of
from kechuang.core.dates import in_range, out_of_range_message
from kechuang.core.errors import ApplicationError, Conflict
from kechuang.core.money import checked_fen
from kechuang.core.scoring import checked_criteria, checked_values, means_x100, weighted_total_x100
from kechuang.core.text import checked_text, clean_text
from kechuang.directory.models import Building, Organization, Person
from kechuang.directory.permissions import member_organization_ids

from . import notify
from . import permissions as perms
from .choices import (
    ACTIVE_REGISTRATION,
    AftercareStatus,
    Audience,
    CompetitionStatus,
    EntryStatus,
    EventKind,
    EventStatus,
    Height,
    MeetingStatus,
    ObjectionStatus,
    OutcomeKind,
    PanelStatus,
    RegistrationStatus,
    Round,
    SeriesKind,
    VenueKind,
)
from .models import (
    CHECKIN_ALPHABET,
    CHECKIN_LENGTH,
    Aftercare,
    Competition,
    Entry,
    EntryScore,
    Event,
    EventSeries,
    Feedback,
    InvestorInterest,
    Judge,
    JudgingPanel,
    Meeting,
    Objection,
    Prize,
    PrizePayment,
    Registration,
    RoadshowOutcome,
    Speaker,
    Track,
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


# --- competitions (创新创业大赛) -------------------------------------------------------------------------
#
# Ranking (the documented tie rule, as the challenges' panels): in each track, entries are ranked by the mean
# of the judges' weighted totals in the round, highest first; ties go to the higher mean score on the
# heaviest-weighted criterion (the first such criterion if several weigh the same), then — in the defence
# round — to the higher first-round score, then to the earlier entry, then to the lower code.

DEFAULT_FIRST_ROUND_CRITERIA = [
    {"code": "innovation", "name": "技术创新性", "weight": 35},
    {"code": "market", "name": "市场前景与商业模式", "weight": 30},
    {"code": "team", "name": "团队能力", "weight": 20},
    {"code": "ip", "name": "知识产权与成果基础", "weight": 15},
]
DEFAULT_DEFENCE_CRITERIA = [
    {"code": "pitch", "name": "路演表达（8 分钟陈述）", "weight": 30},
    {"code": "answers", "name": "答辩质量（7 分钟问答）", "weight": 30},
    {"code": "feasibility", "name": "产业化可行性", "weight": 40},
]


@dataclass(frozen=True)
class PrizeInput:
    rank: int
    name: str
    amount_fen: int
    tranches: int = 1


@dataclass(frozen=True)
class TrackInput:
    name: str
    prizes: Sequence[PrizeInput] = ()


@dataclass(frozen=True)
class EntryDetails:
    project: str
    summary: str
    team: str
    business_plan: str = ""
    ip_summary: str = ""
    partners: Sequence[Organization] = ()
    team_members: Sequence[Person] = ()
    achievements: Sequence[Any] = ()  # transfer.Achievement rows


def _lock_competition(competition: Competition) -> Competition:
    return Competition.objects.select_for_update(of=("self",)).get(pk=competition.pk)


def competition_create(
    *,
    actor: Actor,
    title: str,
    rules: str,
    organizer: Organization,
    entry_deadline: dt.date,
    tracks: Sequence[TrackInput],
    series: EventSeries | None = None,
    finalists_per_track: int = 5,
    publicity_working_days: int = 5,
) -> Competition:
    """An operator sets a competition up: its rules, tracks and each track's prizes (by rank)."""
    require(is_system(actor) or perms.can_manage_competition(actor), _("只有运营人员可以设立大赛。"))
    title = checked_text(title, "title", label=_("大赛名称"), limit=120)
    rules = checked_text(rules, "rules", label=_("大赛规则"), limit=20000)
    if not in_range(entry_deadline):
        raise ApplicationError({"entry_deadline": out_of_range_message()})
    if not tracks or len(tracks) > 10:
        raise ApplicationError({"tracks": _("请设置 1 到 10 个赛道。")})
    if not 1 <= finalists_per_track <= 100:
        raise ApplicationError({"finalists_per_track": _("每个赛道晋级决赛数应在 1 到 100 之间。")})
    if not 1 <= publicity_working_days <= 30:
        raise ApplicationError({"publicity_working_days": _("公示期应为 1 到 30 个工作日。")})
    names = [checked_text(t.name, "tracks", label=_("赛道名称"), limit=60) for t in tracks]
    if len(set(names)) != len(names):
        raise ApplicationError({"tracks": _("赛道名称重复。")})
    for track in tracks:
        ranks = [p.rank for p in track.prizes]
        if len(set(ranks)) != len(ranks) or any(not 1 <= r <= finalists_per_track for r in ranks):
            raise ApplicationError({"tracks": _("奖项名次应各不相同，且不超过晋级决赛数。")})
        for prize in track.prizes:
            checked_fen(prize.amount_fen, "tracks", label=_("奖金"))
            if prize.amount_fen <= 0 or not 1 <= prize.tranches <= 4:
                raise ApplicationError({"tracks": _("奖金应大于零，分期 1 到 4 次。")})
    with transaction.atomic():
        competition = Competition.objects.create(
            code=new_code("DS"),
            title=title,
            rules=rules,
            organizer=organizer,
            entry_deadline=entry_deadline,
            series=series,
            finalists_per_track=finalists_per_track,
            publicity_working_days=publicity_working_days,
            created_by=user_of(actor),
        )
        for order, (track, name) in enumerate(zip(tracks, names, strict=True)):
            row = Track.objects.create(competition=competition, name=name, sort_order=order)
            Prize.objects.bulk_create(
                [
                    Prize(
                        track=row,
                        rank=p.rank,
                        name=checked_text(p.name, "tracks", label=_("奖项名称"), limit=40),
                        amount_fen=p.amount_fen,
                        tranches=p.tranches,
                    )
                    for p in track.prizes
                ]
            )
        audit.record("events.competition.create", actor=actor, obj=competition, detail={"tracks": names})
    return competition


def _move(
    competition: Competition, *, actor: Actor, to: str, allowed_from: Sequence[str], action: str
) -> Competition:
    with transaction.atomic():
        competition = _lock_competition(competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以推进大赛流程。"),
        )
        if competition.status not in allowed_from:
            raise Conflict(
                _("大赛当前状态（%(s)s）不能进行这一步。") % {"s": competition.get_status_display()}
            )
        competition.status = to
        competition.save(update_fields=["status"])
        audit.record(f"events.competition.{action}", actor=actor, obj=competition)
    return competition


def competition_open(*, actor: Actor, competition: Competition) -> Competition:
    return _move(
        competition,
        actor=actor,
        to=CompetitionStatus.OPEN,
        allowed_from=[CompetitionStatus.DRAFT],
        action="open",
    )


def competition_close_entries(*, actor: Actor, competition: Competition) -> Competition:
    """Entries close; the operators check each one's eligibility."""
    return _move(
        competition,
        actor=actor,
        to=CompetitionStatus.SCREENING,
        allowed_from=[CompetitionStatus.OPEN],
        action="close",
    )


def entry_submit(
    *, actor: Actor, competition: Competition, track: Track, organization: Organization, details: EntryDetails
) -> Entry:
    """An organization's member enters a project while entries are open."""
    if track.competition_id != competition.pk:
        raise ApplicationError({"track": _("赛道不属于该大赛。")})
    project = checked_text(details.project, "project", label=_("项目名称"), limit=120)
    summary = checked_text(details.summary, "summary", label=_("项目简介"), limit=5000)
    team = checked_text(details.team, "team", label=_("团队介绍"), limit=5000)
    business_plan = checked_text(
        details.business_plan, "business_plan", label=_("商业计划"), limit=20000, required=False
    )
    ip_summary = checked_text(
        details.ip_summary, "ip_summary", label=_("知识产权情况"), limit=5000, required=False
    )
    with transaction.atomic():
        competition = _lock_competition(competition)
        require(
            is_system(actor) or perms.can_enter(actor, competition, organization),
            _("只能在报名期内以本单位名义报名参赛。"),
        )
        if Entry.objects.filter(competition=competition, organization=organization, project=project).exists():
            raise Conflict(_("本单位已用这个项目报名。"))
        entry = Entry.objects.create(
            code=new_code("CS"),
            competition=competition,
            track=track,
            organization=organization,
            project=project,
            summary=summary,
            team=team,
            business_plan=business_plan,
            ip_summary=ip_summary,
            submitted_by=user_of(actor),
        )
        entry.partners.set([p for p in details.partners if p.pk != organization.pk])
        entry.team_members.set(list(details.team_members))
        entry.achievements.set(list(details.achievements))
        audit.record("events.entry.submit", actor=actor, obj=entry, detail={"competition": competition.code})
    return entry


def entry_screen(*, actor: Actor, entry: Entry, eligible: bool, note: str = "") -> Entry:
    """The operator's eligibility check; a refusal says why."""
    with transaction.atomic():
        competition = _lock_competition(entry.competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以做资格审查。"),
        )
        if competition.status != CompetitionStatus.SCREENING:
            raise Conflict(_("只有在资格审查阶段可以审查参赛项目。"))
        entry = Entry.objects.select_for_update().get(pk=entry.pk)
        note = checked_text(note, "note", label=_("资格审查意见"), limit=500, required=not eligible)
        entry.status = EntryStatus.ELIGIBLE if eligible else EntryStatus.INELIGIBLE
        entry.eligibility_note = note
        entry.save(update_fields=["status", "eligibility_note"])
        audit.record(
            "events.entry.screen", actor=actor, obj=entry, detail={"eligible": eligible, "note": note}
        )
    return entry


def round_entries(track: Track, round_: str) -> QuerySet[Entry]:
    wanted = EntryStatus.ELIGIBLE if round_ == Round.FIRST else EntryStatus.FINALIST
    if round_ == Round.DEFENCE:
        return Entry.objects.filter(track=track, status__in=[EntryStatus.FINALIST, EntryStatus.RANKED])
    return Entry.objects.filter(
        track=track, status__in=[wanted, EntryStatus.FINALIST, EntryStatus.ELIMINATED]
    )


def panel_build(
    *, actor: Actor, track: Track, round: str, experts: Sequence[Person], criteria: Any = None
) -> JudgingPanel:
    """An operator builds a round's panel for a track from the expert pool. A judge in conflict with an
    entry (same or partner organization, team, co-author, recent collaboration) is recused from it: they
    neither see nor score it, and the panel closes without their sheet for it."""
    with transaction.atomic():
        competition = _lock_competition(track.competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以组建评审组。"),
        )
        if round == Round.FIRST:
            if competition.status not in (CompetitionStatus.SCREENING, CompetitionStatus.FIRST_ROUND):
                raise Conflict(_("初赛评审组在资格审查后组建。"))
            if Entry.objects.filter(competition=competition, status=EntryStatus.SUBMITTED).exists():
                raise Conflict(_("还有参赛项目未做资格审查。"))
            default = DEFAULT_FIRST_ROUND_CRITERIA
        elif round == Round.DEFENCE:
            if competition.status != CompetitionStatus.DEFENCE:
                raise Conflict(_("决赛评审组在初赛结束后组建。"))
            default = DEFAULT_DEFENCE_CRITERIA
        else:
            raise ApplicationError({"round": _("轮次无效。")})
        if JudgingPanel.objects.filter(track=track, round=round).exists():
            raise Conflict(_("该赛道这一轮已有评审组。"))
        experts = list(dict.fromkeys(experts))
        if not experts or len(experts) > 15:
            raise ApplicationError({"experts": _("评审专家应为 1 到 15 位。")})
        not_experts = [p.name for p in experts if not p.is_expert]
        if not_experts:
            raise ApplicationError(
                {"experts": _("不在专家库中：%(names)s") % {"names": "、".join(not_experts)}}
            )
        panel = JudgingPanel.objects.create(
            track=track, round=round, criteria=checked_criteria(criteria, default), created_by=user_of(actor)
        )
        Judge.objects.bulk_create([Judge(panel=panel, expert=p) for p in experts])
        if round == Round.FIRST and competition.status == CompetitionStatus.SCREENING:
            competition.status = CompetitionStatus.FIRST_ROUND
            competition.save(update_fields=["status"])
        audit.record(
            "events.panel.build",
            actor=actor,
            obj=panel,
            detail={"round": round, "experts": [p.pk for p in experts]},
        )
    return panel


def entry_score_submit(
    *, actor: Actor, panel: JudgingPanel, entry: Entry, values: dict[str, Any], comment: str = ""
) -> EntryScore:
    """A judge fills in (or revises, until the panel closes) their sheet for one entry: 0–100 per
    criterion. Refused for an entry the judge is in conflict with."""
    with transaction.atomic():
        panel = JudgingPanel.objects.select_for_update().get(pk=panel.pk)
        require(perms.can_score(actor, panel), _("只有本评审组的评委可以在评审结束前评分。"))
        person = perms.expert_person(actor)
        assert person is not None
        entry = Entry.objects.get(pk=entry.pk)
        if (
            entry.track_id != panel.track_id
            or not round_entries(panel.track, panel.round).filter(pk=entry.pk).exists()
        ):
            raise ApplicationError({"entry": _("该项目不在本评审组的评审范围内。")})
        if perms.has_conflict(person, entry):
            raise deny(
                _(
                    "您与该参赛项目存在利益冲突（同单位、合作单位、团队成员、成果共同完成人或近期合作），已回避。"
                )
            )
        clean = checked_values(panel.criteria, values)
        comment = checked_text(comment, "comment", label=_("评语"), limit=1000, required=False)
        judge = Judge.objects.get(panel=panel, expert=person)
        score, created = EntryScore.objects.update_or_create(
            judge=judge,
            entry=entry,
            defaults={
                "values": clean,
                "total_x100": weighted_total_x100(panel.criteria, clean),
                "comment": comment,
                "submitted_at": timezone.now(),
            },
        )
        audit.record(
            "events.score.submit",
            actor=actor,
            obj=score,
            detail={"entry": entry.code, "revised": not created},
        )  # no values: blind
    return score


def ranking(panel: JudgingPanel) -> list[dict[str, Any]]:
    """The round's ranking of the panel's entries by the documented tie rule (see above)."""
    entries = list(round_entries(panel.track, panel.round).order_by("pk"))
    sheets: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for score in EntryScore.objects.filter(judge__panel=panel):
        sheets.setdefault(score.entry_id, []).append((score.total_x100, score.values))
    rows: list[dict[str, Any]] = []
    for entry in entries:
        mean, lead = means_x100(panel.criteria, sheets.get(entry.pk, []))
        rows.append(
            {
                "entry": entry,
                "code": entry.code,
                "judges": len(sheets.get(entry.pk, [])),
                "mean_x100": mean,
                "lead_x100": lead,
                "first_x100": entry.first_score_x100 or 0 if panel.round == Round.DEFENCE else 0,
                "submitted_at": entry.submitted_at,
            }
        )
    rows.sort(
        key=lambda r: (-r["mean_x100"], -r["lead_x100"], -r["first_x100"], r["submitted_at"], r["code"])
    )
    return rows


def panel_close(*, actor: Actor, panel: JudgingPanel) -> JudgingPanel:
    """Close a round's panel once every judge has scored every entry they are not recused from; rank the
    entries. First round: the best ``finalists_per_track`` go to the defence, the others are out. Defence:
    each finalist gets its rank (the prizes follow in the 公示)."""
    with transaction.atomic():
        competition = _lock_competition(panel.track.competition)
        panel = JudgingPanel.objects.select_for_update().select_related("track").get(pk=panel.pk)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以结束评审。"),
        )
        if panel.status != PanelStatus.OPEN:
            raise Conflict(_("该评审组已结束评审。"))
        entries = list(round_entries(panel.track, panel.round))
        done = set(EntryScore.objects.filter(judge__panel=panel).values_list("judge_id", "entry_id"))
        missing = []
        for judge in panel.judges.select_related("expert"):
            conflicted = perms.conflicted_entry_ids(
                judge.expert, Entry.objects.filter(pk__in=[e.pk for e in entries])
            )
            for entry in entries:
                if (judge.pk, entry.pk) not in done and entry.pk not in conflicted:
                    missing.append(f"{judge.expert.name}→{entry.code}")
        if missing:
            raise Conflict(_("还有评分未完成：%(list)s") % {"list": "、".join(missing[:10])})
        unscored = [e.code for e in entries if not any(entry_id == e.pk for _j, entry_id in done)]
        if unscored:
            raise Conflict(
                _("以下项目没有可评分的评委（均已回避）：%(list)s") % {"list": "、".join(unscored[:10])}
            )
        rows = ranking(panel)
        for position, row in enumerate(rows, start=1):
            if panel.round == Round.FIRST:
                status = (
                    EntryStatus.FINALIST
                    if position <= competition.finalists_per_track
                    else EntryStatus.ELIMINATED
                )
                Entry.objects.filter(pk=row["entry"].pk).update(
                    first_score_x100=row["mean_x100"], status=status
                )
            else:
                Entry.objects.filter(pk=row["entry"].pk).update(
                    defence_score_x100=row["mean_x100"], rank=position, status=EntryStatus.RANKED
                )
        panel.status, panel.closed_at = PanelStatus.CLOSED, timezone.now()
        panel.save(update_fields=["status", "closed_at"])
        open_panels = JudgingPanel.objects.filter(track__competition=competition, round=panel.round).exclude(
            status=PanelStatus.CLOSED
        )
        tracks_without = Track.objects.filter(competition=competition).exclude(panels__round=panel.round)
        if panel.round == Round.FIRST and not open_panels.exists() and not tracks_without.exists():
            competition.status = CompetitionStatus.DEFENCE
            competition.save(update_fields=["status"])
        audit.record(
            "events.panel.close",
            actor=actor,
            obj=panel,
            detail={"round": panel.round, "ranking": [(r["code"], r["mean_x100"]) for r in rows]},
        )
    return panel


def publicity_end(start: dt.date, working_days: int) -> dt.date:
    """The last day of a 公示 of ``working_days`` working days starting on ``start`` (counted from ``start``
    when it is a working day), on the service desk's working-day calendar (holidays and 调休)."""
    from kechuang.servicedesk.workcalendar import work_calendar

    calendar = work_calendar()
    day = start if calendar.is_working_day(start) else calendar.next_working_day(start)
    for _counted in range(working_days - 1):
        day = calendar.next_working_day(day)
    return day


def competition_publicize(*, actor: Actor, competition: Competition) -> Competition:
    """Publish the result for public notice (公示) once every track's defence panel closed: the ranked
    finalists with their prizes, open to objections for ``publicity_working_days`` working days."""
    with transaction.atomic():
        competition = _lock_competition(competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以发布公示。"),
        )
        if competition.status != CompetitionStatus.DEFENCE:
            raise Conflict(_("只有决赛评审结束后可以公示结果。"))
        tracks = list(Track.objects.filter(competition=competition).prefetch_related("prizes"))
        closed = set(
            JudgingPanel.objects.filter(
                track__competition=competition, round=Round.DEFENCE, status=PanelStatus.CLOSED
            ).values_list("track_id", flat=True)
        )
        if any(t.pk not in closed for t in tracks):
            raise Conflict(_("还有赛道的决赛评审未结束。"))
        for track in tracks:
            prizes = {p.rank: p for p in track.prizes.all()}
            for entry in Entry.objects.filter(track=track, status=EntryStatus.RANKED):
                prize = prizes.get(entry.rank or 0)
                Entry.objects.filter(pk=entry.pk).update(prize=prize)
        today = timezone.localdate()
        competition.status = CompetitionStatus.PUBLICITY
        competition.publicity_started_at = timezone.now()
        competition.publicity_ends_on = publicity_end(today, competition.publicity_working_days)
        competition.save(update_fields=["status", "publicity_started_at", "publicity_ends_on"])
        audit.record(
            "events.competition.publicize",
            actor=actor,
            obj=competition,
            detail={"ends_on": competition.publicity_ends_on.isoformat()},
        )
    return competition


def objection_file(
    *, actor: Actor, competition: Competition, reason: str, entry: Entry | None = None
) -> Objection:
    """Anyone signed in may object during the 公示; while an objection is open the result is held."""
    reason = checked_text(reason, "reason", label=_("异议理由"), limit=5000)
    with transaction.atomic():
        competition = _lock_competition(competition)
        require(perms.can_object(actor, competition), _("只能在公示期内提出异议。"))
        if entry is not None and entry.competition_id != competition.pk:
            raise ApplicationError({"entry": _("该项目不属于这场大赛。")})
        objection = Objection.objects.create(
            code=new_code("YI"), competition=competition, entry=entry, reason=reason, filed_by=user_of(actor)
        )
        notify.objection_filed(objection)
        audit.record(
            "events.objection.file",
            actor=actor,
            obj=objection,
            detail={"entry": entry.code if entry else None},
        )
    return objection


def objection_resolve(*, actor: Actor, objection: Objection, upheld: bool, resolution: str) -> Objection:
    """An operator answers an objection. Upheld: the result is withdrawn from the 公示, the defence panel of
    the entry's track (every track when no entry is named) reopens for the judges to revise, and a new 公示
    follows; dismissed: the result stands (it becomes final once the 公示 ends with no open objection)."""
    resolution = checked_text(resolution, "resolution", label=_("处理意见"), limit=1000)
    with transaction.atomic():
        competition = _lock_competition(objection.competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以处理异议。"),
        )
        objection = Objection.objects.select_for_update().get(pk=objection.pk)
        if objection.status != ObjectionStatus.OPEN:
            raise Conflict(_("该异议已处理。"))
        objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        objection.resolution, objection.resolved_by, objection.resolved_at = (
            resolution,
            user_of(actor),
            timezone.now(),
        )
        objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
        if upheld and competition.status == CompetitionStatus.PUBLICITY:
            tracks = Track.objects.filter(competition=competition)
            if objection.entry is not None:
                tracks = tracks.filter(pk=objection.entry.track_id)
            JudgingPanel.objects.filter(track__in=tracks, round=Round.DEFENCE).update(
                status=PanelStatus.OPEN, closed_at=None
            )
            Entry.objects.filter(track__in=tracks, status=EntryStatus.RANKED).update(
                status=EntryStatus.FINALIST, rank=None, defence_score_x100=None
            )
            Entry.objects.filter(competition=competition).update(prize=None)
            competition.status, competition.publicity_started_at, competition.publicity_ends_on = (
                CompetitionStatus.DEFENCE,
                None,
                None,
            )
            competition.save(update_fields=["status", "publicity_started_at", "publicity_ends_on"])
        audit.record("events.objection.resolve", actor=actor, obj=objection, detail={"upheld": upheld})
    return objection


def _fund_account(competition: Competition) -> Any:
    from kechuang.ledger import services as ledger
    from kechuang.ledger.choices import AccountKind

    return ledger.account_open(
        code=f"events:{competition.code}:fund",
        kind=AccountKind.ASSET,
        name=f"{competition.title[:60]} · 奖金",
        group=competition.code,
        reference=competition.code,
    )


FOLLOW_UP_MONTHS = 12


def followup_end(day: dt.date) -> dt.date:
    """The last day of the after-prize tracking: twelve months on (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + FOLLOW_UP_MONTHS // 12)
    except ValueError:
        return day.replace(year=day.year + FOLLOW_UP_MONTHS // 12, day=28)


def competition_finalize(
    *, actor: Actor, competition: Competition, today: dt.date | None = None
) -> Competition:
    """After the 公示 ends with no open objection the result is final: each prize is committed in the ledger
    (Dr competition fund / Cr the winner's prize payable), to be paid in its tranches."""
    from kechuang.ledger import services as ledger
    from kechuang.ledger.choices import AccountKind

    today = today or timezone.localdate()
    with transaction.atomic():
        competition = _lock_competition(competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以确认大赛结果。"),
        )
        if competition.status != CompetitionStatus.PUBLICITY or competition.publicity_ends_on is None:
            raise Conflict(_("只有公示中的结果可以确认生效。"))
        if Objection.objects.filter(competition=competition, status=ObjectionStatus.OPEN).exists():
            raise Conflict(_("公示期内有未处理的异议，结果暂缓生效。"))
        if today <= competition.publicity_ends_on:
            raise Conflict(
                _("公示期至 %(d)s，期满后才能确认结果。") % {"d": competition.publicity_ends_on.isoformat()}
            )
        fund = _fund_account(competition)
        winners = list(
            Entry.objects.select_for_update(of=("self",))
            .filter(competition=competition, prize__isnull=False)
            .select_related("prize", "organization")
            .order_by("pk")
        )
        for entry in winners:
            assert entry.prize is not None
            payable = ledger.account_open(
                code=f"events:{competition.code}:prize:{entry.code}",
                kind=AccountKind.LIABILITY,
                name=f"{entry.organization.name[:60]} · 大赛奖金应付",
                group=competition.code,
                reference=entry.code,
            )
            ledger.post(
                actor=actor,
                idempotency_key=f"events.prize.award:{entry.code}",
                kind="events.prize.award",
                memo=_("%(c)s %(p)s：%(o)s")
                % {"c": competition.code, "p": entry.prize.name, "o": entry.organization.name},
                reference=entry.code,
                business_reference=f"events.prize.award:{entry.code}",
                lines=[
                    ledger.debit(fund, entry.prize.amount_fen),
                    ledger.credit(payable, entry.prize.amount_fen),
                ],
            )
            Entry.objects.filter(pk=entry.pk).update(payable_account=payable)
        competition.status, competition.finalized_at, competition.fund_account = (
            CompetitionStatus.FINAL,
            timezone.now(),
            fund,
        )
        competition.followup_until = followup_end(timezone.localdate())
        competition.save(update_fields=["status", "finalized_at", "fund_account", "followup_until"])
        audit.record(
            "events.competition.finalize",
            actor=actor,
            obj=competition,
            detail={"prizes": [(e.code, e.prize.amount_fen if e.prize else 0) for e in winners]},
        )
    return competition


def tranche_amounts(amount_fen: int, tranches: int) -> list[int]:
    """Equal tranches, the remainder fen in the last one."""
    share = amount_fen // tranches
    return [share] * (tranches - 1) + [amount_fen - share * (tranches - 1)]


def prize_pay(*, actor: Actor, entry: Entry) -> PrizePayment:
    """Pay the next tranche of a winner's prize: Dr prize payable / Cr competition fund, idempotent by
    ``events.prize:<entry code>:<tranche>``; never twice (UNIQUE), never beyond the prize."""
    from kechuang.ledger import services as ledger
    from kechuang.ledger.models import Account, JournalEntry

    with transaction.atomic():
        competition = _lock_competition(entry.competition)
        require(
            is_system(actor) or perms.can_manage_competition(actor, competition),
            _("只有运营人员可以拨付奖金。"),
        )
        entry = Entry.objects.select_for_update(of=("self",)).select_related("prize").get(pk=entry.pk)
        if (
            competition.status != CompetitionStatus.FINAL
            or entry.prize is None
            or entry.payable_account_id is None
        ):
            raise Conflict(_("结果生效后才能拨付获奖项目的奖金。"))
        amounts = tranche_amounts(entry.prize.amount_fen, entry.prize.tranches)
        paid = PrizePayment.objects.filter(entry=entry).count()
        if paid >= len(amounts):
            raise Conflict(_("奖金已全部拨付。"))
        sequence, amount = paid + 1, amounts[paid]
        reference = f"events.prize:{entry.code}:{sequence}"
        payable = Account.objects.get(pk=entry.payable_account_id)
        fund = Account.objects.get(pk=competition.fund_account_id or 0)
        result = ledger.post(
            actor=actor,
            idempotency_key=reference,
            kind="events.prize.pay",
            reference=entry.code,
            business_reference=reference,
            memo=_("%(c)s 奖金第 %(n)s 期") % {"c": entry.code, "n": sequence},
            lines=[
                ledger.debit(payable, amount),
                ledger.credit(fund, amount),
            ],
        )
        payment = PrizePayment.objects.create(
            code=new_code("JJ"),
            entry=entry,
            sequence=sequence,
            amount_fen=amount,
            journal_entry=JournalEntry.objects.get(uuid=str(result.entry_uuid)),
            paid_by=user_of(actor),
        )
        audit.record(
            "events.prize.pay", actor=actor, obj=payment, detail={"entry": entry.code, "amount_fen": amount}
        )
    return payment


# --- roadshows (路演对接): investors, meetings, outcomes ------------------------------------------------------

MEETING_HORIZON_DAYS = 366


def _checked_investor(investor: Organization) -> Organization:
    from kechuang.directory.choices import OrganizationKind

    if investor.kind != OrganizationKind.INVESTOR:
        raise ApplicationError({"investor": _("只有投资机构可以参加路演对接。")})
    return investor


def _lock_entry(entry: Entry) -> Entry:
    return Entry.objects.select_for_update(of=("self",)).select_related("competition").get(pk=entry.pk)


def interest_register(
    *, actor: Actor, entry: Entry, investor: Organization, note: str = ""
) -> InvestorInterest:
    """An investment institution's member registers its interest in a roadshow entry (once per pair)."""
    _checked_investor(investor)
    note = checked_text(note, "note", label=_("关注点"), limit=500, required=False)
    with transaction.atomic():
        entry = _lock_entry(entry)
        require(
            is_system(actor) or investor.pk in perms.investor_ids(actor),
            _("只有投资机构成员可以为本机构关注进入路演的参赛项目。"),
        )
        if not perms.in_roadshow(entry):
            raise Conflict(_("该项目未进入路演（晋级决赛后开放投资对接）。"))
        if InvestorInterest.objects.filter(investor=investor, entry=entry).exists():
            raise Conflict(_("本机构已关注该项目。"))
        interest = InvestorInterest.objects.create(
            investor=investor, entry=entry, note=note, created_by=user_of(actor)
        )
        audit.record(
            "events.interest.register",
            actor=actor,
            obj=interest,
            detail={"entry": entry.code, "investor": investor.pk},
        )
    return interest


def _checked_meeting_time(value: dt.datetime, field_name: str) -> dt.datetime:
    now = timezone.now()
    if value is None or not in_range(value.date()):
        raise ApplicationError({field_name: out_of_range_message()})
    if value <= now or value > now + dt.timedelta(days=MEETING_HORIZON_DAYS):
        raise ApplicationError({field_name: _("约谈时间应在今后一年之内。")})
    return value


def meeting_request(
    *,
    actor: Actor,
    entry: Entry,
    investor: Organization,
    proposed_at: dt.datetime,
    place: str = "",
    message: str = "",
) -> Meeting:
    """Either side asks the other for a meeting: the investor's member a roadshow entry's team, the team
    an investor that registered interest in its entry. One open request per pair at a time."""
    from .choices import MeetingSide

    _checked_investor(investor)
    proposed_at = _checked_meeting_time(proposed_at, "proposed_at")
    place = checked_text(place, "place", label=_("地点或线上链接"), limit=200, required=False)
    message = checked_text(message, "message", label=_("留言"), limit=1000, required=False)
    with transaction.atomic():
        entry = _lock_entry(entry)
        require(
            perms.can_request_meeting(actor, entry, investor),
            _("只能由投资机构约谈路演项目，或由参赛团队约谈已关注本项目的投资机构。"),
        )
        side = MeetingSide.INVESTOR if investor.pk in perms.investor_ids(actor) else MeetingSide.TEAM
        if Meeting.objects.filter(entry=entry, investor=investor, status=MeetingStatus.REQUESTED).exists():
            raise Conflict(_("双方已有一个待回复的约谈请求。"))
        meeting = Meeting.objects.create(
            code=new_code("YT"),
            entry=entry,
            investor=investor,
            asked_by_side=side,
            proposed_at=proposed_at,
            place=place,
            message=message,
            requested_by=user_of(actor),
        )
        notify.meeting_requested(meeting)
        audit.record(
            "events.meeting.request",
            actor=actor,
            obj=meeting,
            detail={"entry": entry.code, "investor": investor.pk, "side": side},
        )
    return meeting


def _lock_meeting(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("entry__competition", "investor")
        .get(pk=meeting.pk)
    )


def meeting_answer(
    *,
    actor: Actor,
    meeting: Meeting,
    accept: bool,
    scheduled_at: dt.datetime | None = None,
    place: str = "",
    answer: str = "",
) -> Meeting:
    """The side that did not ask accepts (at the proposed time or another) or declines (saying why)."""
    answer = checked_text(answer, "answer", label=_("回复"), limit=500, required=not accept)
    place = checked_text(place, "place", label=_("地点或线上链接"), limit=200, required=False)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        require(perms.can_answer_meeting(actor, meeting), _("只能由被约谈的一方回复待回复的约谈。"))
        if accept:
            when = scheduled_at or meeting.proposed_at
            if scheduled_at is not None:
                when = _checked_meeting_time(scheduled_at, "scheduled_at")
            elif when <= timezone.now():
                raise ApplicationError({"scheduled_at": _("建议时间已过，请另约时间。")})
            meeting.status, meeting.scheduled_at = MeetingStatus.ACCEPTED, when
            if place:
                meeting.place = place
        else:
            meeting.status = MeetingStatus.DECLINED
        meeting.answer, meeting.answered_by, meeting.answered_at = answer, user_of(actor), timezone.now()
        meeting.save(
            update_fields=["status", "scheduled_at", "place", "answer", "answered_by", "answered_at"]
        )
        notify.meeting_answered(meeting)
        audit.record(
            "events.meeting.answer",
            actor=actor,
            obj=meeting,
            detail={
                "accept": accept,
                "scheduled_at": meeting.scheduled_at.isoformat() if meeting.scheduled_at else None,
            },
        )
    return meeting


def meeting_withdraw(*, actor: Actor, meeting: Meeting) -> Meeting:
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        require(perms.can_withdraw_meeting(actor, meeting), _("只能由发起方撤回待回复的约谈。"))
        meeting.status = MeetingStatus.WITHDRAWN
        meeting.save(update_fields=["status"])
        audit.record("events.meeting.withdraw", actor=actor, obj=meeting)
    return meeting


def outcome_record(
    *,
    actor: Actor,
    entry: Entry,
    investor: Organization,
    kind: str,
    occurred_on: dt.date,
    amount_fen: int = 0,
    note: str = "",
    meeting: Meeting | None = None,
) -> RoadshowOutcome:
    """What came of a contact: follow-up, a term sheet (its amount, if any), an investment (its amount,
    required) or a pass. Either side of a contact records it; operators record what is reported to them."""
    _checked_investor(investor)
    if kind not in OutcomeKind.values:
        raise ApplicationError({"kind": _("对接结果无效。")})
    amount_fen = checked_fen(amount_fen, "amount_fen", label=_("金额"), allow_zero=True)
    if kind == OutcomeKind.INVESTED and amount_fen <= 0:
        raise ApplicationError({"amount_fen": _("完成投资请填写投资金额。")})
    if kind in (OutcomeKind.FOLLOW_UP, OutcomeKind.PASSED) and amount_fen:
        raise ApplicationError({"amount_fen": _("持续跟进或暂不投资不填金额。")})
    if occurred_on is None or not in_range(occurred_on):
        raise ApplicationError({"occurred_on": out_of_range_message()})
    if occurred_on > timezone.localdate():
        raise ApplicationError({"occurred_on": _("发生日期不能晚于今天。")})
    note = checked_text(note, "note", label=_("说明"), limit=1000, required=False)
    if meeting is not None and (meeting.entry_id != entry.pk or meeting.investor_id != investor.pk):
        raise ApplicationError({"meeting": _("该约谈不是这两方之间的。")})
    with transaction.atomic():
        entry = _lock_entry(entry)
        require(
            is_system(actor) or perms.can_record_outcome(actor, entry, investor),
            _("只能由对接双方（或运营人员）记录对接结果。"),
        )
        outcome = RoadshowOutcome.objects.create(
            code=new_code("TR"),
            entry=entry,
            investor=investor,
            meeting=meeting,
            kind=kind,
            amount_fen=amount_fen,
            occurred_on=occurred_on,
            note=note,
            recorded_by=user_of(actor),
        )
        audit.record(
            "events.outcome.record",
            actor=actor,
            obj=outcome,
            detail={"entry": entry.code, "investor": investor.pk, "kind": kind, "amount_fen": amount_fen},
        )
    return outcome


# --- after the prize (赛后服务) --------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceAsk:
    """The space request part of a winner's after-prize step (spaces.services.space_request_create)."""

    title: str
    area_min_m2: Any
    area_max_m2: Any
    move_in_by: dt.date | None = None


@dataclass(frozen=True)
class VoucherAsk:
    """The voucher application part (vouchers.services.application_submit)."""

    scheme: Any
    requested_fen: int
    purpose: str


def aftercare_offer(*, actor: Actor, entry: Entry, commissioner: Any = None) -> Aftercare:
    """An operator offers a winner, in one step, the after-prize services: a commissioner (assigned now
    through the service desk's assignment service: the one named, else the enterprise's current one), and
    a space request and a voucher application the winner files in one step (aftercare_accept). Only for
    an enterprise winner within the twelve months after the final result."""
    from kechuang.directory.choices import OrganizationKind
    from kechuang.servicedesk import services as servicedesk
    from kechuang.servicedesk.choices import AssignmentRole
    from kechuang.servicedesk.models import Assignment

    with transaction.atomic():
        competition = _lock_competition(entry.competition)
        require(
            is_system(actor) or perms.can_offer_aftercare(actor, entry), _("只有运营人员可以提供赛后服务。")
        )
        entry = _lock_entry(entry)
        if (
            competition.status != CompetitionStatus.FINAL
            or entry.prize_id is None
            or competition.followup_until is None
        ):
            raise Conflict(_("结果生效后才能为获奖项目提供赛后服务。"))
        if timezone.localdate() > competition.followup_until:
            raise Conflict(_("赛后服务在结果生效后十二个月内提供。"))
        organization = entry.organization
        if organization.kind != OrganizationKind.ENTERPRISE:
            raise Conflict(
                _("赛后服务（用房、创新券、服务专员）面向企业；该获奖单位不是企业，可在其成立企业后再提供。")
            )
        if Aftercare.objects.filter(entry=entry).exists():
            raise Conflict(_("已为该获奖项目提供过赛后服务。"))
        if commissioner is not None:
            assignment = servicedesk.assignment_set(
                actor=actor,
                organization=organization,
                role=AssignmentRole.COMMISSIONER,
                user=commissioner,
                reason=_("大赛获奖企业赛后服务（%(c)s）") % {"c": entry.code},
            )
        else:
            current = Assignment.objects.filter(
                organization=organization, role=AssignmentRole.COMMISSIONER, ended_at__isnull=True
            ).first()
            if current is None:
                raise ApplicationError({"commissioner": _("该企业还没有服务专员，请选择一位。")})
            assignment = current
        aftercare = Aftercare.objects.create(entry=entry, assignment=assignment, offered_by=user_of(actor))
        notify.aftercare_offered(aftercare)
        audit.record(
            "events.aftercare.offer",
            actor=actor,
            obj=aftercare,
            detail={"entry": entry.code, "commissioner": assignment.user_id},
        )
    return aftercare


def aftercare_accept(
    *, actor: Actor, aftercare: Aftercare, space: SpaceAsk | None = None, voucher: VoucherAsk | None = None
) -> Aftercare:
    """The winner's one step: the space request and the voucher application it wants, filed through the
    spaces' and the vouchers' own services (their checks and audit records apply) in one transaction —
    both or neither. Choosing neither declines the offer."""
    from kechuang.spaces import services as spaces
    from kechuang.vouchers import services as vouchers

    with transaction.atomic():
        aftercare = (
            Aftercare.objects.select_for_update(of=("self",))
            .select_related("entry__organization", "entry__competition")
            .get(pk=aftercare.pk)
        )
        require(perms.can_answer_aftercare(actor, aftercare), _("只能由获奖单位成员确认待确认的赛后服务。"))
        entry = aftercare.entry
        fields = ["status", "answered_by", "answered_at"]
        if space is not None:
            aftercare.space_request = spaces.space_request_create(
                actor=actor,
                organization=entry.organization,
                title=space.title,
                area_min_m2=space.area_min_m2,
                area_max_m2=space.area_max_m2,
                move_in_by=space.move_in_by,
                special_needs=_("%(c)s 获奖项目“%(p)s”赛后服务") % {"c": entry.code, "p": entry.project},
            )
            fields.append("space_request")
        if voucher is not None:
            aftercare.voucher_application = vouchers.application_submit(
                actor=actor,
                scheme=voucher.scheme,
                enterprise=entry.organization,
                requested_fen=voucher.requested_fen,
                purpose=voucher.purpose,
                request_key=f"events.aftercare:{entry.code}",
            )
            fields.append("voucher_application")
        aftercare.status = (
            AftercareStatus.DECLINED if space is None and voucher is None else AftercareStatus.ACCEPTED
        )
        aftercare.answered_by, aftercare.answered_at = user_of(actor), timezone.now()
        aftercare.save(update_fields=fields)
        audit.record(
            "events.aftercare.answer",
            actor=actor,
            obj=aftercare,
            detail={
                "entry": entry.code,
                "space_request": aftercare.space_request_id,
                "voucher_application": aftercare.voucher_application_id,
            },
        )
    return aftercare
