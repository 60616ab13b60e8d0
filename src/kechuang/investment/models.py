"""招商稳商 (issue 18, docs/adr/0026-investment-attraction.md).

- ``Lead`` (招商线索, ZS-2026-00012): a company or team the district wants; its source, cluster, planned
  investment (fen), jobs and space need; a responsible leader (挂帅) and a case officer; the stage
  (线索 → 研判 → 在谈 → 签约 → 注册 → 入驻 → 投产, or lost / withdrawn with a reason) and four working-day
  clocks on the service desk's calendar. ``StageEvidence`` is what entering a stage required;
  ``LeadActivity`` the append-only history; ``LeadDocument`` checked uploads; ``LeadEscalation`` one row
  per clock breach, so the scheduler escalates each breach once.
- ``KeyProject`` (重点项目包保, ZD-…) with ``Milestone``, ``ProjectIssue`` (linked to a service-desk request
  when raised there) and one ``ProjectStatusReport`` per month.
- ``RetentionCase`` (稳商, WS-…): one open case per firm and signal, with ``RetentionAction`` rows.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kechuang.core.codes import next_code
from kechuang.core.money import format_wan
from kechuang.servicedesk.choices import Department

from .choices import (
    ActivityKind,
    EvidenceKind,
    LeadClock,
    LeadSource,
    LeadStage,
    LostReason,
    ProjectStatus,
    RetentionSignal,
    RetentionStatus,
)

SCOPE = "investment"


def new_code(prefix: str) -> str:
    """The next public code of a kind: ``ZS-2026-00012`` (kechuang.core.codes)."""
    return next_code(SCOPE, prefix, width=5)


def document_path(instance: Any, filename: str) -> str:
    name = uuid.uuid4().hex
    return f"investment/{name[:2]}/{name}.bin"


def _user(related_name: str, label: Any, *, null: bool = True) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=null,
        blank=null,
        on_delete=models.SET_NULL if null else models.PROTECT,
        related_name=related_name,
        verbose_name=label,
    )


class Lead(models.Model):
    """A company or team the district is courting, from first contact to production."""

    code = models.CharField(_("线索编号"), max_length=16, unique=True, editable=False)
    source = models.CharField(_("来源"), max_length=16, choices=LeadSource.choices)
    source_detail = models.CharField(_("来源说明"), max_length=200, blank=True)
    name = models.CharField(_("企业或团队名称"), max_length=120)
    normalized_name = models.CharField(_("规范化名称"), max_length=120, db_index=True, editable=False)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    cluster = models.ForeignKey(
        "directory.TechnologyField",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("产业集群"),
    )
    block = models.ForeignKey(
        "directory.Block",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("意向板块"),
    )
    summary = models.TextField(_("项目概况"), max_length=4000, blank=True)
    planned_investment_fen = models.BigIntegerField(_("计划投资（分）"), default=0)
    jobs = models.PositiveIntegerField(_("预计就业岗位"), default=0)
    space_area_m2 = models.DecimalField(
        _("需求面积（㎡）"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    space_type = models.CharField(_("空间类型"), max_length=16, blank=True)
    power_kw = models.PositiveIntegerField(_("用电需求（kW）"), null=True, blank=True)
    asks_policy = models.BooleanField(_("政策诉求"), default=False)
    asks_talent = models.BooleanField(_("人才诉求"), default=False)
    asks_financing = models.BooleanField(_("融资诉求"), default=False)
    asks_note = models.CharField(_("诉求说明"), max_length=500, blank=True)
    terms = models.TextField(_("谈判条款"), max_length=4000, blank=True)
    is_key = models.BooleanField(_("重点项目"), default=False)
    leader = _user("investment_leads_led", _("挂帅领导"))
    case_officer = _user("investment_leads_handled", _("项目专员"))
    stage = models.CharField(
        _("阶段"), max_length=16, choices=LeadStage.choices, default=LeadStage.LEAD, db_index=True
    )
    stage_entered_at = models.DateTimeField(_("进入本阶段时间"))
    closed_reason_code = models.CharField(
        _("流失或撤回原因"), max_length=16, choices=LostReason.choices, blank=True, db_index=True
    )
    closed_reason = models.CharField(_("原因说明"), max_length=500, blank=True)
    closed_from_stage = models.CharField(_("关闭前阶段"), max_length=16, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("疑似重复于"),
    )
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="investment_leads",
        verbose_name=_("落地企业"),
    )
    received_at = models.DateTimeField(_("登记时间"))
    acknowledged_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(_("受理时限"))
    assessed_at = models.DateTimeField(_("首次研判时间"), null=True, blank=True)
    assessment_due_at = models.DateTimeField(_("首次研判时限"))
    feedback_at = models.DateTimeField(_("反馈企业时间"), null=True, blank=True)
    feedback_due_at = models.DateTimeField(_("反馈企业时限"))
    last_update_at = models.DateTimeField(_("最近更新"))
    update_due_at = models.DateTimeField(_("下次更新时限"))
    created_by = _user("+", _("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["stage", "cluster"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_investment_fen__gte=0), name="lead_investment_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=["lost", "withdrawn"]) | ~Q(closed_reason_code=""),
                name="lead_closed_has_reason_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.stage not in (LeadStage.LOST, LeadStage.WITHDRAWN)

    @property
    def investment_text(self) -> str:
        return format_wan(self.planned_investment_fen, empty="—")

    @property
    def asks(self) -> list[str]:
        labels = [
            (self.asks_policy, _("政策")),
            (self.asks_talent, _("人才")),
            (self.asks_financing, _("融资")),
        ]
        return [str(label) for wanted, label in labels if wanted]


class StageEvidence(models.Model):
    """What entering a stage required: the assessment note, the term sheet, the agreement, the business
    licence (with its USCC), the lease, the first output. Append-only."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("线索"))
    stage = models.CharField(_("阶段"), max_length=16, choices=LeadStage.choices)
    kind = models.CharField(_("材料"), max_length=20, choices=EvidenceKind.choices)
    note = models.TextField(_("说明"), max_length=4000)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    lease = models.ForeignKey(
        "spaces.Lease",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("租约"),
    )
    amount_fen = models.BigIntegerField(_("金额（分）"), null=True, blank=True)
    document = models.ForeignKey(
        "LeadDocument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("附件"),
    )
    recorded_by = _user("+", _("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("阶段材料")
        verbose_name_plural = _("阶段材料")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.lead.code} · {self.get_kind_display()}"


class LeadActivity(models.Model):
    """One line of a lead's history: follow-ups, feedback to the company, stage changes, escalations."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="activities", verbose_name=_("线索")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=ActivityKind.choices)
    text = models.TextField(_("内容"), max_length=4000, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    actor = _user("+", _("操作人"))
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("线索动态")
        verbose_name_plural = _("线索动态")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.lead.code} · {self.get_kind_display()}"


class LeadDocument(models.Model):
    """A file of a lead (business plan, term sheet, licence scan), checked by content (core.uploads) and
    served only to those who may see the lead's confidential fields."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="documents", verbose_name=_("线索"))
    token = models.UUIDField(_("下载标识"), unique=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("文件"), upload_to=document_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = _user("+", _("上传人"))
    created_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("线索附件")
        verbose_name_plural = _("线索附件")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class LeadEscalation(models.Model):
    """One breach of one clock (for the update clock, of one due time): the row is what makes the
    scheduler's escalation happen once however often it runs."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("线索")
    )
    clock = models.CharField(_("时限"), max_length=16, choices=LeadClock.choices)
    due_at = models.DateTimeField(_("时限"))
    escalated_at = models.DateTimeField(_("升级时间"))
    notified = models.JSONField(_("通知对象"), default=list)

    class Meta:
        verbose_name = _("线索超时升级")
        verbose_name_plural = _("线索超时升级")
        ordering = ["-escalated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lead", "clock", "due_at"], name="lead_escalation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lead.code} · {self.get_clock_display()}"


# --- key projects -------------------------------------------------------------------------------------


class KeyProject(models.Model):
    """重点项目包保: a firm's expansion, a new line or a lab under a responsible leader."""

    code = models.CharField(_("项目编号"), max_length=16, unique=True, editable=False)
    name = models.CharField(_("项目名称"), max_length=120)
    organization = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_projects",
        verbose_name=_("企业"),
    )
    lead = models.OneToOneField(
        Lead,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_project",
        verbose_name=_("来源线索"),
    )
    description = models.TextField(_("项目内容"), max_length=4000, blank=True)
    leader = _user("key_projects_led", _("包保领导"), null=False)
    departments = models.JSONField(_("责任部门"), default=list, blank=True)
    planned_investment_fen = models.BigIntegerField(_("计划投资（分）"), default=0)
    status = models.CharField(
        _("当前状态"),
        max_length=16,
        choices=ProjectStatus.choices,
        default=ProjectStatus.ON_TRACK,
        db_index=True,
    )
    escalated_at = models.DateTimeField(_("最近升级时间"), null=True, blank=True)
    created_by = _user("+", _("登记人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("重点项目")
        verbose_name_plural = _("重点项目")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_investment_fen__gte=0), name="keyproject_investment_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Milestone(models.Model):
    project = models.ForeignKey(
        KeyProject, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("重点项目")
    )
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划完成日期"))
    done_on = models.DateField(_("实际完成日期"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("逾期提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目节点")
        verbose_name_plural = _("项目节点")
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ProjectIssue(models.Model):
    """A problem a key project raised, resolved through the service desk when it was filed there."""

    project = models.ForeignKey(
        KeyProject, on_delete=models.CASCADE, related_name="issues", verbose_name=_("重点项目")
    )
    text = models.CharField(_("问题"), max_length=500)
    department = models.CharField(_("责任部门"), max_length=16, choices=Department.choices, blank=True)
    service_request = models.ForeignKey(
        "servicedesk.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("关联诉求"),
    )
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    resolution = models.CharField(_("解决情况"), max_length=500, blank=True)
    raised_by = _user("+", _("提出人"))
    raised_at = models.DateTimeField(_("提出时间"))

    class Meta:
        verbose_name = _("项目问题")
        verbose_name_plural = _("项目问题")
        ordering = ["resolved_at", "-raised_at", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


class ProjectStatusReport(models.Model):
    """The monthly status of a key project: on track, at risk or blocked, with a note."""

    project = models.ForeignKey(
        KeyProject, on_delete=models.CASCADE, related_name="reports", verbose_name=_("重点项目")
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    status = models.CharField(_("状态"), max_length=16, choices=ProjectStatus.choices)
    note = models.CharField(_("说明"), max_length=1000, blank=True)
    reported_by = _user("+", _("报告人"))
    reported_at = models.DateTimeField(_("报告时间"))

    class Meta:
        verbose_name = _("月度状态")
        verbose_name_plural = _("月度状态")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="project_report_once_a_month")
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month:%Y-%m}"


# --- 稳商 ---------------------------------------------------------------------------------------------


class RetentionCase(models.Model):
    """A firm at risk of leaving, opened by a signal (a lease ending, breached requests, falling
    satisfaction, a stated plan to move, a space need the district cannot meet). At most one open case per
    firm, signal and subject (``signal_ref``: the lease's code, for instance)."""

    code = models.CharField(_("案件编号"), max_length=16, unique=True, editable=False)
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.CASCADE,
        related_name="retention_cases",
        verbose_name=_("企业"),
    )
    signal = models.CharField(_("信号"), max_length=20, choices=RetentionSignal.choices)
    signal_ref = models.CharField(_("信号来源"), max_length=40, blank=True)
    detail = models.CharField(_("信号说明"), max_length=500, blank=True)
    owner = _user("retention_cases", _("负责人"))
    status = models.CharField(
        _("状态"), max_length=16, choices=RetentionStatus.choices, default=RetentionStatus.OPEN, db_index=True
    )
    reason_code = models.CharField(
        _("流失原因"), max_length=16, choices=LostReason.choices, blank=True, db_index=True
    )
    reason = models.CharField(_("结果说明"), max_length=500, blank=True)
    opened_at = models.DateTimeField(_("开案时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("稳商案件")
        verbose_name_plural = _("稳商案件")
        ordering = ["status", "-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "signal", "signal_ref"],
                condition=Q(status="open"),
                name="retention_one_open_case_per_signal",
            ),
            models.CheckConstraint(
                condition=~Q(status="lost") | ~Q(reason_code=""), name="retention_lost_has_reason_code"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.organization}"


class RetentionAction(models.Model):
    case = models.ForeignKey(
        RetentionCase, on_delete=models.CASCADE, related_name="actions", verbose_name=_("稳商案件")
    )
    text = models.CharField(_("措施"), max_length=500)
    due_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    created_by = _user("+", _("记录人"))
    created_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("稳商措施")
        verbose_name_plural = _("稳商措施")
        ordering = ["done_at", "due_on", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class AnnualTarget(models.Model):
    """The year's investment-attraction target the leaders' view measures against: planned investment
    and jobs of the projects signed (签约 or later) in the year."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    investment_fen = models.BigIntegerField(_("计划投资目标（分）"))
    jobs = models.PositiveIntegerField(_("就业岗位目标"))
    updated_by = _user("+", _("更新人"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度招商目标")
        verbose_name_plural = _("年度招商目标")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(condition=Q(investment_fen__gte=0), name="target_investment_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year}"
