"""Events (docs/adr/0025-events-and-competitions.md): the district's brand series, its events (forums,
science outreach, training, roadshows, competition days), sign-ups with a quota and a waiting list,
check-in at the door by a per-person code, and feedback after the event.

Capacity is kept by the services, not by a counter: a sign-up locks the event row
(``select_for_update``) and counts the confirmed places under that lock, so concurrent sign-ups for the
last places queue on the row and never overbook; a cancellation promotes the first on the waiting list
(by ``queued_at``, then id) under the same lock. The database refuses a second active registration of
one person for one event (a partial UNIQUE).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core.codes import next_code
from kechuang.core.panels import ScoreSheet, ScoringPanel

from .choices import (
    ACTIVE_REGISTRATION,
    AftercareStatus,
    Audience,
    CompetitionStatus,
    EntryStatus,
    EventKind,
    EventStatus,
    Height,
    MeetingSide,
    MeetingStatus,
    ObjectionStatus,
    OutcomeKind,
    RegistrationStatus,
    Round,
    SeriesKind,
    VenueKind,
)

USER = settings.AUTH_USER_MODEL
# Check-in codes are typed at the door: no 0/O, 1/I/L, so nobody misreads them.
CHECKIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECKIN_LENGTH = 8


def new_code(prefix: str) -> str:
    """The next public code of a kind (``HD-2026-0012``): year and sequence (kechuang.core.codes)."""
    return next_code("events", prefix, width=4 if prefix == "HD" else 5)


def new_checkin_code() -> str:
    """A per-person check-in code: random (it is a ticket, not a reference), 8 characters from 31."""
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(CHECKIN_LENGTH))


def _person(verbose: object) -> models.ForeignKey:
    return models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=verbose
    )


class EventSeries(models.Model):
    """A recurring brand (品牌活动): the district profile's series (``district.events``) are loaded as
    series; operators may add others."""

    name = models.CharField(_("系列名称"), max_length=80, unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=SeriesKind.choices, default=SeriesKind.OTHER)
    description = models.CharField(_("简介"), max_length=500, blank=True)
    from_profile = models.BooleanField(_("来自街区配置"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动系列")
        verbose_name_plural = _("活动系列")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """One event: what, when, where (a building or amenity of the district, or online), for whom and
    how many, which height (高地) it serves, who organizes it; published after an operator's review."""

    code = models.CharField(_("活动编号"), max_length=20, unique=True, editable=False)
    series = models.ForeignKey(
        EventSeries,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("所属系列"),
    )
    title = models.CharField(_("活动名称"), max_length=120)
    kind = models.CharField(_("活动类型"), max_length=16, choices=EventKind.choices, db_index=True)
    summary = models.TextField(_("活动简介"))
    agenda = models.TextField(_("议程"), blank=True)
    venue_kind = models.CharField(_("场地类型"), max_length=12, choices=VenueKind.choices)
    building = models.ForeignKey(
        "directory.Building",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("楼宇"),
    )
    amenity = models.CharField(_("公共设施"), max_length=80, blank=True)
    venue_detail = models.CharField(_("具体地点或线上链接"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"))
    audience = models.CharField(_("面向对象"), max_length=16, choices=Audience.choices, default=Audience.ALL)
    height = models.CharField(_("服务高地"), max_length=16, choices=Height.choices, db_index=True)
    organizer = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="organized_events",
        verbose_name=_("主办单位"),
    )
    co_organizers = models.ManyToManyField(
        "directory.Organization", blank=True, related_name="co_organized_events", verbose_name=_("协办单位")
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=EventStatus.choices, default=EventStatus.DRAFT, db_index=True
    )
    status_reason = models.CharField(_("退回或取消原因"), max_length=500, blank=True)
    created_by = _person(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    reviewed_by = _person(_("审核人"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束登记时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=F("starts_at")), name="events_event_period_order"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=100000), name="events_event_capacity_range"
            ),
            models.CheckConstraint(
                condition=~Q(venue_kind=VenueKind.BUILDING) | Q(building__isnull=False),
                name="events_event_building_venue",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("created_by")),
                name="events_event_reviewer_not_creator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"

    @property
    def venue_text(self) -> str:
        if self.venue_kind == VenueKind.BUILDING and self.building_id:
            place = self.building.name
        elif self.venue_kind == VenueKind.AMENITY:
            place = self.amenity
        else:
            place = str(_("线上"))
        return f"{place} {self.venue_detail}".strip() if self.venue_kind != VenueKind.ONLINE else place

    @property
    def is_public(self) -> bool:
        return self.status in (EventStatus.PUBLISHED, EventStatus.FINISHED)


class Speaker(models.Model):
    """A speaker on the agenda: a person of the directory, or a guest by name."""

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="speakers", verbose_name=_("活动")
    )
    person = models.ForeignKey(
        "directory.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_talks",
        verbose_name=_("名录人员"),
    )
    guest_name = models.CharField(_("嘉宾姓名"), max_length=40, blank=True)
    guest_affiliation = models.CharField(_("嘉宾单位与职务"), max_length=120, blank=True)
    topic = models.CharField(_("报告题目"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("嘉宾")
        verbose_name_plural = _("嘉宾")
        ordering = ["event_id", "sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False) | ~Q(guest_name=""), name="events_speaker_named"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.person.name if self.person_id else self.guest_name


class Registration(models.Model):
    """A person's place at an event (confirmed) or in its waiting list (waitlisted, first come first
    served by ``queued_at``), with the check-in code shown on their phone and typed at the door. People
    without an account (residents and pupils at an outreach event) are registered at the door by the
    organizer (``user`` empty) and checked in at once."""

    code = models.CharField(_("报名编号"), max_length=20, unique=True, editable=False)
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("活动")
    )
    user = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="event_registrations",
        verbose_name=_("报名账号"),
        help_text=_("现场登记的参加者（如社区居民、学生）没有平台账号"),
    )
    attendee_name = models.CharField(_("参加者"), max_length=60)
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("所在单位"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=RegistrationStatus.choices, db_index=True)
    checkin_code = models.CharField(_("签到码"), max_length=12, default=new_checkin_code, editable=False)
    queued_at = models.DateTimeField(_("报名时间"), default=timezone.now)
    promoted_at = models.DateTimeField(_("候补转正时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True, db_index=True)
    checked_in_by = _person(_("签到经办人"))

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["event_id", "queued_at", "id"]
        # an event's confirmed and waiting counts (selectors.event_list, the sign-up's count under its lock)
        indexes = [models.Index(fields=["event", "status"], name="events_reg_event_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=ACTIVE_REGISTRATION),
                name="events_one_active_registration",
            ),
            models.UniqueConstraint(fields=["event", "checkin_code"], name="events_checkin_code_unique"),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | ~Q(status=RegistrationStatus.WAITLISTED),
                name="events_checked_in_not_waitlisted",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Feedback(models.Model):
    """A participant's feedback after the event: a 1–5 rating and a comment (once per registration)."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("报名")
    )
    rating = models.PositiveSmallIntegerField(_("满意度（1–5）"))
    comment = models.CharField(_("意见与建议"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("活动反馈")
        verbose_name_plural = _("活动反馈")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="events_feedback_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.rating}"


# --- competitions (创新创业大赛) -------------------------------------------------------------------------


class Competition(models.Model):
    """A competition (大赛) of a series: tracks, entries, an online first round and a defence round scored
    by expert panels, a public notice (公示) of N working days with objections, prizes paid on the ledger."""

    code = models.CharField(_("大赛编号"), max_length=20, unique=True, editable=False)
    series = models.ForeignKey(
        EventSeries,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="competitions",
        verbose_name=_("所属系列"),
    )
    title = models.CharField(_("大赛名称"), max_length=120)
    rules = models.TextField(_("大赛规则"))
    organizer = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("主办单位")
    )
    defence_event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("决赛活动")
    )
    entry_deadline = models.DateField(_("报名截止日期"))
    finalists_per_track = models.PositiveSmallIntegerField(_("每个赛道晋级决赛数"), default=5)
    publicity_working_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=5)
    publicity_started_at = models.DateTimeField(_("公示开始"), null=True, blank=True)
    publicity_ends_on = models.DateField(_("公示截止日"), null=True, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=CompetitionStatus.choices,
        default=CompetitionStatus.DRAFT,
        db_index=True,
    )
    fund_account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("奖金账户"),
    )
    created_by = _person(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    finalized_at = models.DateTimeField(_("结果生效时间"), null=True, blank=True)
    followup_until = models.DateField(
        _("赛后跟踪截止日"),
        null=True,
        blank=True,
        help_text=_("结果生效后十二个月：其间获奖单位的入驻、用房和融资计入科技企业孵化高地的指标。"),
    )

    class Meta:
        verbose_name = _("大赛")
        verbose_name_plural = _("大赛")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(publicity_working_days__gte=1) & Q(publicity_working_days__lte=30),
                name="events_competition_publicity_range",
            ),
            models.CheckConstraint(
                condition=Q(finalists_per_track__gte=1) & Q(finalists_per_track__lte=100),
                name="events_competition_finalists_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"


class Track(models.Model):
    """A track (赛道) of a competition, e.g. 院所成果 / 初创企业; its prizes by rank."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="tracks", verbose_name=_("大赛")
    )
    name = models.CharField(_("赛道"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("赛道")
        verbose_name_plural = _("赛道")
        ordering = ["competition_id", "sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["competition", "name"], name="events_track_unique")]

    def __str__(self) -> str:
        return self.name


class Prize(models.Model):
    """The prize for a rank in a track (一等奖 for rank 1…), paid in ``tranches`` equal parts."""

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="prizes", verbose_name=_("赛道"))
    rank = models.PositiveSmallIntegerField(_("名次"))
    name = models.CharField(_("奖项"), max_length=40)
    amount_fen = models.BigIntegerField(_("奖金（分）"))
    tranches = models.PositiveSmallIntegerField(_("分期拨付次数"), default=1)

    class Meta:
        verbose_name = _("奖项")
        verbose_name_plural = _("奖项")
        ordering = ["track_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["track", "rank"], name="events_prize_rank_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="events_prize_positive"),
            models.CheckConstraint(
                condition=Q(tranches__gte=1) & Q(tranches__lte=4), name="events_prize_tranches"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """An entry (参赛项目): the project, the team, the business plan and the IP behind it, linked to the
    directory's organizations and people and to the transfer platform's achievements."""

    code = models.CharField(_("参赛编号"), max_length=20, unique=True, editable=False)
    competition = models.ForeignKey(
        Competition, on_delete=models.PROTECT, related_name="entries", verbose_name=_("大赛")
    )
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="entries", verbose_name=_("赛道"))
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="competition_entries",
        verbose_name=_("参赛单位"),
    )
    partners = models.ManyToManyField(
        "directory.Organization", blank=True, related_name="+", verbose_name=_("合作单位")
    )
    project = models.CharField(_("项目名称"), max_length=120)
    summary = models.TextField(_("项目简介"))
    team = models.TextField(_("团队介绍"))
    team_members = models.ManyToManyField(
        "directory.Person", blank=True, related_name="competition_teams", verbose_name=_("团队成员")
    )
    business_plan = models.TextField(_("商业计划"), blank=True)
    ip_summary = models.TextField(_("知识产权情况"), blank=True)
    achievements = models.ManyToManyField(
        "transfer.Achievement", blank=True, related_name="competition_entries", verbose_name=_("关联科技成果")
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=EntryStatus.choices, default=EntryStatus.SUBMITTED, db_index=True
    )
    eligibility_note = models.CharField(_("资格审查意见"), max_length=500, blank=True)
    first_score_x100 = models.PositiveIntegerField(_("初赛得分（×100）"), null=True, blank=True)
    defence_score_x100 = models.PositiveIntegerField(_("决赛得分（×100）"), null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("决赛名次"), null=True, blank=True)
    prize = models.ForeignKey(
        Prize, null=True, blank=True, on_delete=models.PROTECT, related_name="winners", verbose_name=_("奖项")
    )
    payable_account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("奖金应付账户"),
    )
    submitted_by = _person(_("报名人"))
    submitted_at = models.DateTimeField(_("报名时间"), default=timezone.now)

    class Meta:
        verbose_name = _("参赛项目")
        verbose_name_plural = _("参赛项目")
        ordering = ["competition_id", "track_id", "rank", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "organization", "project"], name="events_entry_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.project}"

    @property
    def first_score(self) -> float | None:
        return None if self.first_score_x100 is None else self.first_score_x100 / 100

    @property
    def defence_score(self) -> float | None:
        return None if self.defence_score_x100 is None else self.defence_score_x100 / 100


class JudgingPanel(ScoringPanel):
    """The expert panel of one round of one track: weighted criteria (weights sum to 100) and its judges.
    Blind, as the challenges' panels: a judge sees only their own scores until the panel closes. Criteria,
    status and times are the panel shape shared with the challenges (kechuang.core.panels)."""

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="panels", verbose_name=_("赛道"))
    round = models.CharField(_("轮次"), max_length=8, choices=Round.choices)
    created_by = _person(_("组建人"))

    class Meta:
        verbose_name = _("评审组")
        verbose_name_plural = _("评审组")
        ordering = ["track_id", "round"]
        constraints = [models.UniqueConstraint(fields=["track", "round"], name="events_panel_per_round")]

    def __str__(self) -> str:
        return f"{self.track} {self.get_round_display()}"


class Judge(models.Model):
    panel = models.ForeignKey(
        JudgingPanel, on_delete=models.CASCADE, related_name="judges", verbose_name=_("评审组")
    )
    expert = models.ForeignKey(
        "directory.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("专家")
    )

    class Meta:
        verbose_name = _("评委")
        verbose_name_plural = _("评委")
        ordering = ["panel_id", "id"]
        constraints = [models.UniqueConstraint(fields=["panel", "expert"], name="events_judge_unique")]

    def __str__(self) -> str:
        return str(self.expert)


class EntryScore(ScoreSheet):
    """One judge's scoring sheet for one entry in one round (0–100 per criterion, weighted total ×100),
    the sheet shape shared with the challenges (kechuang.core.panels)."""

    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="scores", verbose_name=_("评委"))
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="scores", verbose_name=_("参赛项目")
    )
    comment = models.CharField(_("评语"), max_length=1000, blank=True)

    judged_field, judge_field = "entry", "judge"

    class Meta(ScoreSheet.Meta):
        ordering = ["entry_id", "judge_id"]
        constraints = [
            models.UniqueConstraint(fields=["judge", "entry"], name="events_score_once"),
            *ScoreSheet.Meta.constraints,
        ]


