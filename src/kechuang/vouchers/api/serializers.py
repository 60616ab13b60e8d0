"""Voucher API shapes: separate input and output serializers. Money is integer fen (``*_fen``); public
references are codes (QZ-2026-000123), never integer keys."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.money import fen_serializer_field
from kechuang.core.text import CleanTextMixin
from kechuang.ledger.models import JournalLine

from .. import services
from ..choices import ApplicationStatus, ServiceCategory
from ..models import (
    Application,
    Provider,
    ProviderService,
    Scheme,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)

CODE_FIELD = {"max_length": 40}


class ErrorOutput(serializers.Serializer):
    detail = serializers.CharField(required=False)


# --- output -------------------------------------------------------------------------------------------


class SchemeOutput(serializers.ModelSerializer):
    budget_remaining_fen = serializers.SerializerMethodField()

    class Meta:
        model = Scheme
        fields = [
            "code",
            "name",
            "year",
            "description",
            "status",
            "budget_fen",
            "budget_remaining_fen",
            "subsidy_ratio_bp",
            "enterprise_cap_fen",
            "controller_cap_fen",
            "categories",
            "apply_from",
            "apply_until",
            "expires_on",
            "opened_at",
        ]

    def get_budget_remaining_fen(self, obj: Scheme) -> int | None:
        account = obj.budget_account
        return account.balance_fen if account is not None else None


class ProviderOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="organization.name", read_only=True)
    rating_avg = serializers.FloatField(read_only=True, allow_null=True, default=None)
    rating_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Provider
        fields = [
            "code",
            "name",
            "status",
            "categories",
            "introduction",
            "qualifications",
            "applied_at",
            "reviewed_at",
            "review_note",
            "rating_avg",
            "rating_count",
        ]


class ServiceOutput(serializers.ModelSerializer):
    provider = serializers.CharField(source="provider.code", read_only=True)
    provider_name = serializers.CharField(source="provider.organization.name", read_only=True)

    class Meta:
        model = ProviderService
        fields = [
            "code",
            "provider",
            "provider_name",
            "name",
            "category",
            "description",
            "price_fen",
            "unit",
            "is_active",
        ]


class ApplicationOutput(serializers.ModelSerializer):
    scheme = serializers.CharField(source="scheme.code", read_only=True)
    enterprise = serializers.CharField(source="enterprise.name", read_only=True)
    voucher = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "code",
            "scheme",
            "enterprise",
            "status",
            "requested_fen",
            "recommended_fen",
            "granted_fen",
            "purpose",
            "planned_categories",
            "controller_name",
            "submitted_at",
            "operator_reviewed_at",
            "operator_note",
            "leader_reviewed_at",
            "leader_note",
            "voucher",
        ]

    def get_voucher(self, obj: Application) -> str | None:
        voucher = getattr(obj, "voucher", None)
        return voucher.code if voucher is not None else None


class HeadroomOutput(serializers.Serializer):
    """What the caps and the budget still allow for this application (all in fen)."""

    enterprise_cap_fen = serializers.IntegerField(label=_("单户年度上限（分）"))
    enterprise_used_fen = serializers.IntegerField(label=_("该企业本批次已获（分）"))
    enterprise_left_fen = serializers.IntegerField(label=_("单户还可发（分）"))
    controller_cap_fen = serializers.IntegerField(label=_("同一实际控制人上限（分）"))
    controller_used_fen = serializers.IntegerField(label=_("同一实际控制人已获（分）"))
    controller_left_fen = serializers.IntegerField(label=_("同一实际控制人还可发（分）"))
    budget_left_fen = serializers.IntegerField(label=_("批次剩余预算（分）"))
    grantable_fen = serializers.IntegerField(label=_("本申请最多可发（分）"))


class ApplicationDetailOutput(ApplicationOutput):
    """One application, with the caps' headroom while it is being decided (null once it is)."""

    headroom = serializers.SerializerMethodField()

    class Meta(ApplicationOutput.Meta):
        fields = [*ApplicationOutput.Meta.fields, "headroom"]

    @extend_schema_field(HeadroomOutput(allow_null=True))
    def get_headroom(self, obj: Application) -> dict[str, int] | None:
        if obj.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.REVIEWED):
            return None
        room = services.headroom(
            obj.scheme, enterprise_id=obj.enterprise_id, controller_code=obj.controller_code
        )
        return room.as_dict()


