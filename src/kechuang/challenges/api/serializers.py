"""Challenge API shapes: separate input and output serializers. Money is integer fen (``*_fen``); public
references are codes (JB-2026-0001), never integer keys. Scores appear only where the blind-scoring
queryset allows (a reviewer's own while the panel is open; all of them to staff and members after)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.money import fen_serializer_field
from kechuang.core.text import CleanTextMixin

from .. import permissions as perms
from ..models import Application, ApplicationAttachment, Award, Challenge, Milestone, Score


class ChErrorOutput(serializers.Serializer):
    detail = serializers.CharField(required=False)


# --- output -------------------------------------------------------------------------------------------


class ChallengeOutput(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer.name")
    budget_fen = serializers.IntegerField()
    field_codes = serializers.SerializerMethodField()
    application_count = serializers.SerializerMethodField()

    class Meta:
        model = Challenge
        fields = [
            "code",
            "title",
            "issuer",
            "issuer_kind",
            "status",
            "status_reason",
            "problem",
            "indicators",
            "issuer_fen",
            "subsidy_fen",
            "budget_fen",
            "deadline",
            "ip_terms",
            "eligibility",
            "max_winners",
            "field_codes",
            "application_count",
            "published_at",
            "awarded_at",
        ]

    def get_field_codes(self, obj: Challenge) -> list[str]:
        return [f.code for f in obj.fields.all()]

    def get_application_count(self, obj: Challenge) -> int:
        count = getattr(obj, "application_count", None)
        if count is None:
            count = obj.applications.exclude(status="withdrawn").count()
        return int(count)


class ChAttachmentOutput(serializers.ModelSerializer):
    class Meta:
        model = ApplicationAttachment
        fields = ["token", "original_name", "kind_label", "size", "sha256", "uploaded_at"]


class ChApplicationOutput(serializers.ModelSerializer):
    challenge = serializers.CharField(source="challenge.code")
    organization = serializers.CharField(source="organization.name")
    score = serializers.SerializerMethodField()
    attachments = ChAttachmentOutput(many=True, read_only=True)

    class Meta:
        model = Application
        fields = [
            "code",
            "challenge",
            "organization",
            "team",
            "plan",
            "milestones",
            "budget_fen",
            "status",
            "rank",
            "score",
            "decision_reason",
            "submitted_at",
            "attachments",
        ]

    def get_score(self, obj: Application) -> float | None:
        return obj.score


class ChScoreOutput(serializers.ModelSerializer):
    expert = serializers.CharField(source="member.expert.name")
    application = serializers.CharField(source="application.code")
    total = serializers.SerializerMethodField()

    class Meta:
        model = Score
        fields = ["expert", "application", "values", "total", "comment", "submitted_at"]

    def get_total(self, obj: Score) -> float:
        return obj.total_x100 / 100


class ChCriterionSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False)
    name = serializers.CharField(max_length=40)
    weight = serializers.IntegerField(min_value=1, max_value=100)


class ChRankingRow(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    application = serializers.CharField()
    organization = serializers.CharField()
    score = serializers.FloatField(allow_null=True)


class ChPanelOutput(serializers.Serializer):
    challenge = serializers.CharField()
    status = serializers.CharField()
    criteria = ChCriterionSerializer(many=True)
    members = serializers.ListField(child=serializers.CharField())
    scored = serializers.IntegerField(help_text="已提交的评分份数（只是数量，不含分值）")
    expected = serializers.IntegerField()
    scores = ChScoreOutput(many=True)
    ranking = ChRankingRow(many=True)


class ChMilestoneOutput(serializers.ModelSerializer):
    award = serializers.CharField(source="award.code")
    paid_at = serializers.SerializerMethodField()

    class Meta:
        model = Milestone
        fields = [
            "code",
            "award",
            "sequence",
            "title",
            "criteria",
            "due_on",
            "amount_fen",
            "status",
            "delivered_at",
            "accepted_at",
            "requested_at",
            "paid_at",
        ]

    def get_paid_at(self, obj: Milestone) -> Any:
        payment = getattr(obj, "payment", None)
        return bounded.DateTimeField().to_representation(payment.paid_at) if payment else None


class ChAwardOutput(serializers.ModelSerializer):
    challenge = serializers.CharField(source="challenge.code")
    organization = serializers.CharField(source="application.organization.name")
    application = serializers.CharField(source="application.code")
    task_book = serializers.SerializerMethodField()
    paid_fen = serializers.SerializerMethodField()
    milestones = serializers.SerializerMethodField()

    class Meta:
        model = Award
        fields = [
            "code",
            "challenge",
            "application",
            "organization",
            "amount_fen",
            "paid_fen",
            "status",
            "task_book",
            "signed_at",
            "accepted_at",
            "milestones",
        ]

    def get_task_book(self, obj: Award) -> str | None:
        user = self.context.get("user")
        if (
            perms.is_staff_reader(user)
            or perms.is_issuer_member(user, obj.challenge)
            or perms.is_solver(user, obj)
        ):
            return obj.task_book
        return None

    def get_paid_fen(self, obj: Award) -> int:
        return sum(m.amount_fen for m in obj.milestones.all() if m.status == "paid")

    def get_milestones(self, obj: Award) -> list[dict[str, Any]]:
        return ChMilestoneOutput(
            obj.milestones.order_by("sequence").select_related("payment", "award"), many=True
        ).data


class ChCandidateOutput(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())


# --- input --------------------------------------------------------------------------------------------


class ChallengeInput(CleanTextMixin, serializers.Serializer):
    title = serializers.CharField(max_length=120)
    problem = serializers.CharField(max_length=5000)
    indicators = serializers.CharField(max_length=3000)
    issuer_fen = fen_serializer_field(min_value=0)
    subsidy_fen = fen_serializer_field(min_value=0)
    deadline = bounded.DateField()
    ip_terms = serializers.CharField(max_length=2000)
    eligibility = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    max_winners = serializers.IntegerField(min_value=1, max_value=10, required=False)
    fields = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=10)


class ChallengeUpdateInput(ChallengeInput):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class ChReviewInput(CleanTextMixin, serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ChReasonInput(CleanTextMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ChApplicationInput(CleanTextMixin, serializers.Serializer):
    team = serializers.CharField(max_length=3000)
    plan = serializers.CharField(max_length=10000)
    milestones = serializers.CharField(max_length=3000)
    budget_fen = fen_serializer_field(min_value=1)
    co_applicants = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=10,
        help_text="联合申报单位（机构编号）",
    )
    team_members = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=50,
        help_text="团队成员（人员编号）",
    )


class ChAttachmentInput(serializers.Serializer):
    file = serializers.FileField()


class ChScoreInput(CleanTextMixin, serializers.Serializer):
    values = serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=100))
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True)

    def validate_values(self, value: dict[str, int]) -> dict[str, int]:
        if len(value) > 10:
            raise serializers.ValidationError(_("评审指标不超过 10 项。"))
        return value


class ChPanelInput(serializers.Serializer):
    experts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=15
    )
    criteria = ChCriterionSerializer(many=True, required=False)


class ChAwardInput(serializers.Serializer):
    winners = serializers.ListField(child=serializers.CharField(max_length=20), min_length=1, max_length=10)
    amounts = serializers.ListField(child=fen_serializer_field(min_value=1), required=False, max_length=10)
    reasons = serializers.DictField(child=serializers.CharField(max_length=500), required=False)

    def validate_reasons(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 100:
            raise serializers.ValidationError(_("未入选原因过多。"))
        return value


class ChMilestoneInput(CleanTextMixin, serializers.Serializer):
    title = serializers.CharField(max_length=120)
    criteria = serializers.CharField(max_length=3000)
    due_on = bounded.DateField()
    amount_fen = fen_serializer_field(min_value=1)


class ChTaskBookInput(CleanTextMixin, serializers.Serializer):
    task_book = serializers.CharField(max_length=10000)
    milestones = ChMilestoneInput(many=True)


class ChNoteInput(CleanTextMixin, serializers.Serializer):
    note = serializers.CharField(max_length=3000)


class ChReturnInput(CleanTextMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ChAcceptInput(CleanTextMixin, serializers.Serializer):
    approve = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)
