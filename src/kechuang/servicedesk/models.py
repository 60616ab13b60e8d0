"""The service desk (docs/design.md §3.6): 一企一专员, 有呼必应、无事不扰.

- ``Assignment``: who serves an enterprise (its commissioner) and which leader is responsible for it
  (包保); a reassignment ends the current row and starts a new one, so the rows are the history.
- ``ServiceRequest`` (诉求, public code SQ-2026-000123) with its status, category, the two SLA clocks
  (first response and resolution, in working days) and an optimistic ``version``: every change is an
  ``UPDATE … WHERE version = n``, so of two staff changing the same request at once one wins and the
  other gets a conflict (docs/reliability.md H2). ``RequestEvent`` is its append-only history.
- ``CalendarDay`` (the editable working-day calendar: holidays and 调休 working days), ``CalendarYear``
  (the years whose arrangement is loaded in full) and ``SlaPolicy``
  (the clocks per category).
- ``Plan`` and ``PlanItem`` (一企一策), ``Visit`` (走访记录) and ``ServicePreference`` (the enterprise's own
  do-not-disturb setting and visit limit).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

OPEN_STATUSES = frozenset({RequestStatus.SUBMITTED, RequestStatus.IN_PROGRESS, RequestStatus.HANDED_OVER})
FINISHED_STATUSES = frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.WITHDRAWN})


def temporary_code() -> str:
    """A unique placeholder; the service replaces it with the public code once the row has its key."""
    return f"tmp-{uuid.uuid4().hex[:20]}"


def attachment_path(instance: Any, filename: str) -> str:
    name = uuid.uuid4().hex
    return f"servicedesk/{name[:2]}/{name}.bin"


class Assignment(models.Model):
    """One period in which ``user`` serves ``organization`` as its commissioner, or is its responsible
    leader (包保). The row with ``ended_at`` empty is the current one; at most one per role."""

    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="service_assignments",
        verbose_name=_("企业"),
    )
    role = models.CharField(_("职责"), max_length=16, choices=AssignmentRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_assignments",
        verbose_name=_("人员"),
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    reason = models.CharField(_("分配说明"), max_length=200, blank=True)
    end_reason = models.CharField(_("结束说明"), max_length=200, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("分配人"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("结束操作人"),
    )

    class Meta:
        verbose_name = _("专员与包保分配")
        verbose_name_plural = _("专员与包保分配")
        ordering = ["organization_id", "role", "-started_at", "-id"]
        indexes = [models.Index(fields=["user", "role", "ended_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "role"],
                condition=Q(ended_at__isnull=True),
                name="assignment_one_current_per_role",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="assignment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_role_display()} · {self.user}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class SlaPolicy(models.Model):
    """The promised clocks of one request category, in working days (see ``clock`` for the rule)."""

    category = models.CharField(_("诉求类别"), max_length=16, choices=RequestCategory.choices, unique=True)
    response_days = models.PositiveSmallIntegerField(
        _("首次响应时限（工作日）"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    resolution_days = models.PositiveSmallIntegerField(
        _("办结时限（工作日）"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("更新人"),
    )

    class Meta:
        verbose_name = _("服务时限")
        verbose_name_plural = _("服务时限")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(
                condition=Q(response_days__gte=1) & Q(resolution_days__gte=models.F("response_days")),
                name="sla_resolution_not_before_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}：{self.response_days}/{self.resolution_days}"


class CalendarDay(models.Model):
    """An exception to the ordinary week: a public holiday, or a weekend day worked (调休上班)."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=CalendarDayKind.choices)
    name = models.CharField(_("名称"), max_length=40, blank=True, help_text=_("如：春节、国庆节"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=120, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("更新人"),
    )

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose holiday and 调休 arrangement (the State Council's notice) is loaded in full.

    Until a year has its row, clocks running through it count Monday to Friday as working days and say
    that their due times are estimates (docs/reliability.md M5); from November on, the pages warn that
    next year's arrangement is missing."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(
        _("依据"), max_length=200, blank=True, help_text=_("如：国务院办公厅关于2027年部分节假日安排的通知")
    )
    confirmed_at = models.DateTimeField(_("确认时间"), default=timezone.now)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("确认人"),
    )

    class Meta:
        verbose_name = _("已载入的日历年度")
        verbose_name_plural = _("已载入的日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class ServiceRequest(models.Model):
    """诉求: an enterprise asks the district for something and gets an answer within the promised time."""

    CODE_PREFIX = "SQ"

    code = models.CharField(_("编号"), max_length=32, unique=True, default=temporary_code, editable=False)
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="service_requests",
        verbose_name=_("企业"),
    )
    category = models.CharField(_("类别"), max_length=16, choices=RequestCategory.choices, db_index=True)
    title = models.CharField(_("标题"), max_length=120)
    text = models.TextField(_("诉求内容"), max_length=4000)
    channel = models.CharField(
        _("来源渠道"), max_length=16, choices=RequestChannel.choices, default=RequestChannel.PLATFORM
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=RequestStatus.choices,
        default=RequestStatus.SUBMITTED,
        db_index=True,
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    commissioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests_served",
        verbose_name=_("服务专员"),
    )
    department = models.CharField(_("转办部门"), max_length=16, choices=Department.choices, blank=True)
    department_name = models.CharField(_("部门名称"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提交人"),
    )
    filed_at = models.DateTimeField(_("提交时间"), db_index=True)
    updated_at = models.DateTimeField(_("更新时间"))
    # the clocks
    response_days = models.PositiveSmallIntegerField(_("首次响应时限（工作日）"))
    resolution_days = models.PositiveSmallIntegerField(_("办结时限（工作日）"))
    clock_started_at = models.DateTimeField(_("办结计时起点"))
    response_due_at = models.DateTimeField(_("首次响应截止"), db_index=True)
    resolution_due_at = models.DateTimeField(_("办结截止"), db_index=True)
    first_responded_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    response_minutes = models.PositiveIntegerField(_("响应用时（工作分钟）"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("办结用时（工作分钟）"), null=True, blank=True)
    response_breached = models.BooleanField(_("响应超时"), default=False)
    resolution_breached = models.BooleanField(_("办结超时"), default=False)
    response_reminded_at = models.DateTimeField(_("响应临期提醒时间"), null=True, blank=True)
    resolution_reminded_at = models.DateTimeField(_("办结临期提醒时间"), null=True, blank=True)
    response_escalated_at = models.DateTimeField(_("响应超时升级时间"), null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(_("办结超时升级时间"), null=True, blank=True)
    cycle = models.PositiveSmallIntegerField(_("办理轮次"), default=1, help_text=_("每重新打开一次加一"))
    rating = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    external_ref = models.CharField(
        _("外部编号"),
        max_length=60,
        unique=True,
        null=True,
        blank=True,
        help_text=_("从其他渠道导入时的原编号"),
    )

    class Meta:
        verbose_name = _("企业诉求")
        verbose_name_plural = _("企业诉求")
        ordering = ["-filed_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["commissioner", "status"]),
            models.Index(fields=["status", "response_due_at"]),
            models.Index(fields=["status", "resolution_due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="service_request_rating_1_to_5",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="service_request_version_positive"),
            models.CheckConstraint(
                condition=Q(response_due_at__gte=models.F("filed_at")),
                name="service_request_due_after_filing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def department_label(self) -> str:
        if self.department == Department.OTHER:
            return self.department_name or str(Department.OTHER.label)
        return str(self.get_department_display()) if self.department else ""

    @property
    def is_escalated(self) -> bool:
        return bool(self.response_escalated_at or self.resolution_escalated_at)


class RequestEvent(models.Model):
    """One step in a request's history (append-only). ``from_status``/``to_status`` are set on every
    event that changed the status, so the history can be checked against the transition table."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("诉求")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=RequestEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )
    text = models.TextField(_("内容"), max_length=4000, blank=True)
    from_status = models.CharField(_("原状态"), max_length=16, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=RequestStatus.choices, blank=True)
    is_internal = models.BooleanField(_("仅内部可见"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1, help_text=_("事件发生后诉求的版本"))
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("诉求记录")
        verbose_name_plural = _("诉求记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["request", "created_at"])]

    def __str__(self) -> str:
        return f"{self.request_id} {self.get_kind_display()}"

    @property
    def is_transition(self) -> bool:
        return bool(self.to_status) and self.from_status != self.to_status


class RequestAttachment(models.Model):
    """A file attached to a request; checked by content (core.uploads) and served only through an
    access-checked view, as a download."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("诉求")
    )
    token = models.UUIDField(_("下载标识"), unique=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    kind_label = models.CharField(_("格式"), max_length=20)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("诉求附件")
        verbose_name_plural = _("诉求附件")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Plan(models.Model):
    """一企一策: the district's plan for serving one enterprise (needs, commitments, follow-ups)."""

    organization = models.OneToOneField(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="service_plan",
        verbose_name=_("企业"),
    )
    summary = models.TextField(_("企业概况与服务思路"), max_length=4000, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("更新人"),
    )

    class Meta:
        verbose_name = _("一企一策")
        verbose_name_plural = _("一企一策")

    def __str__(self) -> str:
        return f"{self.organization} · 一企一策"


class PlanItem(models.Model):
    """One need, commitment or follow-up in an enterprise's plan."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="items", verbose_name=_("一企一策"))
    kind = models.CharField(_("类型"), max_length=16, choices=PlanItemKind.choices)
    text = models.CharField(_("内容"), max_length=500)
    due_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=PlanItemStatus.choices, default=PlanItemStatus.OPEN
    )
    request = models.ForeignKey(
        ServiceRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_items",
        verbose_name=_("关联诉求"),
    )
    visit = models.ForeignKey(
        "Visit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_items",
        verbose_name=_("来自走访"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一企一策事项")
        verbose_name_plural = _("一企一策事项")
        ordering = ["status", "due_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.text[:30]}"


class Visit(models.Model):
    """A visit to an enterprise (走访), planned and then recorded. Planning is refused over the monthly
    cap or while the enterprise has asked not to be disturbed (无事不扰)."""

    CODE_PREFIX = "ZF"

    code = models.CharField(_("编号"), max_length=32, unique=True, default=temporary_code, editable=False)
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="service_visits",
        verbose_name=_("企业"),
    )
    planned_for = models.DateField(_("走访日期"), db_index=True)
    purpose = models.CharField(_("走访事由"), max_length=200)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_visits",
        verbose_name=_("走访人"),
    )
    companions = models.CharField(_("同行人员"), max_length=200, blank=True)
    request = models.ForeignKey(
        ServiceRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
        verbose_name=_("关联诉求"),
        help_text=_("企业自己提出、需要上门办理的诉求"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.PLANNED, db_index=True
    )
    notes = models.TextField(_("走访记录"), max_length=4000, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("安排人"),
    )
    created_at = models.DateTimeField(_("安排时间"))
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("走访")
        verbose_name_plural = _("走访")
        ordering = ["-planned_for", "-id"]
        indexes = [models.Index(fields=["organization", "planned_for", "status"])]

    def __str__(self) -> str:
        return f"{self.code} {self.organization}"


class ServicePreference(models.Model):
    """The enterprise's own say in 无事不扰: do not disturb (until a date), and fewer visits a month."""

    organization = models.OneToOneField(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="service_preference",
        verbose_name=_("企业"),
    )
    do_not_disturb = models.BooleanField(
        _("无事不扰"), default=False, help_text=_("开启后不安排上门走访；企业有诉求时仍可随时提出")
    )
    do_not_disturb_until = models.DateField(
        _("免打扰截止日期"), null=True, blank=True, help_text=_("留空表示一直有效，直到企业关闭")
    )
    max_visits_per_month = models.PositiveSmallIntegerField(
        _("每月最多走访次数"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("留空则按街区统一上限"),
    )
    note = models.CharField(_("给专员的说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("更新人"),
    )

    class Meta:
        verbose_name = _("企业服务偏好")
        verbose_name_plural = _("企业服务偏好")

    def __str__(self) -> str:
        return f"{self.organization} · 服务偏好"

    def blocks(self, day: Any) -> bool:
        """Whether do-not-disturb is in force on ``day``."""
        if not self.do_not_disturb:
            return False
        return self.do_not_disturb_until is None or day <= self.do_not_disturb_until
