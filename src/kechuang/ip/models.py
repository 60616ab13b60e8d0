"""Intellectual property (docs/adr/0028-intellectual-property.md): the institutes' and enterprises'
patents and other IP assets, their foreign family members, the transactions on them (assignments,
licences, pledges) and the open licences (专利开放许可) the holders publish.

An asset's public reference is its number in canonical form (``201710601862.3``), unique across the
platform: the database refuses a second asset with the same number. Money is integer fen.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core.codes import next_code

from .choices import AssetKind, LegalStatus, NationalAward, OpenLicenceStatus, ServiceKind, TransactionKind

USER = settings.AUTH_USER_MODEL
SCOPE = "ip"


def new_code(prefix: str) -> str:
    """The next public code of a kind (``ZJ-2026-00012``), numbered per year (kechuang.core.codes)."""
    return next_code(SCOPE, prefix, width=5)


class IpAsset(models.Model):
    """A patent (invention, utility model, design), software copyright, IC layout design or plant variety
    held by an organization of the directory (the holder, whose technology transfer office manages it),
    possibly with co-applicants and with inventors who are people of the directory."""

    KIND = "ip_asset"  # its kind of document in the matching index

    kind = models.CharField(_("类型"), max_length=16, choices=AssetKind.choices, db_index=True)
    number = models.CharField(_("申请号/登记号"), max_length=32, unique=True)
    publication_number = models.CharField(_("公开（公告）号"), max_length=32, blank=True)
    title = models.CharField(_("名称"), max_length=200)
    abstract = models.TextField(_("摘要"), max_length=5000, blank=True)
    claims = models.TextField(_("权利要求"), max_length=50000, blank=True)
    holder = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("权利人")
    )
    co_applicants = models.ManyToManyField(
        "directory.Organization", blank=True, related_name="+", verbose_name=_("共同申请人")
    )
    applicant_names = models.CharField(_("申请人（原文）"), max_length=500, blank=True)
    inventors = models.ManyToManyField(
        "directory.Person", blank=True, related_name="+", verbose_name=_("发明人")
    )
    inventor_names = models.CharField(_("发明人（原文）"), max_length=500, blank=True)
    filed_on = models.DateField(_("申请日"))
    published_on = models.DateField(_("公开日"), null=True, blank=True)
    granted_on = models.DateField(_("授权公告日"), null=True, blank=True)
    legal_status = models.CharField(
        _("法律状态"), max_length=16, choices=LegalStatus.choices, default=LegalStatus.FILED, db_index=True
    )
    status_changed_on = models.DateField(_("法律状态变更日"), null=True, blank=True)
    annuity_due_on = models.DateField(_("下次年费缴纳期限"), null=True, blank=True, db_index=True)
    expires_on = models.DateField(_("保护期届满日"), null=True, blank=True)
    ipc_codes = models.JSONField(_("IPC 分类号"), default=list, blank=True)
    fields = models.ManyToManyField(
        "directory.TechnologyField", blank=True, related_name="+", verbose_name=_("技术领域")
    )
    national_award = models.CharField(
        _("中国专利奖"), max_length=12, choices=NationalAward.choices, default=NationalAward.NONE, blank=True
    )
    achievement = models.ForeignKey(
        "transfer.Achievement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ip_assets",
        verbose_name=_("关联成果"),
    )
    high_value = models.BooleanField(_("高价值发明专利"), default=False, db_index=True, editable=False)
    high_value_reasons = models.JSONField(_("高价值理由"), default=list, blank=True, editable=False)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    index_version = models.BigIntegerField(_("索引版本"), default=0, db_index=True, editable=False)

    class Meta:
        verbose_name = _("知识产权")
        verbose_name_plural = _("知识产权")
        ordering = ["-filed_on", "-pk"]
        indexes = [models.Index(fields=["holder", "kind", "legal_status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(granted_on__isnull=True) | Q(granted_on__gte=models.F("filed_on")),
                name="ip_asset_granted_after_filed",
            ),
            models.CheckConstraint(condition=~Q(number=""), name="ip_asset_number_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_patent(self) -> bool:
        return self.kind in (AssetKind.INVENTION, AssetKind.UTILITY, AssetKind.DESIGN)

    @property
    def claims_public(self) -> bool:
        """An application's claims are public once it is published (or granted): before that they are the
        holder's secret (docs/adr/0028, "Unpublished applications")."""
        return self.legal_status != LegalStatus.FILED and (
            self.published_on is not None or self.granted_on is not None
        )

    def first_claim(self) -> str:
        text = (self.claims or "").strip()
        for marker in ("2.", "2、", "２．"):
            cut = text.find(marker)
            if cut > 0:
                return text[:cut].strip()
        return text[:600]


