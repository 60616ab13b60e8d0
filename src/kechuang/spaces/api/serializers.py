"""Spaces API shapes: separate input and output serializers. Money in fen (integers); rent is fen per
m² per day. Areas are decimals with two places, sent as strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Block, Building, Organization, Park, TechnologyField

from ..choices import SpaceType
from ..models import Lease, Reservation, SpaceRequest, SpaceUnit, Viewing

MAX_AREA = Decimal(1_000_000)


def _no_nul(attrs: dict[str, Any]) -> dict[str, Any]:
    for key, value in attrs.items():
        if isinstance(value, str) and "\x00" in value:
            raise serializers.ValidationError({key: _("不能包含空字符。")})
    return attrs


class SpaceUnitOutput(serializers.ModelSerializer):
    building = serializers.SlugRelatedField(slug_field="code", read_only=True)
    building_name = serializers.CharField(source="building.name", read_only=True)
    block = serializers.SerializerMethodField()
    park = serializers.SerializerMethodField()

    class Meta:
        model = SpaceUnit
        fields = [
            "code",
            "building",
            "building_name",
            "block",
            "park",
            "unit_code",
            "floor",
            "area_m2",
            "space_type",
            "floor_load_kn_m2",
            "power_kw",
            "rent_fen_per_m2_day",
            "status",
            "vacant_since",
            "description",
            "updated_at",
        ]

    def get_block(self, obj: SpaceUnit) -> str | None:
        return obj.building.block.code if obj.building.block_id else None

    def get_park(self, obj: SpaceUnit) -> str | None:
        return obj.building.park.code if obj.building.park_id else None


class SpaceUnitInput(serializers.Serializer):
    building = serializers.SlugRelatedField(
        label=_("楼宇"), slug_field="code", queryset=Building.objects.all()
    )
    unit_code = serializers.CharField(label=_("单元号"), max_length=32)
    floor = serializers.IntegerField(label=_("楼层"), min_value=-10, max_value=200)
    area_m2 = serializers.DecimalField(
        label=_("面积（㎡）"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AREA
    )
    space_type = serializers.ChoiceField(label=_("类型"), choices=SpaceType.choices)
    rent_fen_per_m2_day = serializers.IntegerField(
        label=_("租金（分/㎡·天）"), min_value=0, max_value=100_000
    )
    floor_load_kn_m2 = serializers.DecimalField(
        label=_("楼面承重"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        required=False,
        allow_null=True,
    )
    power_kw = serializers.IntegerField(
        label=_("供电容量"), min_value=0, max_value=1_000_000, required=False, allow_null=True
    )
    description = serializers.CharField(label=_("说明"), max_length=500, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class SpaceUnitUpdateInput(SpaceUnitInput):
    building = None  # type: ignore[assignment]
    unit_code = None  # type: ignore[assignment]


class ReserveInput(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        label=_("企业"), queryset=Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
    )
    start_date = bounded.DateField(label=_("起始日"))
    end_date = bounded.DateField(label=_("截止日"))
    request = serializers.SlugRelatedField(
        label=_("用房需求"),
        slug_field="code",
        queryset=SpaceRequest.objects.all(),
        required=False,
        allow_null=True,
    )


class LeaseInput(serializers.Serializer):
    reservation = serializers.SlugRelatedField(
        label=_("预订"),
        slug_field="code",
        queryset=Reservation.objects.all(),
        required=False,
        allow_null=True,
    )
    organization = serializers.PrimaryKeyRelatedField(
        label=_("企业"),
        queryset=Organization.objects.filter(kind=OrganizationKind.ENTERPRISE),
        required=False,
        allow_null=True,
    )
    start_date = bounded.DateField(label=_("起租日"))
    end_date = bounded.DateField(label=_("到期日"))
    rent_fen_per_m2_day = serializers.IntegerField(
        label=_("租金（分/㎡·天）"), min_value=0, max_value=100_000, required=False, allow_null=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("reservation") and not attrs.get("organization"):
            raise serializers.ValidationError({"organization": _("请指定预订或承租企业。")})
        return attrs


class ReleaseInput(serializers.Serializer):
    lease = serializers.CharField(label=_("租约编号"), max_length=16)
    free_from = bounded.DateField(label=_("腾退日"), required=False, allow_null=True)


class ReservationOutput(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    request = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "code",
            "unit",
            "organization",
            "organization_name",
            "request",
            "start_date",
            "end_date",
            "status",
            "created_at",
        ]


class LeaseOutput(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    reservation = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)

    class Meta:
        model = Lease
        fields = [
            "code",
            "unit",
            "organization",
            "organization_name",
            "reservation",
            "start_date",
            "end_date",
            "contract_end_date",
            "rent_fen_per_m2_day",
            "signed_on",
            "status",
        ]


class SpaceRequestOutput(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    block = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    park = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = SpaceRequest
        fields = [
            "code",
            "organization",
            "organization_name",
            "title",
            "space_type",
            "area_min_m2",
            "area_max_m2",
            "budget_fen_per_m2_day",
            "move_in_by",
            "lease_months",
            "min_floor_load_kn_m2",
            "min_power_kw",
            "block",
            "park",
            "fields",
            "special_needs",
            "status",
            "created_at",
        ]


class SpaceRequestInput(serializers.Serializer):
    title = serializers.CharField(label=_("标题"), max_length=120)
    space_type = serializers.ChoiceField(
        label=_("类型"), choices=[("", _("不限")), *SpaceType.choices], required=False, allow_blank=True
    )
    area_min_m2 = serializers.DecimalField(
        label=_("最小面积"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AREA
    )
    area_max_m2 = serializers.DecimalField(
        label=_("最大面积"), max_digits=9, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AREA
    )
    budget_fen_per_m2_day = serializers.IntegerField(
        label=_("租金预算上限（分/㎡·天）"), min_value=0, max_value=100_000, required=False, allow_null=True
    )
    move_in_by = bounded.DateField(label=_("期望入驻日期"), required=False, allow_null=True)
    lease_months = serializers.IntegerField(
        label=_("租期（月）"), min_value=1, max_value=240, required=False, allow_null=True
    )
    min_floor_load_kn_m2 = serializers.DecimalField(
        label=_("承重要求"),
        max_digits=6,
        decimal_places=1,
        min_value=Decimal(0),
        max_value=Decimal(1000),
        required=False,
        allow_null=True,
    )
    min_power_kw = serializers.IntegerField(
        label=_("用电要求"), min_value=0, max_value=1_000_000, required=False, allow_null=True
    )
    block = serializers.SlugRelatedField(
        label=_("意向板块"), slug_field="code", queryset=Block.objects.all(), required=False, allow_null=True
    )
    park = serializers.SlugRelatedField(
        label=_("意向园区"), slug_field="code", queryset=Park.objects.all(), required=False, allow_null=True
    )
    fields = serializers.SlugRelatedField(
        label=_("产业领域"),
        slug_field="code",
        many=True,
        required=False,
        queryset=TechnologyField.objects.all(),
    )
    special_needs = serializers.CharField(
        label=_("特殊需求"), max_length=2000, required=False, allow_blank=True
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _no_nul(attrs)
        if attrs["area_max_m2"] < attrs["area_min_m2"]:
            raise serializers.ValidationError({"area_max_m2": _("最大面积不能小于最小面积。")})
        return attrs


class MatchOutput(serializers.Serializer):
    """A matched unit. Units meeting every stated hard requirement come first, best first; those failing
    one (``meets_requirements`` false, ``fails`` says what) follow, never above them."""

    unit = SpaceUnitOutput()
    meets_requirements = serializers.BooleanField()
    score = serializers.IntegerField(help_text=_("匹配分，满分为 score_scale"))
    score_scale = serializers.IntegerField(help_text=_("本需求可得的满分（需求写明的各项之和）"))
    score_percent = serializers.IntegerField(help_text=_("匹配度，0–100"))
    score_label = serializers.CharField(
        help_text=_("非常合适（≥85）、比较合适（≥65）、可以考虑；未满足硬性要求")
    )
    reasons = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    fails = serializers.ListField(child=serializers.CharField(), help_text=_("未满足的硬性要求"))


class ViewingInput(serializers.Serializer):
    unit = serializers.SlugRelatedField(label=_("房源"), slug_field="code", queryset=SpaceUnit.objects.all())
    scheduled_at = bounded.DateTimeField(label=_("看房时间"))
    note = serializers.CharField(label=_("备注"), max_length=300, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class ViewingOutput(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    request = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Viewing
        fields = ["code", "unit", "request", "organization", "scheduled_at", "note", "status", "created_at"]


class VacancyPlaceOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    units = serializers.IntegerField()
    vacant_units = serializers.IntegerField()
    area_m2 = serializers.CharField()
    vacant_area_m2 = serializers.CharField()
    vacancy_rate = serializers.FloatField(allow_null=True)


class VacancyOutput(serializers.Serializer):
    on = bounded.DateField()
    units = serializers.IntegerField()
    vacant_units = serializers.IntegerField()
    area_m2 = serializers.CharField()
    vacant_area_m2 = serializers.CharField()
    vacancy_rate = serializers.FloatField(allow_null=True, help_text=_("空置面积 ÷ 总面积（%）"))
    area_let_this_year_m2 = serializers.CharField()
    leases_this_year = serializers.IntegerField()
    average_days_to_let = serializers.FloatField(allow_null=True)
    blocks = VacancyPlaceOutput(many=True)
    parks = VacancyPlaceOutput(many=True)
