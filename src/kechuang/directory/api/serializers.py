"""Directory API shapes: separate input and output serializers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kechuang.api import fields as bounded

from .. import uscc as uscc_rules
from ..choices import OrganizationKind, Qualification, SizeBand
from ..models import Block, Building, Industry, Line, Organization, Park, Person, TechnologyField
from ..presenters import phone_for


class TechnologyFieldSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = TechnologyField
        fields = ["code", "name", "name_en", "parent", "keywords"]


class BlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = Block
        fields = ["code", "name", "theme", "description", "shape", "color"]


class ParkSerializer(serializers.ModelSerializer):
    block = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    institute = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    institute_name = serializers.CharField(source="institute.name", read_only=True, default="")

    class Meta:
        model = Park
        fields = ["code", "name", "block", "institute", "institute_name", "theme", "description", "x", "y"]


class LineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Line
        fields = ["code", "name", "roads", "description", "path"]


class BuildingSerializer(serializers.ModelSerializer):
    park = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    block = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Building
        fields = ["code", "name", "park", "block", "address", "use", "floors", "gross_area_m2", "x", "y"]


class OrganizationOutput(serializers.ModelSerializer):
    # Nullable relations say so, or the schema promises a string where the answer is null (K1).
    block = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    park = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    industry = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    contact_phone = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "name",
            "short_name",
            "uscc",
            "industry",
            "fields",
            "qualifications",
            "block",
            "park",
            "address",
            "size_band",
            "is_key",
            "founded_on",
            "researchers",
            "description",
            "website",
            "contact_name",
            "contact_phone",
            "created_at",
            "updated_at",
        ]

    def get_contact_phone(self, obj: Organization) -> str:
        return phone_for(self.context["request"].user, obj.contact_phone, obj.pk)


class OrganizationInput(serializers.Serializer):
    kind = serializers.ChoiceField(label=_("类型"), choices=OrganizationKind.choices)
    name = serializers.CharField(label=_("名称"), max_length=120)
    short_name = serializers.CharField(label=_("简称"), max_length=40, required=False, allow_blank=True)
    uscc = serializers.CharField(
        label=_("统一社会信用代码"), max_length=40, required=False, allow_blank=True, allow_null=True
    )
    industry = serializers.SlugRelatedField(
        label=_("所属行业"),
        slug_field="code",
        queryset=Industry.objects.all(),
        required=False,
        allow_null=True,
    )
    fields = serializers.SlugRelatedField(
        label=_("技术领域"),
        slug_field="code",
        many=True,
        required=False,
        queryset=TechnologyField.objects.all(),
    )
    qualifications = serializers.ListField(
        label=_("资质"), required=False, child=serializers.ChoiceField(Qualification.choices)
    )
    block = serializers.SlugRelatedField(
        label=_("所在板块"), slug_field="code", queryset=Block.objects.all(), required=False, allow_null=True
    )
    park = serializers.SlugRelatedField(
        label=_("所在园区"), slug_field="code", queryset=Park.objects.all(), required=False, allow_null=True
    )
    address = serializers.CharField(label=_("地址"), max_length=200, required=False, allow_blank=True)
    size_band = serializers.ChoiceField(
        label=_("规模"), choices=SizeBand.choices, required=False, allow_blank=True
    )
    is_key = serializers.BooleanField(label=_("重点企业"), required=False)
    founded_on = bounded.DateField(label=_("成立日期"), required=False, allow_null=True)
    researchers = serializers.IntegerField(
        label=_("科研人员数"), min_value=0, max_value=1_000_000, required=False
    )
    description = serializers.CharField(label=_("简介"), max_length=5000, required=False, allow_blank=True)
    website = serializers.URLField(label=_("网站"), max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(label=_("联系人"), max_length=40, required=False, allow_blank=True)
    contact_phone = serializers.CharField(
        label=_("联系电话"), max_length=20, required=False, allow_blank=True
    )

    def validate_uscc(self, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return uscc_rules.validate(value)
        except uscc_rules.USCCError as error:
            raise serializers.ValidationError(str(error)) from error

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for key, value in attrs.items():
            if isinstance(value, str) and "\x00" in value:
                raise serializers.ValidationError({key: _("不能包含空字符。")})
        return attrs


class PersonOutput(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True, default="")
    fields = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "organization",
            "organization_name",
            "position",
            "title",
            "fields",
            "expertise",
            "is_expert",
            "is_academician",
            "is_researcher",
            "phone",
        ]

    def get_phone(self, obj: Person) -> str:
        return phone_for(self.context["request"].user, obj.phone, obj.organization_id)
