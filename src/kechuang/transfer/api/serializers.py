"""Transfer API shapes: separate input and output serializers. Money is integer fen; contact details
are present only for those who may see them (docs/reliability.md D1)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.money import MAX_FEN
from kechuang.directory.models import Organization, TechnologyField

from ..choices import (
    AchievementStatus,
    ContractType,
    CooperationMode,
    DealStage,
    DemandStatus,
    IPKind,
    Visibility,
)
from ..models import Achievement, ContractRegistration, Deal, DealNote, Demand, Interest
from ..permissions import can_view_contact


def _no_nul(attrs: dict[str, Any]) -> dict[str, Any]:
    for key, value in attrs.items():
        if isinstance(value, str) and "\x00" in value:
            raise serializers.ValidationError({key: _("不能包含空字符。")})
    return attrs


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "kind"]


class ContactSerializer(serializers.Serializer):
    contact_name = serializers.CharField()
    contact_phone = serializers.CharField()
    contact_email = serializers.CharField()


class ListingOutputMixin(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)
    fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    contact = serializers.SerializerMethodField()

    @extend_schema_field(ContactSerializer(allow_null=True))
    def get_contact(self, obj: Any) -> dict[str, str] | None:
        """Only for the owner, operators and organizations whose interest the owner accepted."""
        if not self.context.get("with_contact"):
            return None
        request = self.context.get("request")
        if request is None or not can_view_contact(request.user, obj):
            return None
        return {
            "contact_name": obj.contact_name,
            "contact_phone": obj.contact_phone,
            "contact_email": obj.contact_email,
        }


COMMON_OUT = [
    "code",
    "title",
    "summary",
    "organization",
    "fields",
    "keywords",
    "visibility",
    "status",
    "published_at",
    "created_at",
    "updated_at",
    "contact",
]


class AchievementOutput(ListingOutputMixin):
    class Meta:
        model = Achievement
        fields = [
            *COMMON_OUT,
            "problem_solved",
            "advantages",
            "scenarios",
            "trl",
            "ip_kinds",
            "ip_details",
            "transfer_modes",
            "asking_price_fen",
            "asking_terms",
            "team",
        ]


class DemandOutput(ListingOutputMixin):
    class Meta:
        model = Demand
        fields = [
            *COMMON_OUT,
            "current_state",
            "target_indicators",
            "trl_required",
            "budget_min_fen",
            "budget_max_fen",
            "deadline",
            "cooperation_modes",
        ]


def _text(label: Any, max_length: int, *, required: bool = False, min_length: int | None = None) -> Any:
    return serializers.CharField(
        label=label, max_length=max_length, required=required, allow_blank=not required, min_length=min_length
    )


class ListingInputMixin(serializers.Serializer):
    title = serializers.CharField(label=_("标题"), min_length=4, max_length=120)
    summary = serializers.CharField(label=_("简介"), min_length=10, max_length=4000)
    fields = serializers.SlugRelatedField(
        label=_("技术领域"),
        slug_field="code",
        many=True,
        required=False,
        queryset=TechnologyField.objects.all(),
    )
    keywords = _text(_("关键词"), 200)
    visibility = serializers.ChoiceField(label=_("公开范围"), choices=Visibility.choices, required=False)
    contact_name = _text(_("联系人"), 40)
    contact_phone = _text(_("联系电话"), 20)
    contact_email = serializers.EmailField(
        label=_("联系邮箱"), required=False, allow_blank=True, max_length=254
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class AchievementInput(ListingInputMixin):
    problem_solved = _text(_("解决的问题"), 4000)
    advantages = _text(_("技术优势"), 4000)
    scenarios = _text(_("应用场景"), 4000)
    trl = serializers.IntegerField(label=_("技术成熟度"), min_value=1, max_value=9)
    ip_kinds = serializers.ListField(
        label=_("知识产权类型"), child=serializers.ChoiceField(IPKind.choices), required=False, max_length=10
    )
    ip_details = _text(_("知识产权说明"), 2000)
    transfer_modes = serializers.ListField(
        label=_("转化方式"),
        child=serializers.ChoiceField(CooperationMode.choices),
        required=False,
        max_length=10,
    )
    asking_price_fen = serializers.IntegerField(
        label=_("意向价格（分）"), min_value=0, max_value=MAX_FEN, required=False, allow_null=True
    )
    asking_terms = _text(_("交易条件"), 500)
    team = _text(_("研发团队"), 2000)


class DemandInput(ListingInputMixin):
    current_state = _text(_("现状"), 4000)
    target_indicators = _text(_("目标指标"), 4000)
    trl_required = serializers.IntegerField(
        label=_("期望成熟度"), min_value=1, max_value=9, required=False, allow_null=True
    )
    budget_min_fen = serializers.IntegerField(
        label=_("预算下限（分）"), min_value=0, max_value=MAX_FEN, required=False, allow_null=True
    )
    budget_max_fen = serializers.IntegerField(
        label=_("预算上限（分）"), min_value=0, max_value=MAX_FEN, required=False, allow_null=True
    )
    deadline = bounded.DateField(label=_("期望完成日期"), required=False, allow_null=True)
    cooperation_modes = serializers.ListField(
        label=_("合作方式"),
        child=serializers.ChoiceField(CooperationMode.choices),
        required=False,
        max_length=10,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        low, high = attrs.get("budget_min_fen"), attrs.get("budget_max_fen")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError({"budget_max_fen": _("预算上限不能低于预算下限。")})
        return attrs


class TransitionInput(serializers.Serializer):
    target = serializers.ChoiceField(
        label=_("目标状态"), choices=sorted(set(AchievementStatus.values) | set(DemandStatus.values))
    )
    note = serializers.CharField(label=_("说明"), max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class ReviewInput(serializers.Serializer):
    approve = serializers.BooleanField(label=_("通过"))
    note = serializers.CharField(label=_("审核意见"), max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class InterestInput(serializers.Serializer):
    message = serializers.CharField(label=_("意向说明"), min_length=5, max_length=2000)
    contact_name = _text(_("联系人"), 40)
    contact_phone = _text(_("联系电话"), 20)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class InterestCreateInput(InterestInput):
    achievement = serializers.CharField(label=_("成果编号"), max_length=32, required=False, allow_blank=True)
    demand = serializers.CharField(label=_("需求编号"), max_length=32, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if bool(attrs.get("achievement")) == bool(attrs.get("demand")):
            raise serializers.ValidationError({"non_field_errors": [_("请指定一个成果编号或一个需求编号。")]})
        return attrs


class RespondInput(serializers.Serializer):
    note = serializers.CharField(label=_("回复"), max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class ListingRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()


class InterestOutput(serializers.ModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)
    listing = serializers.SerializerMethodField()
    listing_kind = serializers.SerializerMethodField()

    class Meta:
        model = Interest
        fields = [
            "code",
            "listing_kind",
            "listing",
            "organization",
            "message",
            "contact_name",
            "contact_phone",
            "status",
            "response_note",
            "responded_at",
            "created_at",
        ]

    @extend_schema_field(ListingRefSerializer)
    def get_listing(self, obj: Interest) -> dict[str, str]:
        listing = obj.listing
        return {"code": listing.code, "title": listing.title}

    @extend_schema_field(serializers.ChoiceField(choices=["achievement", "demand"]))
    def get_listing_kind(self, obj: Interest) -> str:
        return "achievement" if obj.achievement_id else "demand"


class DealNoteOutput(serializers.ModelSerializer):
    author = serializers.CharField(read_only=True, allow_null=True)
    kind = serializers.CharField(help_text="note 备注 / stage 阶段变更 / system 系统")
    from_stage = serializers.CharField(help_text="原阶段（阶段变更时）")
    to_stage = serializers.CharField(help_text="新阶段（阶段变更时）")

    class Meta:
        model = DealNote
        fields = ["kind", "text", "from_stage", "to_stage", "author", "created_at"]


class DealOutput(serializers.ModelSerializer):
    supplier = OrganizationRefSerializer(read_only=True)
    buyer = OrganizationRefSerializer(read_only=True)
    owner = serializers.CharField(read_only=True, allow_null=True)
    achievement = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    demand = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Deal
        fields = [
            "code",
            "title",
            "stage",
            "supplier",
            "buyer",
            "achievement",
            "demand",
            "owner",
            "next_step",
            "next_step_due",
            "expected_amount_fen",
            "stage_changed_at",
            "created_at",
            "updated_at",
        ]


class DealCreateInput(serializers.Serializer):
    title = serializers.CharField(label=_("项目名称"), min_length=2, max_length=160)
    supplier = serializers.PrimaryKeyRelatedField(label=_("技术供给方"), queryset=Organization.objects.all())
    buyer = serializers.PrimaryKeyRelatedField(label=_("技术需求方"), queryset=Organization.objects.all())
    achievement = serializers.SlugRelatedField(
        label=_("成果编号"),
        slug_field="code",
        required=False,
        allow_null=True,
        queryset=Achievement.objects.all(),
    )
    demand = serializers.SlugRelatedField(
        label=_("需求编号"), slug_field="code", required=False, allow_null=True, queryset=Demand.objects.all()
    )
    next_step = _text(_("下一步"), 200)
    next_step_due = bounded.DateField(label=_("下一步期限"), required=False, allow_null=True)
    expected_amount_fen = serializers.IntegerField(
        label=_("预计金额（分）"), min_value=0, max_value=MAX_FEN, required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class DealAdvanceInput(serializers.Serializer):
    stage = serializers.ChoiceField(label=_("阶段"), choices=DealStage.choices)
    note = serializers.CharField(label=_("说明"), max_length=2000, required=False, allow_blank=True)
    next_step = serializers.CharField(label=_("下一步"), max_length=200, required=False, allow_blank=True)
    next_step_due = bounded.DateField(label=_("下一步期限"), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class DealNoteInput(serializers.Serializer):
    text = serializers.CharField(label=_("记录"), max_length=2000)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class ContractOutput(serializers.ModelSerializer):
    seller = OrganizationRefSerializer(read_only=True)
    buyer = OrganizationRefSerializer(read_only=True)
    deal = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ContractRegistration
        fields = [
            "code",
            "registration_number",
            "contract_type",
            "title",
            "deal",
            "seller",
            "buyer",
            "signed_on",
            "contract_amount_fen",
            "technology_amount_fen",
            "note",
            "registered_at",
        ]


class ContractInput(serializers.Serializer):
    contract_type = serializers.ChoiceField(label=_("合同类型"), choices=ContractType.choices)
    title = serializers.CharField(label=_("合同名称"), min_length=2, max_length=160)
    seller = serializers.PrimaryKeyRelatedField(label=_("卖方"), queryset=Organization.objects.all())
    buyer = serializers.PrimaryKeyRelatedField(label=_("买方"), queryset=Organization.objects.all())
    signed_on = bounded.DateField(label=_("签订日期"))
    contract_amount_fen = serializers.IntegerField(
        label=_("合同成交额（分）"), min_value=1, max_value=MAX_FEN
    )
    technology_amount_fen = serializers.IntegerField(
        label=_("技术交易额（分）"), min_value=0, max_value=MAX_FEN
    )
    registration_number = serializers.CharField(
        label=_("登记号"), max_length=32, required=False, allow_blank=True
    )
    deal = serializers.CharField(label=_("对接项目编号"), max_length=32, required=False, allow_blank=True)
    note = _text(_("备注"), 500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()
    weight = serializers.FloatField()
    positive = serializers.BooleanField()


class MatchSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="achievement / demand / organization / expert")
    ref = serializers.CharField(help_text="成果/需求编号，或机构、专家的 id")
    title = serializers.CharField()
    organization = serializers.CharField(allow_blank=True)
    score = serializers.FloatField()
    matched_terms = serializers.ListField(child=serializers.CharField())
    reasons = ReasonSerializer(many=True)
    tier = serializers.CharField(help_text="校准后的相关度档位：strong / medium / weak")
    tier_label = serializers.CharField(help_text="强 / 中 / 弱")
    relevance = serializers.FloatField(help_text="校准后的相关度（0–1，按评测集校准的估计）")


class SearchOutput(serializers.Serializer):
    query = serializers.CharField()
    results = MatchSerializer(many=True)


class RecommendationsOutput(serializers.Serializer):
    primary = MatchSerializer(many=True, help_text="需求→成果；成果→需求")
    organizations = MatchSerializer(many=True)
    experts = MatchSerializer(many=True)


def match_data(match: Any) -> dict[str, Any]:
    obj = match.obj
    ref = getattr(obj, "code", None) or str(obj.pk)
    title = getattr(obj, "title", None) or getattr(obj, "name", "")
    org = getattr(obj, "organization", None) or getattr(obj, "issuer", None) or getattr(obj, "owner", None)
    return {
        "kind": match.kind,
        "ref": ref,
        "title": title,
        "organization": org.name if isinstance(org, Organization) else "",
        "score": round(match.score, 4),
        "matched_terms": match.matched_terms,
        "reasons": match.reasons,
        "tier": match.tier,
        "tier_label": match.tier_label,
        "relevance": round(match.relevance, 4),
    }
