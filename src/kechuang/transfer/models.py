"""The technology transfer platform (docs/design.md §3.2): achievements, demands, attachments, interest, deals,
contract registration, and the stored state of the matching index.

Money is integer fen. Public references are codes (CG-2026-000123, XQ-…, YX-…, DJ-…, HT-…), used in URLs.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    AchievementStatus,
    AttachmentAccess,
    ContractType,
    DealNoteKind,
    DealStage,
    DemandStatus,
    InterestStatus,
    Visibility,
)

TRL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(9)]


def temporary_code() -> str:
    """A unique placeholder; the service replaces it with the public code once the row has its key."""
    return f"tmp-{uuid.uuid4().hex[:20]}"


_KEYWORD_SEPARATORS = re.compile(r"[\s,，;；、]+")


def split_keywords(keywords: str | None) -> list[str]:
    """A listing's keywords field as a list: spaces, commas, semicolons and 、 separate them."""
    return [k for k in _KEYWORD_SEPARATORS.split(keywords or "") if k]


class Listing(models.Model):
    """What achievements and demands share: owner, visibility, status, contacts, review."""

    code = models.CharField(_("编号"), max_length=32, unique=True, default=temporary_code, editable=False)
    title = models.CharField(_("标题"), max_length=120)
    summary = models.TextField(_("简介"), max_length=4000)
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属机构")
    )
    fields = models.ManyToManyField(
        "directory.TechnologyField", blank=True, related_name="+", verbose_name=_("技术领域")
    )
    keywords = models.CharField(_("关键词"), max_length=200, blank=True, help_text=_("空格或逗号分隔"))
    visibility = models.CharField(
        _("公开范围"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC, db_index=True
    )
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # The matching index version at which this listing last changed (processes reload newer ones).
    index_version = models.BigIntegerField(_("索引版本"), default=0, db_index=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)


class Achievement(Listing):
    """科技成果: a research result offered for transfer, licence, equity, joint development or service."""

    CODE_PREFIX = "CG"
    KIND = "achievement"

    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=AchievementStatus.choices,
        default=AchievementStatus.DRAFT,
        db_index=True,
    )
    problem_solved = models.TextField(_("解决的问题"), max_length=4000, blank=True)
    advantages = models.TextField(_("技术优势（与现有技术相比）"), max_length=4000, blank=True)
    scenarios = models.TextField(_("应用场景"), max_length=4000, blank=True)
    trl = models.PositiveSmallIntegerField(
        _("技术成熟度（TRL）"), validators=TRL_VALIDATORS, help_text=_("1–9 级")
    )
    ip_kinds = models.JSONField(_("知识产权类型"), default=list, blank=True)
    ip_details = models.TextField(
        _("知识产权说明"), max_length=2000, blank=True, help_text=_("专利号、软著登记号等")
    )
    transfer_modes = models.JSONField(_("转化方式"), default=list, blank=True)
    asking_price_fen = models.BigIntegerField(
        _("意向价格（分）"), null=True, blank=True, help_text=_("空表示面议")
    )
    asking_terms = models.CharField(_("交易条件"), max_length=500, blank=True)
    team = models.TextField(_("研发团队"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("科技成果")
        verbose_name_plural = _("科技成果")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility"]),
            models.Index(fields=["organization", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(trl__gte=1) & Q(trl__lte=9),
                name="achievement_trl_1_9",
                violation_error_message=_("技术成熟度（TRL）应为 1–9。"),
            ),
            models.CheckConstraint(
                condition=Q(asking_price_fen__isnull=True) | Q(asking_price_fen__gte=0),
                name="achievement_price_not_negative",
                violation_error_message=_("意向价格不能为负数。"),
            ),
        ]


class Demand(Listing):
    """技术需求: an enterprise's technical problem, with target indicators and a budget range."""

    CODE_PREFIX = "XQ"
    KIND = "demand"

    status = models.CharField(
        _("状态"), max_length=16, choices=DemandStatus.choices, default=DemandStatus.DRAFT, db_index=True
    )
    current_state = models.TextField(_("现状与已有尝试"), max_length=4000, blank=True)
    target_indicators = models.TextField(_("目标指标"), max_length=4000, blank=True)
    trl_required = models.PositiveSmallIntegerField(
        _("期望成熟度（TRL 不低于）"), null=True, blank=True, validators=TRL_VALIDATORS
    )
    budget_min_fen = models.BigIntegerField(_("预算下限（分）"), null=True, blank=True)
    budget_max_fen = models.BigIntegerField(_("预算上限（分）"), null=True, blank=True)
    deadline = models.DateField(_("期望完成日期"), null=True, blank=True)
    cooperation_modes = models.JSONField(_("合作方式"), default=list, blank=True)

    class Meta:
        verbose_name = _("技术需求")
        verbose_name_plural = _("技术需求")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility"]),
            models.Index(fields=["organization", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(trl_required__isnull=True) | (Q(trl_required__gte=1) & Q(trl_required__lte=9)),
                name="demand_trl_1_9",
                violation_error_message=_("期望成熟度（TRL）应为 1–9。"),
            ),
            models.CheckConstraint(
                condition=Q(budget_min_fen__isnull=True) | Q(budget_min_fen__gte=0),
                name="demand_budget_min_not_negative",
                violation_error_message=_("预算不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(budget_min_fen__isnull=True)
                | Q(budget_max_fen__isnull=True)
                | Q(budget_max_fen__gte=models.F("budget_min_fen")),
                name="demand_budget_range_ordered",
                violation_error_message=_("预算上限不能低于预算下限。"),
            ),
        ]


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user (the original name is kept in a field).
    return f"transfer/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"


class Attachment(models.Model):
    """A file attached to an achievement or a demand. Checked by content (core.uploads) and served only
    through an access-checked view, as a download."""

    achievement = models.ForeignKey(
        Achievement,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("科技成果"),
    )
    demand = models.ForeignKey(
        Demand,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("技术需求"),
    )
    token = models.UUIDField(_("下载标识"), unique=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    kind_label = models.CharField(_("格式"), max_length=20)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    access = models.CharField(
        _("查看范围"), max_length=16, choices=AttachmentAccess.choices, default=AttachmentAccess.LISTING
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(achievement__isnull=False) & Q(demand__isnull=True))
                | (Q(achievement__isnull=True) & Q(demand__isnull=False)),
                name="attachment_one_listing",
                violation_error_message=_("附件必须属于一项成果或一项需求。"),
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def listing(self) -> Achievement | Demand:
        return self.achievement if self.achievement_id else self.demand  # type: ignore[return-value]


class Interest(models.Model):
    """意向: an organization asks about a listing. The owner's contact details are released to the
    asking organization only when the owner accepts (docs/reliability.md D1)."""

    CODE_PREFIX = "YX"

    code = models.CharField(_("编号"), max_length=32, unique=True, default=temporary_code, editable=False)
    achievement = models.ForeignKey(
        Achievement,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interests",
        verbose_name=_("科技成果"),
    )
    demand = models.ForeignKey(
        Demand,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="interests",
        verbose_name=_("技术需求"),
    )
    organization = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("意向方")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提出人"),
    )
    message = models.TextField(_("留言"), max_length=2000)
    contact_name = models.CharField(_("意向方联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("意向方联系电话"), max_length=20, blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=InterestStatus.choices,
        default=InterestStatus.PENDING,
        db_index=True,
    )
    response_note = models.CharField(_("回复"), max_length=500, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("回复人"),
    )
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("意向")
        verbose_name_plural = _("意向")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(achievement__isnull=False) & Q(demand__isnull=True))
                | (Q(achievement__isnull=True) & Q(demand__isnull=False)),
                name="interest_one_listing",
                violation_error_message=_("意向必须针对一项成果或一项需求。"),
            ),
            # One open interest per organization and listing.
            models.UniqueConstraint(
                fields=["achievement", "organization"],
                condition=Q(status__in=["pending", "accepted"]),
                name="interest_open_unique_achievement",
            ),
            models.UniqueConstraint(
                fields=["demand", "organization"],
                condition=Q(status__in=["pending", "accepted"]),
                name="interest_open_unique_demand",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def listing(self) -> Achievement | Demand:
        return self.achievement if self.achievement_id else self.demand  # type: ignore[return-value]


class Deal(models.Model):
    """项目对接: a brokered deal moving through 意向 → 洽谈 → 签约 → 登记 → 实施 → 验收."""

    CODE_PREFIX = "DJ"

    code = models.CharField(_("编号"), max_length=32, unique=True, default=temporary_code, editable=False)
    title = models.CharField(_("项目名称"), max_length=160)
    achievement = models.ForeignKey(
        Achievement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("科技成果"),
    )
    demand = models.ForeignKey(
        Demand,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
        verbose_name=_("技术需求"),
    )
    interest = models.OneToOneField(
        Interest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deal",
        verbose_name=_("来源意向"),
    )
    supplier = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("技术供给方")
    )
    buyer = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("技术需求方")
    )
    stage = models.CharField(
        _("阶段"), max_length=16, choices=DealStage.choices, default=DealStage.INTENT, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("负责人"),
    )
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    next_step_due = models.DateField(_("下一步期限"), null=True, blank=True)
    expected_amount_fen = models.BigIntegerField(_("预计金额（分）"), null=True, blank=True)
    stage_changed_at = models.DateTimeField(_("阶段变更时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("项目对接")
        verbose_name_plural = _("项目对接")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_amount_fen__isnull=True) | Q(expected_amount_fen__gte=0),
                name="deal_amount_not_negative",
                violation_error_message=_("金额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=~Q(supplier=models.F("buyer")),
                name="deal_two_parties",
                violation_error_message=_("供给方与需求方不能是同一机构。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class DealNote(models.Model):
    """A note on a deal, or a recorded stage change (the deal's history). Append-only."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="notes", verbose_name=_("项目对接"))
    kind = models.CharField(_("类型"), max_length=8, choices=DealNoteKind.choices, default=DealNoteKind.NOTE)
    text = models.TextField(_("内容"), max_length=2000)
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=DealStage.choices, blank=True)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=DealStage.choices, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("对接记录")
        verbose_name_plural = _("对接记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.text[:30]}"


class ContractRegistration(models.Model):
    """技术合同登记: the registered technology contract. 技术交易额 never exceeds 合同成交额."""

    CODE_PREFIX = "HT"

    code = models.CharField(_("编号"), max_length=32, unique=True, default=temporary_code, editable=False)
    registration_number = models.CharField(_("登记号"), max_length=32, unique=True)
    contract_type = models.CharField(_("合同类型"), max_length=16, choices=ContractType.choices)
    title = models.CharField(_("合同名称"), max_length=160)
    deal = models.ForeignKey(
        Deal,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contracts",
        verbose_name=_("项目对接"),
    )
    seller = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("卖方（受托方）")
    )
    buyer = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("买方（委托方）")
    )
    signed_on = models.DateField(_("签订日期"))
    contract_amount_fen = models.BigIntegerField(_("合同成交额（分）"))
    technology_amount_fen = models.BigIntegerField(_("技术交易额（分）"))
    note = models.CharField(_("备注"), max_length=500, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登记人"),
    )
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("技术合同登记")
        verbose_name_plural = _("技术合同登记")
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_amount_fen__gt=0),
                name="contract_amount_positive",
                violation_error_message=_("合同成交额必须大于零。"),
            ),
            models.CheckConstraint(
                condition=Q(technology_amount_fen__gte=0),
                name="contract_tech_not_negative",
                violation_error_message=_("技术交易额不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(technology_amount_fen__lte=models.F("contract_amount_fen")),
                name="contract_tech_within_amount",
                violation_error_message=_("技术交易额不能超过合同成交额。"),
            ),
            models.CheckConstraint(
                condition=~Q(seller=models.F("buyer")),
                name="contract_two_parties",
                violation_error_message=_("买卖双方不能是同一机构。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_number} {self.title}"


class ListingVector(models.Model):
    """A document's sentence embedding, computed by a background task and shared by every process."""

    doc_id = models.CharField(_("文档"), max_length=64)
    embedder = models.CharField(_("向量模型"), max_length=80)
    text_hash = models.CharField(_("文本摘要"), max_length=64)
    dim = models.PositiveSmallIntegerField(_("维度"))
    vector = models.BinaryField(_("向量"))
    version = models.BigIntegerField(_("索引版本"), default=0, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("匹配向量")
        verbose_name_plural = _("匹配向量")
        constraints = [models.UniqueConstraint(fields=["doc_id", "embedder"], name="listing_vector_unique")]

    def __str__(self) -> str:
        return f"{self.doc_id} ({self.embedder})"


class MatchIndexState(models.Model):
    """One row: the matching index version. Every listing change and every stored vector bumps it; each
    process compares it with the version it loaded (one cheap query) before it searches."""

    version = models.BigIntegerField(_("版本"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("匹配索引状态")
        verbose_name_plural = _("匹配索引状态")

    def __str__(self) -> str:
        return f"v{self.version}"


class StrongMatch(models.Model):
    """A demand–achievement pair whose match crossed the notification threshold; the owners of both
    sides are notified once per pair."""

    demand = models.ForeignKey(
        Demand, on_delete=models.CASCADE, related_name="strong_matches", verbose_name=_("技术需求")
    )
    achievement = models.ForeignKey(
        Achievement, on_delete=models.CASCADE, related_name="strong_matches", verbose_name=_("科技成果")
    )
    score = models.FloatField(_("匹配分"))
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("强匹配")
        verbose_name_plural = _("强匹配")
        constraints = [models.UniqueConstraint(fields=["demand", "achievement"], name="strong_match_once")]

    def __str__(self) -> str:
        return f"{self.demand_id}↔{self.achievement_id}"
