"""Service-request API (/api/v1/service-requests/…): reads from the visibility queryset (the FilterSet is
shared with the web list), each write through one service. Requests are addressed by their public code.
Every state change carries the ``version`` the client read; a stale one answers 409 with the current
version and status (docs/reliability.md H2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.api.parsers import JSONParser
from kechuang.core.web import acting_organization
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization

from .. import clock, selectors, services
from ..filters import ServiceRequestFilter
from ..permissions import can_view_figures, enterprise_member_ids, is_desk_staff, request_visible_to
from .serializers import (
    ServiceDeskError,
    ServiceDeskFigures,
    ServiceRequestAttachInput,
    ServiceRequestAttachment,
    ServiceRequestCloseInput,
    ServiceRequestConflict,
    ServiceRequestDetailOutput,
    ServiceRequestEvent,
    ServiceRequestFileInput,
    ServiceRequestHandOverInput,
    ServiceRequestMessageInput,
    ServiceRequestOutput,
    ServiceRequestReasonInput,
    ServiceRequestReassignInput,
    ServiceRequestTextInput,
)

VALIDATION = OpenApiResponse(OpenApiTypes.OBJECT, description="输入有误：按字段给出中文说明")
ERROR = OpenApiResponse(ServiceDeskError, description="未登录、无权操作或不存在")
CONFLICT = OpenApiResponse(ServiceRequestConflict, description="诉求已被他人更新：version 与当前不符")
READ_ERRORS = {401: ERROR, 404: ERROR}
WRITE_ERRORS = {400: VALIDATION, 401: ERROR, 403: ERROR, 404: ERROR, 409: CONFLICT}


def _denied(error: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(error) or None)


def _conflict(error: services.RequestConflict) -> Response:
    return Response(
        {"detail": error.message, "version": error.current_version, "status": error.current_status},
        status=status.HTTP_409_CONFLICT,
    )


class ServiceRequestViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """诉求: enterprises file and close their own; commissioners and operators handle them."""

    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"
    permission_classes = [IsAuthenticated]
    filterset_class = ServiceRequestFilter
    serializer_class = ServiceRequestOutput
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self) -> Any:
        return (
            request_visible_to(self.request.user)
            .select_related("organization", "commissioner")
            .order_by("-filed_at", "-id")
        )

    def filter_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self) -> Any:
        return ServiceRequestDetailOutput if self.action != "list" else ServiceRequestOutput

    def _request(self, code: str) -> Any:
        return get_object_or_404(self.get_queryset(), code=code)

    def _out(self, code: str, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self._request(code)
        return Response(
            ServiceRequestDetailOutput(fresh, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(
        summary="诉求列表（本人可见范围）", responses={200: ServiceRequestOutput(many=True), 401: ERROR}
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="诉求详情：时限、办理过程与附件", responses={200: ServiceRequestDetailOutput, **READ_ERRORS}
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="提出诉求（企业；员工可代企业登记）",
        request=ServiceRequestFileInput,
        responses={201: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        data = ServiceRequestFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization_id = values.pop("organization", None)
        if organization_id is not None and is_desk_staff(request.user):
            organization = Organization.objects.filter(
                pk=organization_id, kind=OrganizationKind.ENTERPRISE
            ).first()
            if organization is None:
                return Response({"organization": ["找不到该企业。"]}, status=status.HTTP_400_BAD_REQUEST)
        else:
            organization = acting_organization(request)
            if organization is None or organization.pk not in enterprise_member_ids(request.user):
                raise PermissionDenied("请以企业身份提出诉求。")
            values.pop("channel", None)
        try:
            created = services.request_file(actor=request.user, organization=organization, **values)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return self._out(created.code, status.HTTP_201_CREATED)

    def _act(
        self, request: Request, code: str, input_cls: Any, call: Any, status_code: int = 200
    ) -> Response:
        service_request = self._request(code)
        data = input_cls(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            call(service_request, data.validated_data)
        except services.RequestConflict as conflict:
            return _conflict(conflict)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return self._out(code, status_code)

    @extend_schema(
        summary="首次响应（专员）",
        request=ServiceRequestTextInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestTextInput,
            lambda sr, d: services.request_respond(
                actor=request.user, request=sr, version=d["version"], text=d["text"]
            ),
        )

    @extend_schema(
        summary="留言或内部备注",
        request=ServiceRequestMessageInput,
        responses={201: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestMessageInput,
            lambda sr, d: services.request_reply(
                actor=request.user,
                request=sr,
                text=d["text"],
                internal=d.get("internal", False),
                version=d.get("version"),
            ),
            status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="转办部门（专员）",
        request=ServiceRequestHandOverInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestHandOverInput,
            lambda sr, d: services.request_hand_over(
                actor=request.user,
                request=sr,
                version=d["version"],
                department=d["department"],
                department_name=d.get("department_name", ""),
                text=d["text"],
            ),
        )

    @extend_schema(
        summary="办结（专员）",
        request=ServiceRequestTextInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestTextInput,
            lambda sr, d: services.request_resolve(
                actor=request.user, request=sr, version=d["version"], text=d["text"]
            ),
        )

    @extend_schema(
        summary="评价并关闭（企业）",
        request=ServiceRequestCloseInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestCloseInput,
            lambda sr, d: services.request_close(
                actor=request.user,
                request=sr,
                version=d["version"],
                rating=d["rating"],
                comment=d.get("comment", ""),
            ),
        )

    @extend_schema(
        summary="重新打开（企业）",
        request=ServiceRequestReasonInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestReasonInput,
            lambda sr, d: services.request_reopen(
                actor=request.user, request=sr, version=d["version"], reason=d.get("reason", "")
            ),
        )

    @extend_schema(
        summary="撤回（企业）",
        request=ServiceRequestReasonInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str) -> Response:
        return self._act(
            request,
            code,
            ServiceRequestReasonInput,
            lambda sr, d: services.request_withdraw(
                actor=request.user, request=sr, version=d["version"], reason=d.get("reason", "")
            ),
        )

    @extend_schema(
        summary="更换办理专员（运营）",
        request=ServiceRequestReassignInput,
        responses={200: ServiceRequestDetailOutput, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, code: str) -> Response:
        def call(sr: Any, d: dict[str, Any]) -> Any:
            user = get_user_model().objects.filter(pk=d["commissioner"]).first()
            return services.request_reassign(
                actor=request.user,
                request=sr,
                version=d["version"],
                commissioner=user,
                reason=d.get("reason", ""),
            )

        return self._act(request, code, ServiceRequestReassignInput, call)

    @extend_schema(
        summary="上传附件（PDF、Office、OFD、图片，按内容检查）",
        request={"multipart/form-data": ServiceRequestAttachInput},
        responses={201: ServiceRequestAttachment(many=True), **WRITE_ERRORS},
    )
    @action(
        detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], pagination_class=None
    )
    def attachments(self, request: Request, code: str) -> Response:
        service_request = self._request(code)
        data = ServiceRequestAttachInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            stored = services.request_attach(
                actor=request.user, request=service_request, files=data.validated_data["files"]
            )
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(ServiceRequestAttachment(stored, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="办理过程（对企业隐藏内部备注）",
        responses={200: ServiceRequestEvent(many=True), **READ_ERRORS},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request: Request, code: str) -> Response:
        service_request = self._request(code)
        return Response(
            ServiceRequestEvent(
                selectors.request_events(actor=request.user, request=service_request), many=True
            ).data
        )

    @extend_schema(
        summary="服务数据：响应用时、超时率、满意度（按类别与专员）",
        parameters=[OpenApiParameter("days", int, description="统计最近多少天（1–3660），不填为全部")],
        responses={200: ServiceDeskFigures, 400: VALIDATION, 401: ERROR, 403: ERROR},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def figures(self, request: Request) -> Response:
        if not can_view_figures(request.user):
            raise PermissionDenied("只有运营人员、领导和服务专员可以查看服务数据。")
        raw = request.query_params.get("days")
        since = None
        if raw not in (None, ""):
            try:
                days = int(raw)
            except ValueError:
                return Response({"days": ["请填写 1–3660 之间的整数。"]}, status=status.HTTP_400_BAD_REQUEST)
            if not 1 <= days <= 3660:
                return Response({"days": ["请填写 1–3660 之间的整数。"]}, status=status.HTTP_400_BAD_REQUEST)
            since = clock.now() - dt.timedelta(days=days)
        data = selectors.figures(actor=request.user, since=since)
        return Response(
            ServiceDeskFigures(
                {
                    "since": since,
                    "by_category": data["by_category"],
                    "by_commissioner": data["by_commissioner"],
                }
            ).data
        )
