"""Innovation vouchers (创新券, docs/design.md §3.5): schemes, providers and their catalogue, applications with
two-level review, vouchers, service orders, settlement claims and monthly settlement batches.

Money lives in the ledger (:mod:`kechuang.ledger`): a scheme's fund and unallocated budget, each
voucher's balance, and what the scheme owes each provider are ledger accounts; the ``*_fen`` columns
here are snapshots of what was decided (granted, held, redeemed, paid) that the reconciliation checks
against the ledger. Maker-checker (docs/reliability.md B4) is also a database rule: a reviewer or approver
column can never equal the requester column.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    ApplicationStatus,
    BatchStatus,
    ClaimStatus,
    OrderStatus,
    ProviderStatus,
    SchemeStatus,
    ServiceCategory,
    VoucherStatus,
)

USER = settings.AUTH_USER_MODEL


def _person(verbose: Any, related: str = "+") -> models.ForeignKey:
    return models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name=related, verbose_name=verbose
    )


class Scheme(models.Model):
    """A voucher scheme (批次): a year's budget, the share of a service's price a voucher pays, the caps
    per enterprise and per actual controller, the eligible service categories, the application window
    and the date its vouchers expire."""

    code = models.CharField(_("批次编号"), max_length=20, unique=True)
    name = models.CharField(_("批次名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    description = models.TextField(_("说明"), blank=True)
    budget_fen = models.BigIntegerField(_("预算（分）"))
    subsidy_ratio_bp = models.PositiveIntegerField(_("补贴比例（万分比）"), help_text=_("5000 表示 50%"))
    enterprise_cap_fen = models.BigIntegerField(_("单户年度上限（分）"))
    controller_cap_fen = models.BigIntegerField(_("同一实际控制人上限（分）"))
    categories = models.JSONField(_("适用服务类别"), default=list)
    apply_from = models.DateField(_("申领开始"))
    apply_until = models.DateField(_("申领截止"))
    expires_on = models.DateField(_("有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT, db_index=True
    )
    fund_account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("资金账户"),
    )
    budget_account = models.OneToOneField(
        "ledger.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("未分配预算账户"),
    )
    created_by = _person(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    opened_by = _person(_("启用人"))
    opened_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("创新券批次")
        verbose_name_plural = _("创新券批次")
        ordering = ["-year", "-code"]
        constraints = [
            models.CheckConstraint(condition=Q(budget_fen__gt=0), name="vouchers_scheme_budget_positive"),
            models.CheckConstraint(
                condition=Q(subsidy_ratio_bp__gte=1, subsidy_ratio_bp__lte=10000),
                name="vouchers_scheme_ratio_range",
            ),
            models.CheckConstraint(
                condition=Q(enterprise_cap_fen__gt=0), name="vouchers_scheme_cap_positive"
            ),
            models.CheckConstraint(
                condition=Q(controller_cap_fen__gte=F("enterprise_cap_fen")),
                name="vouchers_scheme_controller_cap_covers_enterprise_cap",
            ),
            models.CheckConstraint(
                condition=Q(apply_until__gte=F("apply_from")), name="vouchers_scheme_window"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("apply_until")), name="vouchers_scheme_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def category_labels(self) -> list[str]:
        labels = dict(ServiceCategory.choices)
        return [str(labels.get(code, code)) for code in self.categories]

    def is_accepting_applications(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return self.status == SchemeStatus.OPEN and self.apply_from <= today <= self.apply_until


class Provider(models.Model):
    """A registered service provider (服务机构入驻): reviewed by an operator before it can take orders."""

    organization = models.OneToOneField(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="voucher_provider",
        verbose_name=_("机构"),
    )
    code = models.CharField(_("入驻编号"), max_length=20, unique=True)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ProviderStatus.choices,
        default=ProviderStatus.PENDING,
        db_index=True,
    )
    categories = models.JSONField(_("服务类别"), default=list)
    introduction = models.TextField(_("机构介绍"), blank=True)
    qualifications = models.TextField(_("资质说明"), blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    applied_by = _person(_("申请人"))
    applied_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    reviewed_by = _person(_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("applied_by")),
                name="vouchers_provider_reviewer_not_applicant",
            ),
        ]

    def __str__(self) -> str:
        return self.organization.name if self.organization_id else self.code

    def category_labels(self) -> list[str]:
        labels = dict(ServiceCategory.choices)
        return [str(labels.get(code, code)) for code in self.categories]


class ProviderService(models.Model):
    """One entry in a provider's catalogue, with its price."""

    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="services", verbose_name=_("服务机构")
    )
    code = models.CharField(_("服务编号"), max_length=20, unique=True)
    name = models.CharField(_("服务名称"), max_length=100)
    category = models.CharField(_("服务类别"), max_length=16, choices=ServiceCategory.choices, db_index=True)
    description = models.TextField(_("服务内容"), blank=True)
    price_fen = models.BigIntegerField(_("价格（分）"))
    unit = models.CharField(_("计价单位"), max_length=10, default="项")
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["provider_id", "category", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="vouchers_service_price_positive")
        ]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """An enterprise's application for a voucher (申领), reviewed by an operator and then approved by a
    leader; neither may be the person who applied, nor the leader the operator who reviewed it."""

    code = models.CharField(_("申领编号"), max_length=20, unique=True)
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="applications", verbose_name=_("批次")
    )
    enterprise = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="voucher_applications",
        verbose_name=_("企业"),
    )
    requested_fen = models.BigIntegerField(_("申请额度（分）"))
    recommended_fen = models.BigIntegerField(_("初审建议额度（分）"), null=True, blank=True)
    granted_fen = models.BigIntegerField(_("批准额度（分）"), null=True, blank=True)
    purpose = models.TextField(_("用途说明"))
    planned_categories = models.JSONField(_("拟使用服务类别"), default=list)
    controller_name = models.CharField(_("实际控制人"), max_length=80, blank=True)
    controller_code = models.CharField(
        _("实际控制人标识"),
        max_length=40,
        help_text=_("统一社会信用代码或证件号（脱敏）；同一标识的企业合并计算上限"),
    )
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
    )
    request_key = models.CharField(_("幂等键"), max_length=120, null=True, blank=True, unique=True)
    submitted_by = _person(_("申请人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    operator_reviewer = _person(_("初审人"))
    operator_reviewed_at = models.DateTimeField(_("初审时间"), null=True, blank=True)
    operator_note = models.CharField(_("初审意见"), max_length=500, blank=True)
    leader_reviewer = _person(_("审批人"))
    leader_reviewed_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    leader_note = models.CharField(_("审批意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("创新券申领")
        verbose_name_plural = _("创新券申领")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_fen__gt=0), name="vouchers_application_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(recommended_fen__isnull=True)
                | (Q(recommended_fen__gt=0) & Q(recommended_fen__lte=F("requested_fen"))),
                name="vouchers_application_recommendation_within_request",
            ),
            models.UniqueConstraint(
                fields=["scheme", "enterprise"],
                condition=Q(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWED]),
                name="vouchers_application_one_open_per_scheme",
            ),
            models.CheckConstraint(
                condition=Q(operator_reviewer__isnull=True) | ~Q(operator_reviewer=F("submitted_by")),
                name="vouchers_application_reviewer_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(leader_reviewer__isnull=True)
                | (~Q(leader_reviewer=F("submitted_by")) & ~Q(leader_reviewer=F("operator_reviewer"))),
                name="vouchers_application_approver_not_requester_nor_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def controller_is_the_enterprise(self) -> bool:
        """No actual controller was named: the caps count the enterprise alone (its own code)."""
        return self.controller_code in (self.enterprise.uscc or "", f"ORG{self.enterprise_id}")

    @property
    def controller_label(self) -> str:
        """The actual controller as people read it: the name given, or the enterprise itself."""
        if self.controller_name:
            return self.controller_name
        if self.controller_is_the_enterprise:
            return str(_("企业自身（未另报实际控制人）"))
        return str(_("未填写姓名"))


class Voucher(models.Model):
    """A granted voucher (创新券): its balance is the ledger account ``account``."""

    code = models.CharField(_("券号"), max_length=20, unique=True)
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("批次")
    )
    enterprise = models.ForeignKey(
        "directory.Organization", on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("企业")
    )
    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="voucher", verbose_name=_("申领")
    )
    account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="voucher", verbose_name=_("账户")
    )
    controller_code = models.CharField(_("实际控制人标识"), max_length=40, db_index=True)
    granted_fen = models.BigIntegerField(_("发放额度（分）"))
    returned_fen = models.BigIntegerField(
        _("收回额度（分）"), default=0, help_text=_("到期或撤销时退回批次预算的未使用部分")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.ACTIVE, db_index=True
    )
    expires_on = models.DateField(_("有效期至"))
    granted_by = _person(_("发放人"))
    granted_at = models.DateTimeField(_("发放时间"), default=timezone.now)
    revoked_by = _person(_("撤销人"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=500, blank=True)
    closed_at = models.DateTimeField(_("到期/撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("创新券")
        verbose_name_plural = _("创新券")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(granted_fen__gt=0), name="vouchers_voucher_granted_positive"),
            models.CheckConstraint(
                condition=Q(returned_fen__gte=0) & Q(returned_fen__lte=F("granted_fen")),
                name="vouchers_voucher_returned_within_granted",
            ),
        ]
        indexes = [models.Index(fields=["scheme", "enterprise"], name="vouchers_voucher_scheme_ent")]

    def __str__(self) -> str:
        return self.code

    @property
    def committed_fen(self) -> int:
        """What counts against the caps: granted, less what went back unused."""
        return self.granted_fen - self.returned_fen


class ServiceOrder(models.Model):
    """An order for a provider's service paid partly by a voucher: the voucher's share is held on the
    voucher's account from placement until the enterprise confirms delivery (then it is redeemed) or the
    order ends otherwise (then the hold is released)."""

    code = models.CharField(_("订单编号"), max_length=20, unique=True)
    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, related_name="orders", verbose_name=_("创新券")
    )
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="orders", verbose_name=_("批次")
    )
    enterprise = models.ForeignKey(
        "directory.Organization",
        on_delete=models.PROTECT,
        related_name="voucher_orders",
        verbose_name=_("企业"),
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="orders", verbose_name=_("服务机构")
    )
    service = models.ForeignKey(
        ProviderService, on_delete=models.PROTECT, related_name="orders", verbose_name=_("服务项目")
    )
    category = models.CharField(_("服务类别"), max_length=16, choices=ServiceCategory.choices, db_index=True)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    price_fen = models.BigIntegerField(_("服务金额（分）"))
    ratio_bp = models.PositiveIntegerField(_("补贴比例（万分比）"))
    voucher_fen = models.BigIntegerField(_("创新券支付（分）"))
    redeemed_fen = models.BigIntegerField(_("已核销（分）"), default=0)
    note = models.CharField(_("需求说明"), max_length=500, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED, db_index=True
    )
    hold = models.OneToOneField(
        "ledger.Hold",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher_order",
        verbose_name=_("资金冻结"),
    )
    redemption_entry = models.OneToOneField(
        "ledger.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher_redemption",
        verbose_name=_("核销凭证"),
    )
    request_key = models.CharField(_("幂等键"), max_length=120, null=True, blank=True, unique=True)
    placed_by = _person(_("下单人"))
    placed_at = models.DateTimeField(_("下单时间"), default=timezone.now)
    accepted_by = _person(_("接单人"))
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    delivered_by = _person(_("交付人"))
    delivered_at = models.DateTimeField(_("交付时间"), null=True, blank=True)
    delivery_note = models.CharField(_("交付说明"), max_length=500, blank=True)
    confirmed_by = _person(_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    close_reason = models.CharField(_("关闭原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(price_fen__gt=0), name="vouchers_order_price_positive"),
            models.CheckConstraint(
                condition=Q(voucher_fen__gt=0) & Q(voucher_fen__lte=F("price_fen")),
                name="vouchers_order_voucher_share_within_price",
            ),
            models.CheckConstraint(
                condition=Q(redeemed_fen__gte=0) & Q(redeemed_fen__lte=F("voucher_fen")),
                name="vouchers_order_redeemed_within_share",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=OrderStatus.CONFIRMED, redemption_entry__isnull=False, redeemed_fen__gt=0)
                    | (~Q(status=OrderStatus.CONFIRMED) & Q(redemption_entry__isnull=True, redeemed_fen=0))
                ),
                name="vouchers_order_redeemed_iff_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=F("delivered_by")),
                name="vouchers_order_confirmer_not_deliverer",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "status"], name="vouchers_order_ent_status"),
            models.Index(fields=["provider", "status"], name="vouchers_order_prov_status"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def enterprise_pays_fen(self) -> int:
        return self.price_fen - self.voucher_fen


class Rating(models.Model):
    """An enterprise's rating of a provider after a confirmed order."""

    order = models.OneToOneField(
        ServiceOrder, on_delete=models.PROTECT, related_name="rating", verbose_name=_("订单")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("服务机构")
    )
    score = models.PositiveSmallIntegerField(_("评分"))
    comment = models.CharField(_("评价"), max_length=500, blank=True)
    created_by = _person(_("评价人"))
    created_at = models.DateTimeField(_("评价时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="vouchers_rating_score_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.score}"


def invoice_path(instance: SettlementClaim, filename: str) -> str:
    return f"vouchers/invoices/{timezone.now():%Y/%m}/{instance.code}-{instance.invoice_sha256[:12]}.bin"


class SettlementBatch(models.Model):
    """A monthly settlement batch (月度结算批次): the approved claims of a month, approved by someone other
    than its creator, then paid (one ledger posting per claim) and exported to Excel."""

    code = models.CharField(_("批次编号"), max_length=20, unique=True)
    period = models.DateField(_("结算月份"), help_text=_("月份的第一天"))
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.DRAFT, db_index=True
    )
    total_fen = models.BigIntegerField(_("结算金额（分）"), default=0)
    claim_count = models.PositiveIntegerField(_("结算笔数"), default=0)
    created_by = _person(_("制单人"))
    created_at = models.DateTimeField(_("制单时间"), default=timezone.now)
    approved_by = _person(_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_by = _person(_("支付人"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    exported_at = models.DateTimeField(_("最近导出"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算批次")
        verbose_name_plural = _("结算批次")
        ordering = ["-period", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="vouchers_batch_total_not_negative"),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="vouchers_batch_approver_not_creator",
            ),
            models.CheckConstraint(
                condition=~Q(status=BatchStatus.PAID) | Q(approved_at__isnull=False),
                name="vouchers_batch_paid_only_after_approval",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class SettlementClaim(models.Model):
    """A provider's claim for the voucher share of a confirmed order, with the invoice attached."""

    code = models.CharField(_("结算申请编号"), max_length=20, unique=True)
    order = models.OneToOneField(
        ServiceOrder, on_delete=models.PROTECT, related_name="claim", verbose_name=_("订单")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="claims", verbose_name=_("服务机构")
    )
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="claims", verbose_name=_("批次")
    )
    amount_fen = models.BigIntegerField(_("申请结算（分）"))
    invoice_number = models.CharField(_("发票号码"), max_length=40)
    invoice_amount_fen = models.BigIntegerField(_("发票金额（分）"))
    invoice = models.FileField(_("发票"), upload_to=invoice_path, max_length=200)
    invoice_name = models.CharField(_("发票文件名"), max_length=160)
    invoice_content_type = models.CharField(max_length=100)
    invoice_sha256 = models.CharField(max_length=64)
    status = models.CharField(
        _("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED, db_index=True
    )
    submitted_by = _person(_("申请人"))
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    reviewed_by = _person(_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    batch = models.ForeignKey(
        SettlementBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("结算批次"),
    )
    payment_entry = models.OneToOneField(
        "ledger.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher_claim_payment",
        verbose_name=_("支付凭证"),
    )
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算申请")
        verbose_name_plural = _("结算申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="vouchers_claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(invoice_amount_fen__gte=F("amount_fen")),
                name="vouchers_claim_invoice_covers_amount",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("submitted_by")),
                name="vouchers_claim_reviewer_not_requester",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=ClaimStatus.PAID, payment_entry__isnull=False)
                    | (~Q(status=ClaimStatus.PAID) & Q(payment_entry__isnull=True))
                ),
                name="vouchers_claim_paid_iff_payment_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.code
