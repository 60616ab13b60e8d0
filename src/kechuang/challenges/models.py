"""揭榜挂帅 open technical challenges (docs/design.md §3.4): a challenge (榜单) posted by an enterprise or the
district, applications (揭榜申请) with attachments, an expert panel with blind weighted scoring, awards
with a task book (任务书) whose milestones (军令状) are paid by tranches in strict order.

Money: every ``*_fen`` column is an integer number of fen. Award money lives in the ledger
(:mod:`kechuang.ledger`): when a challenge is awarded, each award posts Dr challenge fund / Cr award
payable; each tranche posts Dr award payable / Cr fund with the business reference
``challenges.tranche:<milestone code>``. The database itself refuses a second payment of a tranche
(``TranchePayment.milestone`` is UNIQUE) and a payment approved by its requester (CHECK).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core.panels import ScoreSheet, ScoringPanel

from .choices import (
    ApplicationStatus,
    AwardStatus,
    ChallengeStatus,
    IssuerKind,
    MilestoneStatus,
)

USER = settings.AUTH_USER_MODEL


def _person(verbose: Any) -> models.ForeignKey:
    return models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=verbose
    )


class Challenge(models.Model):
    """A posted technical challenge (榜单): the problem, target indicators, the budget (issuer money plus
    district subsidy), deadline, IP terms and eligibility. Open to any capable team: no age, title or
    registration-age bar."""

    code = models.CharField(_("榜单编号"), max_length=20, unique=True)
    title = models.CharField(_("榜单名称"), max_length=120)
    issuer = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="challenges",
        verbose_name=_("发榜单位"),
    )
    issuer_kind = models.CharField(
        _("发榜类型"), max_length=12, choices=IssuerKind.choices, default=IssuerKind.ENTERPRISE
    )
    fields = models.ManyToManyField(
        "directory.TechnologyField", blank=True, related_name="challenges", verbose_name=_("技术领域")
    )
    problem = models.TextField(_("技术难题"))
    indicators = models.TextField(_("目标指标"))
    issuer_fen = models.BigIntegerField(_("发榜方出资（分）"), default=0)
    subsidy_fen = models.BigIntegerField(_("街区补贴（分）"), default=0)
    deadline = models.DateField(_("揭榜截止日期"))
    ip_terms = models.TextField(_("知识产权约定"))
    eligibility = models.TextField(
        _("揭榜条件"), blank=True, default="不设年龄、职称、成立年限门槛，有能力者均可揭榜。"
    )
    max_winners = models.PositiveSmallIntegerField(
        _("最多揭榜单位数"), default=1, help_text=_("大于 1 表示赛马制，多个团队并行攻关")
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ChallengeStatus.choices,
        default=ChallengeStatus.DRAFT,
        db_index=True,
    )
    status_reason = models.CharField(_("退回或撤回原因"), max_length=500, blank=True)
    fund_account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("榜单资金账户"),
    )
    created_by = _person(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    reviewed_by = _person(_("审核人"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    awarded_at = models.DateTimeField(_("定榜时间"), null=True, blank=True)
    # the matching index version at this challenge's last indexable change (kechuang.transfer.matching)
    index_version = models.BigIntegerField(_("索引版本"), default=0, db_index=True, editable=False)

    KIND = "challenge"  # its kind in the matching index: public challenges are searchable

    class Meta:
        verbose_name = _("榜单")
        verbose_name_plural = _("榜单")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issuer_fen__gte=0) & Q(subsidy_fen__gte=0), name="challenges_budget_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(issuer_fen__gt=0) | Q(subsidy_fen__gt=0), name="challenges_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_winners__gte=1) & Q(max_winners__lte=10), name="challenges_winners_range"
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("created_by")),
                name="challenges_reviewer_not_creator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"

    @property
    def budget_fen(self) -> int:
        return int(self.issuer_fen) + int(self.subsidy_fen)


class Application(models.Model):
    """An application to take on a challenge (揭榜申请): the applicant organization, co-applicants and
    team, the plan, proposed milestones and budget."""

    code = models.CharField(_("申请编号"), max_length=20, unique=True)
    challenge = models.ForeignKey(
        Challenge, on_delete=models.PROTECT, related_name="applications", verbose_name=_("榜单")
    )
    organization = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="challenge_applications",
        verbose_name=_("揭榜单位"),
    )
    co_applicants = models.ManyToManyField(
        "directory.Organization", blank=True, related_name="+", verbose_name=_("联合申报单位")
    )
    team_members = models.ManyToManyField(
        "directory.Person", blank=True, related_name="challenge_teams", verbose_name=_("团队成员")
    )
    team = models.TextField(_("团队介绍"))
    plan = models.TextField(_("技术方案"))
    milestones = models.TextField(_("拟定里程碑"))
    budget_fen = models.BigIntegerField(_("申请经费（分）"))
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    rank = models.PositiveSmallIntegerField(_("评审排名"), null=True, blank=True)
    score_x100 = models.PositiveIntegerField(_("评审得分（×100）"), null=True, blank=True)
    decision_reason = models.CharField(_("结果说明"), max_length=500, blank=True)
    submitted_by = _person(_("申请人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        verbose_name = _("揭榜申请")
        verbose_name_plural = _("揭榜申请")
        ordering = ["challenge_id", "rank", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "organization"], name="challenges_one_application_per_org"
            ),
            models.CheckConstraint(
                condition=Q(budget_fen__gt=0), name="challenges_application_budget_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.organization}" if self.organization_id else self.code

    @property
    def score(self) -> float | None:
        return None if self.score_x100 is None else self.score_x100 / 100


def attachment_path(instance: ApplicationAttachment, filename: str) -> str:
    return f"challenges/{instance.token}"


class ApplicationAttachment(models.Model):
    """A file attached to an application, checked by content (core.uploads) and served only through an
    access-checked view, as a download."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("揭榜申请")
    )
    token = models.UUIDField(_("下载标识"), unique=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    kind_label = models.CharField(_("格式"), max_length=20)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = _person(_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请附件")
        verbose_name_plural = _("申请附件")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Panel(ScoringPanel):
    """The expert review panel of a challenge: weighted criteria (weights sum to 100) and its members.
    Scores are blind: nobody sees another reviewer's scores before the panel closes. Criteria, status and
    times are the shared panel shape (kechuang.core.panels)."""

    challenge = models.OneToOneField(
        Challenge, on_delete=models.PROTECT, related_name="panel", verbose_name=_("榜单")
    )
    created_by = _person(_("组建人"))
    closed_by = _person(_("结束人"))

    class Meta:
        verbose_name = _("评审组")
        verbose_name_plural = _("评审组")

    def __str__(self) -> str:
        return f"{self.challenge.code} 评审组" if self.challenge_id else "评审组"


class PanelMember(models.Model):
    """One expert on a panel (a directory person flagged as expert)."""

    panel = models.ForeignKey(
        Panel, on_delete=models.CASCADE, related_name="members", verbose_name=_("评审组")
    )
    expert = models.ForeignKey(
        "directory.Person", on_delete=models.PROTECT, related_name="challenge_panels", verbose_name=_("专家")
    )
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")
        ordering = ["panel_id", "id"]
        constraints = [models.UniqueConstraint(fields=["panel", "expert"], name="challenges_member_unique")]

    def __str__(self) -> str:
        return str(self.expert)


class Score(ScoreSheet):
    """One reviewer's scores of one application: a 0–100 score per criterion and the weighted total
    (×100, an integer), the shared sheet shape (kechuang.core.panels)."""

    member = models.ForeignKey(
        PanelMember, on_delete=models.CASCADE, related_name="scores", verbose_name=_("评审专家")
    )
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="scores", verbose_name=_("揭榜申请")
    )
    comment = models.CharField(_("评审意见"), max_length=1000, blank=True)

    judged_field, judge_field = "application", "member"

    class Meta(ScoreSheet.Meta):
        ordering = ["application_id", "member_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "application"], name="challenges_score_once"),
            *ScoreSheet.Meta.constraints,
        ]


class Award(models.Model):
    """One winning application (several in parallel under 赛马制): the amount awarded, the task book
    (任务书) and its milestones."""

    code = models.CharField(_("立项编号"), max_length=20, unique=True)
    challenge = models.ForeignKey(
        Challenge, on_delete=models.PROTECT, related_name="awards", verbose_name=_("榜单")
    )
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="award", verbose_name=_("揭榜申请")
    )
    amount_fen = models.BigIntegerField(_("支持金额（分）"))
    task_book = models.TextField(_("任务书"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=AwardStatus.choices, default=AwardStatus.SIGNING
    )
    payable_account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("应付账户"),
    )
    created_by = _person(_("定榜人"))
    created_at = models.DateTimeField(_("定榜时间"), default=timezone.now)
    signed_by = _person(_("任务书签订人"))
    signed_at = models.DateTimeField(_("任务书签订时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("立项")
        verbose_name_plural = _("立项")
        ordering = ["challenge_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="challenges_award_positive")
        ]

    def __str__(self) -> str:
        return self.code


class Milestone(models.Model):
    """A task-book milestone (军令状) with its acceptance criteria and its tranche: delivered by the
    solver, accepted by the issuer, then paid — strictly in order, each payment approved by someone
    other than whoever requested it."""

    code = models.CharField(_("拨付编号"), max_length=20, unique=True)
    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="milestones", verbose_name=_("立项")
    )
    sequence = models.PositiveSmallIntegerField(_("序号"))
    title = models.CharField(_("里程碑"), max_length=120)
    criteria = models.TextField(_("验收标准"))
    due_on = models.DateField(_("计划完成日期"))
    amount_fen = models.BigIntegerField(_("拨付金额（分）"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=MilestoneStatus.choices,
        default=MilestoneStatus.PLANNED,
        db_index=True,
    )
    delivery_note = models.TextField(_("交付说明"), blank=True)
    delivered_by = _person(_("交付人"))
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)
    accepted_by = _person(_("验收人"))
    accepted_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    requested_by = _person(_("拨付申请人"))
    requested_at = models.DateTimeField(_("拨付申请时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("里程碑与拨付")
        verbose_name_plural = _("里程碑与拨付")
        ordering = ["award_id", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "sequence"], name="challenges_milestone_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount_fen__gt=0), name="challenges_milestone_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1), name="challenges_milestone_sequence_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def ledger_reference(self) -> str:
        return f"challenges.tranche:{self.code}"


class TranchePayment(models.Model):
    """The payment of one tranche. One row per milestone at most (UNIQUE): the database itself refuses a
    second payment; the approver is never the requester (CHECK, docs/reliability.md B4)."""

    milestone = models.OneToOneField(
        Milestone, on_delete=models.PROTECT, related_name="payment", verbose_name=_("里程碑")
    )
    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="payments", verbose_name=_("立项")
    )
    amount_fen = models.BigIntegerField(_("金额（分）"))
    # Both set by the services; both empty only for history loaded in bulk (demo data, imports).
    requested_by = _person(_("申请人"))
    approved_by = _person(_("审批人"))
    entry = models.ForeignKey(
        "ledger.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记账凭证"),
    )
    paid_at = models.DateTimeField(_("拨付时间"), default=timezone.now)

    class Meta:
        verbose_name = _("拨付记录")
        verbose_name_plural = _("拨付记录")
        ordering = ["paid_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="challenges_payment_positive"),
            models.CheckConstraint(
                condition=(Q(requested_by__isnull=True) & Q(approved_by__isnull=True))
                | (
                    Q(requested_by__isnull=False)
                    & Q(approved_by__isnull=False)
                    & ~Q(approved_by=F("requested_by"))
                ),
                name="challenges_payment_approver_not_requester",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id}: {self.amount_fen}"
