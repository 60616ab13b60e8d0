"""Investment API shapes: separate input and output serializers. Money in fen (integers). A lead's
confidential fields (planned investment, terms) are ``null`` for staff who are not its leader, case
officer or an operator (docs/adr/0026-investment-attraction.md)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.money import MAX_FEN
from kechuang.directory.models import Block, TechnologyField
from kechuang.servicedesk.choices import Department, RequestCategory
from kechuang.spaces.choices import SpaceType

from ..choices import LeadSource, LeadStage, LostReason, ProjectStatus
from ..models import KeyProject, Lead, Milestone, ProjectIssue, StageEvidence
from ..services import LeadInput


def _no_nul(attrs: dict[str, Any]) -> dict[str, Any]:
    for key, value in attrs.items():
        if isinstance(value, str) and "\x00" in value:
            raise serializers.ValidationError({key: _("不能包含空字符。")})
    return attrs


class ErrorDetail(serializers.Serializer):
    detail = serializers.CharField()


class EvidenceOutput(serializers.ModelSerializer):
    lease = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = StageEvidence
        fields = ["stage", "kind", "note", "uscc", "lease", "amount_fen", "recorded_at"]


class LeadOutput(serializers.ModelSerializer):
    cluster = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    block = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    leader = serializers.SerializerMethodField()
    case_officer = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    planned_investment_fen = serializers.SerializerMethodField()
    terms = serializers.SerializerMethodField()
    confidential = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "code",
            "source",
            "source_detail",
            "name",
            "uscc",
            "cluster",
            "block",
            "jobs",
            "space_area_m2",
            "space_type",
            "power_kw",
            "asks_policy",
            "asks_talent",
            "asks_financing",
            "is_key",
            "stage",
            "stage_entered_at",
            "closed_reason_code",
            "closed_reason",
            "leader",
            "case_officer",
            "organization",
            "received_at",
            "acknowledge_due_at",
            "assessment_due_at",
            "feedback_due_at",
            "update_due_at",
            "confidential",
            "planned_investment_fen",
            "terms",
        ]

    def _sees(self, obj: Lead) -> bool:
        visible = self.context.get("confidential")
        return visible is not None and obj.pk in visible

    def get_confidential(self, obj: Lead) -> bool:
        return self._sees(obj)

    def get_planned_investment_fen(self, obj: Lead) -> int | None:
        return obj.planned_investment_fen if self._sees(obj) else None

    def get_terms(self, obj: Lead) -> str | None:
        return obj.terms if self._sees(obj) else None

    def get_leader(self, obj: Lead) -> str | None:
        return obj.leader.username if obj.leader_id else None

    def get_case_officer(self, obj: Lead) -> str | None:
        return obj.case_officer.username if obj.case_officer_id else None

    def get_organization(self, obj: Lead) -> int | None:
        return obj.organization_id


class LeadInputSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=LeadSource.choices)
    name = serializers.CharField(max_length=120)
    source_detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    uscc = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    cluster = serializers.SlugRelatedField(
        slug_field="code",
        queryset=TechnologyField.objects.filter(parent__isnull=True),
        required=False,
        allow_null=True,
    )
    block = serializers.SlugRelatedField(
        slug_field="code", queryset=Block.objects.all(), required=False, allow_null=True
    )
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    planned_investment_fen = serializers.IntegerField(
        min_value=0, max_value=MAX_FEN, required=False, default=0
    )
    jobs = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, default=0)
    space_area_m2 = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(1_000_000),
        required=False,
        allow_null=True,
    )
    space_type = serializers.ChoiceField(
        choices=[("", ""), *list(SpaceType.choices)], required=False, default=""
    )
    power_kw = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, allow_null=True)
    asks_policy = serializers.BooleanField(required=False, default=False)
    asks_talent = serializers.BooleanField(required=False, default=False)
    asks_financing = serializers.BooleanField(required=False, default=False)
    asks_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    terms = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    is_key = serializers.BooleanField(required=False, default=False)
    allow_duplicate = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)

    def lead_input(self) -> LeadInput:
        data = dict(self.validated_data)
        data.pop("allow_duplicate", None)
        return LeadInput(**data)


class AdvanceInput(serializers.Serializer):
    note = serializers.CharField(max_length=4000, allow_blank=True)
    uscc = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    commissioner = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", help_text="服务专员的用户名（注册时）"
    )
    amount_fen = serializers.IntegerField(min_value=1, max_value=MAX_FEN, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class CloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[(LeadStage.LOST, LeadStage.LOST.label), (LeadStage.WITHDRAWN, LeadStage.WITHDRAWN.label)]
    )
    reason_code = serializers.ChoiceField(choices=LostReason.choices, help_text="原因（固定列表）")
    reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="原因说明（“其他”时必填）"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class RecordInput(serializers.Serializer):
    text = serializers.CharField(max_length=4000)
    feedback = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class AssignInput(serializers.Serializer):
    leader = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    case_officer = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class MilestoneOutput(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "due_on", "done_on"]


class MilestoneInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_on = bounded.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class MilestoneDoneInput(serializers.Serializer):
    done_on = bounded.DateField(required=False, allow_null=True)


class KeyProjectOutput(serializers.ModelSerializer):
    leader = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    lead = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    milestones = MilestoneOutput(many=True, read_only=True)

    class Meta:
        model = KeyProject
        fields = [
            "code",
            "name",
            "organization",
            "lead",
            "leader",
            "departments",
            "planned_investment_fen",
            "status",
            "milestones",
        ]

    def get_leader(self, obj: KeyProject) -> str:
        return str(obj.leader.username)

    def get_organization(self, obj: KeyProject) -> int | None:
        return obj.organization_id


class StatusReportInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=ProjectStatus.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class IssueInput(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    department = serializers.ChoiceField(choices=[("", ""), *Department.choices], required=False, default="")
    service_request = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    file_request_category = serializers.ChoiceField(
        choices=[("", ""), *RequestCategory.choices], required=False, default=""
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class IssueOutput(serializers.ModelSerializer):
    service_request = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = ProjectIssue
        fields = ["text", "department", "service_request", "raised_at", "resolved_at", "resolution"]