class VoucherOutput(serializers.ModelSerializer):
    scheme = serializers.CharField(source="scheme.code", read_only=True)
    enterprise = serializers.CharField(source="enterprise.name", read_only=True)
    balance_fen = serializers.IntegerField(source="account.balance_fen", read_only=True)
    held_fen = serializers.IntegerField(source="account.held_fen", read_only=True)
    available_fen = serializers.IntegerField(source="account.available_fen", read_only=True)

    class Meta:
        model = Voucher
        fields = [
            "code",
            "scheme",
            "enterprise",
            "status",
            "granted_fen",
            "returned_fen",
            "balance_fen",
            "held_fen",
            "available_fen",
            "expires_on",
            "granted_at",
            "revoked_at",
            "revoke_reason",
        ]


class JournalLineOutput(serializers.ModelSerializer):
    entry = serializers.CharField(source="entry.number", read_only=True)
    kind = serializers.CharField(source="entry.kind", read_only=True)
    memo = serializers.CharField(source="entry.memo", read_only=True)
    posted_at = bounded.DateTimeField(source="entry.posted_at", read_only=True)

    class Meta:
        model = JournalLine
        fields = ["entry", "kind", "memo", "posted_at", "side", "amount_fen", "balance_after_fen"]


class OrderOutput(serializers.ModelSerializer):
    voucher = serializers.CharField(source="voucher.code", read_only=True)
    enterprise = serializers.CharField(source="enterprise.name", read_only=True)
    provider = serializers.CharField(source="provider.code", read_only=True)
    provider_name = serializers.CharField(source="provider.organization.name", read_only=True)
    service = serializers.CharField(source="service.code", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    enterprise_pays_fen = serializers.IntegerField(read_only=True)

    class Meta:
        model = ServiceOrder
        fields = [
            "code",
            "voucher",
            "enterprise",
            "provider",
            "provider_name",
            "service",
            "service_name",
            "category",
            "quantity",
            "price_fen",
            "ratio_bp",
            "voucher_fen",
            "enterprise_pays_fen",
            "redeemed_fen",
            "status",
            "note",
            "placed_at",
            "accepted_at",
            "delivered_at",
            "delivery_note",
            "confirmed_at",
            "closed_at",
            "close_reason",
        ]


class ClaimOutput(serializers.ModelSerializer):
    order = serializers.CharField(source="order.code", read_only=True)
    provider = serializers.CharField(source="provider.code", read_only=True)
    scheme = serializers.CharField(source="scheme.code", read_only=True)
    batch = serializers.CharField(source="batch.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = SettlementClaim
        fields = [
            "code",
            "order",
            "provider",
            "scheme",
            "amount_fen",
            "invoice_number",
            "invoice_amount_fen",
            "invoice_name",
            "invoice_sha256",
            "status",
            "submitted_at",
            "reviewed_at",
            "review_note",
            "batch",
            "paid_at",
        ]


class BatchOutput(serializers.ModelSerializer):
    class Meta:
        model = SettlementBatch
        fields = [
            "code",
            "period",
            "status",
            "total_fen",
            "claim_count",
            "created_at",
            "approved_at",
            "paid_at",
            "exported_at",
        ]


class CategoryUseOutput(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    orders = serializers.IntegerField()
    subsidy_fen = serializers.IntegerField()
    value_fen = serializers.IntegerField()
    leverage = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class ProviderUseOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    orders = serializers.IntegerField()
    subsidy_fen = serializers.IntegerField()
    value_fen = serializers.IntegerField()
    leverage = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    rating = serializers.FloatField(allow_null=True)


class FiguresOutput(serializers.Serializer):
    budget_fen = serializers.IntegerField()
    remaining_fen = serializers.IntegerField()
    granted_fen = serializers.IntegerField()
    returned_fen = serializers.IntegerField()
    outstanding_fen = serializers.IntegerField()
    held_fen = serializers.IntegerField()
    redeemed_fen = serializers.IntegerField()
    payable_fen = serializers.IntegerField()
    paid_fen = serializers.IntegerField()
    fund_fen = serializers.IntegerField()
    service_value_fen = serializers.IntegerField()
    leverage = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    vouchers = serializers.IntegerField()
    enterprises = serializers.IntegerField()
    orders = serializers.IntegerField()


class SchemeReportOutput(serializers.Serializer):
    scheme = SchemeOutput()
    figures = FiguresOutput()
    by_category = CategoryUseOutput(many=True)
    by_provider = ProviderUseOutput(many=True)


# --- input --------------------------------------------------------------------------------------------


class SchemeInput(CleanTextMixin, serializers.Serializer):
    name = serializers.CharField(label=_("批次名称"), max_length=100)
    year = serializers.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    description = serializers.CharField(label=_("说明"), max_length=5000, required=False, allow_blank=True)
    budget_fen = fen_serializer_field(_("预算（分）"))
    subsidy_ratio_bp = serializers.IntegerField(label=_("补贴比例（万分比）"), min_value=1, max_value=10000)
    enterprise_cap_fen = fen_serializer_field(_("单户年度上限（分）"))
    controller_cap_fen = fen_serializer_field(_("同一实际控制人上限（分）"))
    categories = serializers.ListField(
        label=_("适用服务类别"),
        child=serializers.ChoiceField(ServiceCategory.choices),
        min_length=1,
        max_length=len(ServiceCategory.choices),
    )
    apply_from = bounded.DateField(label=_("申领开始"))
    apply_until = bounded.DateField(label=_("申领截止"))
    expires_on = bounded.DateField(label=_("有效期至"))


class ProviderRegisterInput(CleanTextMixin, serializers.Serializer):
    categories = serializers.ListField(
        label=_("服务类别"),
        child=serializers.ChoiceField(ServiceCategory.choices),
        min_length=1,
        max_length=len(ServiceCategory.choices),
    )
    introduction = serializers.CharField(
        label=_("机构介绍"), max_length=5000, required=False, allow_blank=True
    )
    qualifications = serializers.CharField(
        label=_("资质说明"), max_length=2000, required=False, allow_blank=True
    )
    contact_name = serializers.CharField(label=_("联系人"), max_length=40, required=False, allow_blank=True)
    contact_phone = serializers.CharField(
        label=_("联系电话"), max_length=20, required=False, allow_blank=True
    )


class ReviewInput(CleanTextMixin, serializers.Serializer):
    approve = serializers.BooleanField(label=_("是否通过"))
    note = serializers.CharField(
        label=_("意见"), max_length=500, required=False, allow_blank=True, default=""
    )


class ApplicationReviewInput(ReviewInput):
    recommended_fen = fen_serializer_field(_("建议额度（分）"), required=False, allow_null=True)


class ServiceInput(CleanTextMixin, serializers.Serializer):
    name = serializers.CharField(label=_("服务名称"), max_length=100)
    category = serializers.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices)
    price_fen = fen_serializer_field(_("价格（分）"))
    unit = serializers.CharField(label=_("计价单位"), max_length=10, required=False, default="项")
    description = serializers.CharField(
        label=_("服务内容"), max_length=5000, required=False, allow_blank=True, default=""
    )


class ServiceUpdateInput(CleanTextMixin, serializers.Serializer):
    name = serializers.CharField(label=_("服务名称"), max_length=100, required=False)
    category = serializers.ChoiceField(label=_("服务类别"), choices=ServiceCategory.choices, required=False)
    price_fen = fen_serializer_field(_("价格（分）"), required=False)
    unit = serializers.CharField(label=_("计价单位"), max_length=10, required=False)
    description = serializers.CharField(
        label=_("服务内容"), max_length=5000, required=False, allow_blank=True
    )
    is_active = serializers.BooleanField(label=_("上架"), required=False)


class ApplicationInput(CleanTextMixin, serializers.Serializer):
    scheme = serializers.CharField(label=_("批次编号"), **CODE_FIELD)
    requested_fen = fen_serializer_field(_("申请额度（分）"))
    purpose = serializers.CharField(label=_("用途说明"), max_length=2000)
    planned_categories = serializers.ListField(
        label=_("拟使用服务类别"),
        required=False,
        default=list,
        child=serializers.ChoiceField(ServiceCategory.choices),
        max_length=len(ServiceCategory.choices),
    )
    controller_name = serializers.CharField(
        label=_("实际控制人"), max_length=80, required=False, allow_blank=True, default=""
    )
    controller_code = serializers.CharField(
        label=_("实际控制人标识"), max_length=40, required=False, allow_blank=True, default=""
    )


class DecideInput(CleanTextMixin, serializers.Serializer):
    approve = serializers.BooleanField(label=_("是否批准"))
    note = serializers.CharField(
        label=_("意见"), max_length=500, required=False, allow_blank=True, default=""
    )
    approved_fen = fen_serializer_field(
        _("批准额度（分）：不填即初审建议额度；更低时须在意见中写明原因"), required=False, allow_null=True
    )


class ReasonInput(CleanTextMixin, serializers.Serializer):
    reason = serializers.CharField(
        label=_("原因"), max_length=500, required=False, allow_blank=True, default=""
    )


class NoteInput(CleanTextMixin, serializers.Serializer):
    note = serializers.CharField(
        label=_("说明"), max_length=500, required=False, allow_blank=True, default=""
    )


class OrderInput(CleanTextMixin, serializers.Serializer):
    voucher = serializers.CharField(label=_("券号"), **CODE_FIELD)
    service = serializers.CharField(label=_("服务编号"), **CODE_FIELD)
    quantity = serializers.IntegerField(
        label=_("数量"), min_value=1, max_value=1000, required=False, default=1
    )
    note = serializers.CharField(
        label=_("需求说明"), max_length=500, required=False, allow_blank=True, default=""
    )


class RatingInput(CleanTextMixin, serializers.Serializer):
    score = serializers.IntegerField(label=_("评分"), min_value=1, max_value=5)
    comment = serializers.CharField(
        label=_("评价"), max_length=500, required=False, allow_blank=True, default=""
    )


class ClaimInput(CleanTextMixin, serializers.Serializer):
    order = serializers.CharField(label=_("订单编号"), **CODE_FIELD)
    invoice_number = serializers.CharField(label=_("发票号码"), max_length=40)
    invoice_amount_fen = fen_serializer_field(_("发票金额（分）"))
    invoice = serializers.FileField(
        label=_("发票（PDF、OFD、PNG、JPEG）"), max_length=150, allow_empty_file=False
    )


class BatchReturnInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, label=_("退回原因"))
    claims = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=1000,
        label=_("退回的结算申请编号"),
    )


class BatchInput(serializers.Serializer):
    period = bounded.DateField(label=_("结算月份（任一天）"))


def _name_components() -> None:
    """Prefix every component of this module with "Voucher" in the OpenAPI schema, so names such as
    ``ReviewInput`` never collide with another app's."""
    from drf_spectacular.utils import extend_schema_serializer

    for name, cls in list(globals().items()):
        if (
            isinstance(cls, type)
            and issubclass(cls, serializers.BaseSerializer)
            and cls.__module__ == __name__
        ):
            component = name if name.startswith("Voucher") else f"Voucher{name}"
            extend_schema_serializer(component_name=component)(cls)


_name_components()