class Objection(models.Model):
    """An objection (异议) raised during the public notice; while one is open the result is held."""

    code = models.CharField(_("异议编号"), max_length=20, unique=True, editable=False)
    competition = models.ForeignKey(
        Competition, on_delete=models.PROTECT, related_name="objections", verbose_name=_("大赛")
    )
    entry = models.ForeignKey(
        Entry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("涉及项目"),
    )
    reason = models.TextField(_("异议理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN, db_index=True
    )
    resolution = models.CharField(_("处理意见"), max_length=1000, blank=True)
    filed_by = _person(_("提出人"))
    filed_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    resolved_by = _person(_("处理人"))
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return self.code


class PrizePayment(models.Model):
    """One tranche of a prize paid through the ledger (Dr prize payable / Cr competition fund); the
    database refuses a second payment of the same tranche."""

    code = models.CharField(_("拨付编号"), max_length=20, unique=True, editable=False)
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, related_name="payments", verbose_name=_("参赛项目")
    )
    sequence = models.PositiveSmallIntegerField(_("期次"))
    amount_fen = models.BigIntegerField(_("金额（分）"))
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记账凭证"),
    )
    paid_by = _person(_("经办人"))
    paid_at = models.DateTimeField(_("拨付时间"), default=timezone.now)

    class Meta:
        verbose_name = _("奖金拨付")
        verbose_name_plural = _("奖金拨付")
        ordering = ["entry_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "sequence"], name="events_prize_tranche_once"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="events_prize_payment_positive"),
        ]

    def __str__(self) -> str:
        return self.code