class FamilyMember(models.Model):
    """A member of the asset's patent family filed abroad (country and the foreign office's number)."""

    asset = models.ForeignKey(
        IpAsset, on_delete=models.CASCADE, related_name="family", verbose_name=_("专利")
    )
    country = models.CharField(_("国家/地区"), max_length=2)
    number = models.CharField(_("号码"), max_length=32)

    class Meta:
        verbose_name = _("海外同族")
        verbose_name_plural = _("海外同族")
        ordering = ["country", "number"]
        constraints = [models.UniqueConstraint(fields=["asset", "number"], name="ip_family_unique_number")]

    def __str__(self) -> str:
        return self.number


class OpenLicence(models.Model):
    """专利开放许可: the holder declares the fee and terms; anyone may take the licence up on them. A
    patent that lapses leaves the listings (status ``ended``)."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    asset = models.ForeignKey(
        IpAsset, on_delete=models.PROTECT, related_name="open_licences", verbose_name=_("专利")
    )
    fee_fen = models.BigIntegerField(_("许可使用费（分/年）"))
    royalty_permille = models.PositiveIntegerField(_("提成比例（‰）"), default=0)
    term_years = models.PositiveSmallIntegerField(_("许可期限（年）"), default=3)
    terms = models.TextField(_("许可条件"), max_length=2000, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=OpenLicenceStatus.choices, default=OpenLicenceStatus.PUBLISHED
    )
    published_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("发布人")
    )
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("下架时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("开放许可")
        verbose_name_plural = _("开放许可")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"], condition=Q(status="published"), name="ip_open_licence_one_published"
            ),
            models.CheckConstraint(condition=Q(fee_fen__gte=0), name="ip_open_licence_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.asset.title}"


class IpTransaction(models.Model):
    """An assignment, licence or pledge of an asset with its contract: the counterparty (assignee,
    licensee or the pledgee bank), the amount, the term. A licence or assignment brokered on the platform
    carries transfer's deal and the registered technology contract."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    asset = models.ForeignKey(
        IpAsset, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("专利")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=TransactionKind.choices, db_index=True)
    counterparty = models.ForeignKey(
        "directory.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("受让/被许可/质权方"),
    )
    counterparty_name = models.CharField(_("对方名称"), max_length=120)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    signed_on = models.DateField(_("签订日期"), db_index=True)
    term_start = models.DateField(_("期限起"), null=True, blank=True)
    term_end = models.DateField(_("期限止"), null=True, blank=True)
    contract_number = models.CharField(_("合同编号"), max_length=40, blank=True)
    open_licence = models.ForeignKey(
        OpenLicence,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="takeups",
        verbose_name=_("开放许可"),
    )
    deal = models.ForeignKey(
        "transfer.Deal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("对接项目"),
    )
    contract = models.ForeignKey(
        "transfer.ContractRegistration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("技术合同登记"),
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("知识产权交易")
        verbose_name_plural = _("知识产权交易")
        ordering = ["-signed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="ip_transaction_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=models.F("term_start")),
                name="ip_transaction_term_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_kind_display()}"


def report_path(instance: ServiceReport, filename: str) -> str:
    # The stored name never comes from the user (the original name is kept in a field).
    return f"ip/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"


class ServiceReport(models.Model):
    """The report of an IP service (valuation, freedom to operate, landscape) a provider delivered on a
    voucher order of the 知识产权 category, attached to the asset it is about. Attaching it delivers the
    order through the vouchers' own service; the enterprise confirms it there."""

    asset = models.ForeignKey(
        IpAsset, on_delete=models.PROTECT, related_name="service_reports", verbose_name=_("专利")
    )
    order = models.OneToOneField(
        "vouchers.ServiceOrder", on_delete=models.PROTECT, related_name="+", verbose_name=_("创新券订单")
    )
    kind = models.CharField(_("服务类型"), max_length=12, choices=ServiceKind.choices)
    token = models.UUIDField(_("下载标识"), unique=True, default=uuid.uuid4, editable=False)
    file = models.FileField(_("报告"), upload_to=report_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("上传人")
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("知识产权服务报告")
        verbose_name_plural = _("知识产权服务报告")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"
