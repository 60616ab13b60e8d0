"""Service-request API shapes: separate input and output serializers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kechuang.api import fields as bounded

from ..choices import Department, RequestCategory, RequestChannel, RequestStatus
from ..models import RequestAttachment, RequestEvent, ServiceRequest
from ..selectors import request_clocks


class ServiceDeskPerson(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ServiceDeskEnterprise(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ServiceRequestClock(serializers.Serializer):
    label = serializers.CharField()
    due_at = bounded.DateTimeField()
    stopped_at = bounded.DateTimeField(allow_null=True)
    state = serializers.ChoiceField(choices=["running", "due_soon", "breached", "met", "late", "stopped"])
    minutes = serializers.IntegerField(help_text=_("剩余、超时或已用的工作分钟数（视 state 而定）"))


class ServiceRequestOutput(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    commissioner = serializers.SerializerMethodField()
    category_label = serializers.CharField(source="get_category_display")
    status_label = serializers.CharField(source="get_status_display")
    escalated = serializers.BooleanField(source="is_escalated")

    class Meta:
        model = ServiceRequest
        fields = [
            "code",
            "title",
            "category",
            "category_label",
            "status",
            "status_label",
            "version",
            "organization",
            "commissioner",
            "channel",
            "filed_at",
            "response_due_at",
            "resolution_due_at",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "rating",
            "cycle",
            "escalated",
        ]

    @extend_schema_field(ServiceDeskEnterprise)
    def get_organization(self, obj: ServiceRequest) -> dict[str, Any]:
        return {"id": obj.organization_id, "name": obj.organization.name}

    @extend_schema_field(ServiceDeskPerson(allow_null=True))
    def get_commissioner(self, obj: ServiceRequest) -> dict[str, Any] | None:
        user = obj.commissioner
        return {"id": user.pk, "name": str(user)} if user is not None else None


class ServiceRequestEvent(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = RequestEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "actor",
            "text",
            "from_status",
            "to_status",
            "is_internal",
            "version",
            "created_at",
        ]

    @extend_schema_field(ServiceDeskPerson(allow_null=True))
    def get_actor(self, obj: RequestEvent) -> dict[str, Any] | None:
        return {"id": obj.actor_id, "name": str(obj.actor)} if obj.actor_id else None


class ServiceRequestAttachment(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = RequestAttachment
        fields = [
            "token",
            "original_name",
            "content_type",
            "kind_label",
            "size",
            "sha256",
            "created_at",
            "url",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_url(self, obj: RequestAttachment) -> str:
        from django.urls import reverse

        return reverse("servicedesk:attachment-download", args=[obj.token])


class ServiceRequestDetailOutput(ServiceRequestOutput):
    clocks = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    department_label = serializers.CharField()

    class Meta(ServiceRequestOutput.Meta):
        fields = [
            *ServiceRequestOutput.Meta.fields,
            "text",
            "department",
            "department_label",
            "rating_comment",
            "response_days",
            "resolution_days",
            "clocks",
            "events",
            "attachments",
        ]

    @extend_schema_field(ServiceRequestClock(many=True))
    def get_clocks(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        return ServiceRequestClock([c.__dict__ for c in request_clocks(obj)], many=True).data  # type: ignore[return-value]

    @extend_schema_field(ServiceRequestEvent(many=True))
    def get_events(self, obj: ServiceRequest) -> Any:
        from ..selectors import request_events

        return ServiceRequestEvent(
            request_events(actor=self.context["request"].user, request=obj), many=True
        ).data

    @extend_schema_field(ServiceRequestAttachment(many=True))
    def get_attachments(self, obj: ServiceRequest) -> Any:
        from ..selectors import request_attachments

        return ServiceRequestAttachment(
            request_attachments(actor=self.context["request"].user, request=obj), many=True
        ).data


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise serializers.ValidationError(_("不能包含空字符。"))
    return value


class ServiceRequestFileInput(serializers.Serializer):
    organization = serializers.IntegerField(
        label=_("企业"),
        required=False,
        min_value=1,
        max_value=2_000_000_000,
        help_text=_("员工代企业登记时填写；企业用户不填，按当前代表的企业"),
    )
    category = serializers.ChoiceField(label=_("类别"), choices=RequestCategory.choices)
    title = serializers.CharField(label=_("标题"), max_length=120, validators=[_no_nul])
    text = serializers.CharField(label=_("诉求内容"), max_length=4000, validators=[_no_nul])
    channel = serializers.ChoiceField(label=_("来源渠道"), choices=RequestChannel.choices, required=False)


class ServiceRequestVersionInput(serializers.Serializer):
    version = serializers.IntegerField(
        label=_("版本"),
        min_value=1,
        max_value=2_000_000_000,
        help_text=_("读取诉求时的 version；诉求已被他人更新时返回 409"),
    )


class ServiceRequestTextInput(ServiceRequestVersionInput):
    text = serializers.CharField(label=_("内容"), max_length=4000, validators=[_no_nul])


class ServiceRequestMessageInput(serializers.Serializer):
    text = serializers.CharField(label=_("内容"), max_length=4000, validators=[_no_nul])
    internal = serializers.BooleanField(label=_("仅内部可见"), required=False, default=False)
    version = serializers.IntegerField(label=_("版本"), min_value=1, max_value=2_000_000_000, required=False)


class ServiceRequestHandOverInput(ServiceRequestVersionInput):
    department = serializers.ChoiceField(label=_("转办部门"), choices=Department.choices)
    department_name = serializers.CharField(
        label=_("部门名称"), max_length=60, required=False, allow_blank=True, validators=[_no_nul]
    )
    text = serializers.CharField(label=_("转办说明"), max_length=2000, validators=[_no_nul])


class ServiceRequestCloseInput(ServiceRequestVersionInput):
    rating = serializers.IntegerField(label=_("满意度"), min_value=1, max_value=5)
    comment = serializers.CharField(
        label=_("评价"), max_length=500, required=False, allow_blank=True, validators=[_no_nul]
    )


class ServiceRequestReasonInput(ServiceRequestVersionInput):
    reason = serializers.CharField(
        label=_("原因"), max_length=2000, required=False, allow_blank=True, validators=[_no_nul]
    )


class ServiceRequestReassignInput(ServiceRequestVersionInput):
    commissioner = serializers.IntegerField(label=_("专员"), min_value=1, max_value=2_000_000_000)
    reason = serializers.CharField(
        label=_("说明"), max_length=200, required=False, allow_blank=True, validators=[_no_nul]
    )


class ServiceRequestAttachInput(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1, max_length=5)


class ServiceDeskError(serializers.Serializer):
    detail = serializers.CharField()


class ServiceRequestConflict(serializers.Serializer):
    detail = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=RequestStatus.choices, allow_blank=True)


class ServiceDeskFigureRow(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    total = serializers.IntegerField()
    responded = serializers.IntegerField()
    avg_response_hours = serializers.FloatField(allow_null=True)
    avg_resolution_days = serializers.FloatField(allow_null=True)
    response_breach_rate = serializers.FloatField(allow_null=True)
    resolution_breach_rate = serializers.FloatField(allow_null=True)
    rated = serializers.IntegerField()
    avg_rating = serializers.FloatField(allow_null=True)
    satisfaction_rate = serializers.FloatField(allow_null=True)


class ServiceDeskFigures(serializers.Serializer):
    since = bounded.DateTimeField(allow_null=True)
    by_category = ServiceDeskFigureRow(many=True)
    by_commissioner = ServiceDeskFigureRow(many=True)