# --- roadshows (路演对接) ---------------------------------------------------------------------------------


class InvestorInterest(models.Model):
    """An investment institution's (投资机构) interest in a competition entry: the roadshow's first
    signal; the team sees who is interested and may ask them for a meeting."""

    investor = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="entry_interests",
        verbose_name=_("投资机构"),
    )
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="interests", verbose_name=_("参赛项目")
    )
    note = models.CharField(_("关注点"), max_length=500, blank=True)
    created_by = _person(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("投资意向")
        verbose_name_plural = _("投资意向")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["investor", "entry"], name="events_interest_once"),
        ]

    def __str__(self) -> str:
        return f"{self.investor_id} → {self.entry_id}"


class Meeting(models.Model):
    """A meeting request (约谈) between an investor and an entry's team: asked by either side, answered
    by the other (accept with the time, or decline with a reason). One open request per pair at a time."""

    code = models.CharField(_("约谈编号"), max_length=20, unique=True, editable=False)
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("参赛项目")
    )
    investor = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("投资机构")
    )
    asked_by_side = models.CharField(_("发起方"), max_length=8, choices=MeetingSide.choices)
    proposed_at = models.DateTimeField(_("建议时间"))
    scheduled_at = models.DateTimeField(_("约定时间"), null=True, blank=True)
    place = models.CharField(_("地点或线上链接"), max_length=200, blank=True)
    message = models.CharField(_("留言"), max_length=1000, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=MeetingStatus.choices,
        default=MeetingStatus.REQUESTED,
        db_index=True,
    )
    answer = models.CharField(_("回复"), max_length=500, blank=True)
    requested_by = _person(_("发起人"))
    requested_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    answered_by = _person(_("回复人"))
    answered_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("路演约谈")
        verbose_name_plural = _("路演约谈")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "investor"],
                condition=Q(status="requested"),
                name="events_meeting_one_open",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(scheduled_at__isnull=False),
                name="events_meeting_accepted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RoadshowOutcome(models.Model):
    """What came of a roadshow contact: follow-up, a term sheet, an investment (its amount in fen), or a
    pass. The investments are the money winners raised (after the prize, docs/adr/0025)."""

    code = models.CharField(_("对接结果编号"), max_length=20, unique=True, editable=False)
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("参赛项目")
    )
    investor = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("投资机构")
    )
    meeting = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcomes",
        verbose_name=_("约谈"),
    )
    kind = models.CharField(_("结果"), max_length=12, choices=OutcomeKind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"), default=0)
    occurred_on = models.DateField(_("发生日期"))
    note = models.CharField(_("说明"), max_length=1000, blank=True)
    recorded_by = _person(_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("路演对接结果")
        verbose_name_plural = _("路演对接结果")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen__gte=0, amount_fen__lte=10**13), name="events_outcome_amount_range"
            ),
            models.CheckConstraint(
                condition=~Q(kind="invested") | Q(amount_fen__gt=0), name="events_outcome_invested_amount"
            ),
        ]

    def __str__(self) -> str:
        return self.code


# --- after the prize (赛后服务) -----------------------------------------------------------------------------


class Aftercare(models.Model):
    """The one-step offer to a winner after the result is final: a commissioner assigned at once (the
    service desk's assignment), and a space request and a voucher application the winner files in one
    step (the spaces' and vouchers' services). The rows those services create are linked, not copied."""

    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, related_name="aftercare", verbose_name=_("获奖项目")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=AftercareStatus.choices, default=AftercareStatus.OFFERED
    )
    assignment = models.ForeignKey(
        "servicedesk.Assignment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("服务专员分配"),
    )
    space_request = models.ForeignKey(
        "spaces.SpaceRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("用房需求"),
    )
    voucher_application = models.ForeignKey(
        "vouchers.Application",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创新券申领"),
    )
    offered_by = _person(_("提供人"))
    offered_at = models.DateTimeField(_("提供时间"), default=timezone.now)
    answered_by = _person(_("确认人"))
    answered_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("赛后服务")
        verbose_name_plural = _("赛后服务")
        ordering = ["-offered_at", "-id"]

    def __str__(self) -> str:
        return f"{self.entry_id}"
