"""Voucher API (/api/v1/vouchers/…): every object is looked up by its code inside the caller's visibility
queryset (another organization's object is a 404), every write calls one service, and a refused call
changes nothing. ``Idempotency-Key`` on POST /applications/ and /orders/ makes a retried request return
the first answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.api.parsers import JSONParser
from kechuang.core.excel import xlsx_response
from kechuang.core.uploads import attachment_response
from kechuang.core.web import acting_organization
from kechuang.ledger.models import JournalLine

from .. import permissions as perms
from .. import selectors, services
from ..filters import ApplicationFilter, ClaimFilter, OrderFilter, ServiceFilter, VoucherFilter
from ..models import (
    Provider,
    ProviderService,
    Scheme,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)
from . import serializers as s

CODE = r"[A-Z]{2}-\d{4}-\d{2,6}"
ERRORS = {
    400: OpenApiResponse(s.ErrorOutput, description="输入有误或状态不允许"),
    401: OpenApiResponse(s.ErrorOutput, description="需要登录"),
    403: OpenApiResponse(s.ErrorOutput, description="无权操作"),
    404: OpenApiResponse(s.ErrorOutput, description="不存在或不可见"),
}
CREATE_ERRORS = {**ERRORS, 409: OpenApiResponse(s.ErrorOutput, description="幂等键已用于另一请求")}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="重试同一请求时使用同一个键，返回第一次的结果",
)


def documented(output: type) -> Any:
    """List and detail with their error answers in the schema (docs/reliability.md K1: responses match it)."""
    return extend_schema_view(
        list=extend_schema(responses={200: output(many=True), **ERRORS}),
        retrieve=extend_schema(responses={200: output, **ERRORS}),
    )


class VoucherAPIMixin:
    """Codes as lookups; service errors become 4xx/503 answers in ``core.api.exception_handler``."""

    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = CODE

    def visible(self) -> QuerySet[Any]:  # pragma: no cover - each viewset defines it
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.visible()

    def get_object(self) -> Any:
        return get_object_or_404(self.visible(), code=self.kwargs["code"])

    @staticmethod
    def idempotency_key(request: Request) -> str | None:
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if not key:
            return None
        if len(key) > 100 or any(ord(c) < 32 for c in key):
            raise exceptions.ValidationError({"Idempotency-Key": "幂等键不超过 100 个字符，不含控制字符。"})
        return f"{request.user.pk}:{key}"


def _ok(data: Any, code: int = status.HTTP_200_OK) -> Response:
    return Response(data, status=code)


@documented(s.SchemeOutput)
class SchemeViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.SchemeOutput
    lookup_value_regex = r"PC-\d{4}-\d{2}"

    def visible(self) -> QuerySet[Scheme]:
        return selectors.scheme_list(actor=self.request.user)

    @extend_schema(request=s.SchemeInput, responses={201: s.SchemeOutput, **ERRORS})
    def create(self, request: Request) -> Response:
        if not perms.can_manage_scheme(request.user):
            raise PermissionDenied
        data = s.SchemeInput(data=request.data)
        data.is_valid(raise_exception=True)
        scheme = services.scheme_create(actor=request.user, **data.validated_data)
        return _ok(s.SchemeOutput(scheme).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.SchemeOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def open(self, request: Request, code: str) -> Response:
        scheme = services.scheme_open(actor=request.user, scheme=self.get_object())
        return _ok(s.SchemeOutput(Scheme.objects.select_related("budget_account").get(pk=scheme.pk)).data)

    @extend_schema(request=None, responses={200: s.SchemeOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str) -> Response:
        scheme = services.scheme_close(actor=request.user, scheme=self.get_object())
        return _ok(s.SchemeOutput(Scheme.objects.select_related("budget_account").get(pk=scheme.pk)).data)

    @extend_schema(responses={200: s.SchemeReportOutput, **ERRORS})
    @action(detail=True, methods=["get"])
    def report(self, request: Request, code: str) -> Response:
        scheme = self.get_object()
        if not perms.can_view_reports(request.user):
            raise PermissionDenied
        return _ok(
            s.SchemeReportOutput(
                {
                    "scheme": scheme,
                    "figures": selectors.scheme_figures(scheme),
                    "by_category": selectors.use_by_category(scheme=scheme),
                    "by_provider": selectors.use_by_provider(scheme=scheme),
                }
            ).data
        )


@documented(s.ProviderOutput)
class ProviderViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.ProviderOutput
    lookup_value_regex = r"FW-\d{4}-\d{4}"

    def visible(self) -> QuerySet[Provider]:
        return selectors.provider_list(actor=self.request.user)

    @extend_schema(
        request=s.ProviderRegisterInput,
        responses={201: s.ProviderOutput, **ERRORS},
        description="为当前代表的服务机构申请入驻。",
    )
    def create(self, request: Request) -> Response:
        organization = acting_organization(request)
        if organization is None or not perms.can_register_provider(request.user, organization):
            raise PermissionDenied
        data = s.ProviderRegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        provider = services.provider_register(
            actor=request.user, organization=organization, **data.validated_data
        )
        return _ok(s.ProviderOutput(self.visible().get(pk=provider.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewInput, responses={200: s.ProviderOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str) -> Response:
        provider = self.get_object()
        data = s.ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.provider_review(actor=request.user, provider=provider, **data.validated_data)
        return _ok(s.ProviderOutput(self.visible().get(pk=provider.pk)).data)


@documented(s.ServiceOutput)
class ServiceViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.ServiceOutput
    filterset_class = ServiceFilter
    lookup_value_regex = r"FU-\d{4}-\d{6}"

    def visible(self) -> QuerySet[ProviderService]:
        return selectors.service_list(actor=self.request.user)

    @extend_schema(
        request=s.ServiceInput,
        responses={201: s.ServiceOutput, **ERRORS},
        description="在当前代表的服务机构的目录中新增服务。",
    )
    def create(self, request: Request) -> Response:
        provider = selectors.provider_for_organization(acting_organization(request))
        if provider is None or not perms.can_manage_services(request.user, provider):
            raise PermissionDenied
        data = s.ServiceInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.service_create(actor=request.user, provider=provider, **data.validated_data)
        return _ok(s.ServiceOutput(service).data, status.HTTP_201_CREATED)

    @extend_schema(request=s.ServiceUpdateInput, responses={200: s.ServiceOutput, **ERRORS})
    def partial_update(self, request: Request, code: str) -> Response:
        service = self.get_object()
        data = s.ServiceUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.service_update(actor=request.user, service=service, **data.validated_data)
        return _ok(s.ServiceOutput(service).data)


@documented(s.ApplicationOutput)
class ApplicationViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.ApplicationOutput
    filterset_class = ApplicationFilter
    lookup_value_regex = r"(?:SL|SQ)-\d{4}-\d{6}"  # SQ-: codes given before 0.2

    def visible(self) -> QuerySet[Any]:
        return selectors.application_list(actor=self.request.user).select_related("voucher")

    def get_serializer_class(self) -> type[Any]:
        return s.ApplicationDetailOutput if self.action == "retrieve" else s.ApplicationOutput

    @extend_schema(
        request=s.ApplicationInput,
        responses={201: s.ApplicationOutput, **CREATE_ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="为当前代表的企业申领创新券。",
    )
    def create(self, request: Request) -> Response:
        enterprise = acting_organization(request)
        if enterprise is None or not perms.can_apply(request.user, enterprise):
            raise PermissionDenied
        data = s.ApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        scheme = get_object_or_404(perms.scheme_visible_to(request.user), code=values.pop("scheme"))
        application = services.application_submit(
            actor=request.user,
            scheme=scheme,
            enterprise=enterprise,
            request_key=self.idempotency_key(request),
            **values,
        )
        return _ok(s.ApplicationOutput(self.visible().get(pk=application.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ApplicationReviewInput,
        responses={200: s.ApplicationDetailOutput, **ERRORS},
        description="运营初审（第一级）。",
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str) -> Response:
        application = self.get_object()
        data = s.ApplicationReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_review(actor=request.user, application=application, **data.validated_data)
        return _ok(s.ApplicationDetailOutput(self.visible().get(pk=application.pk)).data)

    @extend_schema(
        request=s.DecideInput,
        responses={200: s.ApplicationDetailOutput, **ERRORS},
        description="领导审批（第二级）：批准即发放创新券。",
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, code: str) -> Response:
        application = self.get_object()
        data = s.DecideInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_decide(actor=request.user, application=application, **data.validated_data)
        return _ok(s.ApplicationDetailOutput(self.visible().get(pk=application.pk)).data)

    @extend_schema(request=None, responses={200: s.ApplicationOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str) -> Response:
        application = services.application_withdraw(actor=request.user, application=self.get_object())
        return _ok(s.ApplicationOutput(self.visible().get(pk=application.pk)).data)


@documented(s.VoucherOutput)
class VoucherViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.VoucherOutput
    filterset_class = VoucherFilter
    lookup_value_regex = r"QZ-\d{4}-\d{6}"

    def visible(self) -> QuerySet[Voucher]:
        return selectors.voucher_list(actor=self.request.user)

    @extend_schema(
        responses={200: s.JournalLineOutput(many=True), **ERRORS},
        description="该券账户的记账明细（最新在前）。",
    )
    @action(detail=True, methods=["get"])
    def ledger(self, request: Request, code: str) -> Response:
        voucher = self.get_object()
        lines = (
            JournalLine.objects.filter(account_id=voucher.account_id).select_related("entry").order_by("-id")
        )
        page = self.paginate_queryset(lines)
        return self.get_paginated_response(s.JournalLineOutput(page, many=True).data)

    @extend_schema(request=s.ReasonInput, responses={200: s.VoucherOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, code: str) -> Response:
        voucher = self.get_object()
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.voucher_revoke(actor=request.user, voucher=voucher, reason=data.validated_data["reason"])
        return _ok(s.VoucherOutput(self.visible().get(pk=voucher.pk)).data)


@documented(s.OrderOutput)
class OrderViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.OrderOutput
    filterset_class = OrderFilter
    lookup_value_regex = r"DD-\d{4}-\d{6}"

    def visible(self) -> QuerySet[ServiceOrder]:
        return selectors.order_list(actor=self.request.user)

    def _answer(self, order: ServiceOrder) -> Response:
        return _ok(s.OrderOutput(self.visible().get(pk=order.pk)).data)

    @extend_schema(
        request=s.OrderInput,
        responses={201: s.OrderOutput, **CREATE_ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="用创新券向已入驻机构下单：券付 = 价格 × 补贴比例，以可用余额为限，并立即冻结。",
    )
    def create(self, request: Request) -> Response:
        data = s.OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        voucher = get_object_or_404(perms.voucher_visible_to(request.user), code=values["voucher"])
        service = get_object_or_404(perms.service_visible_to(request.user), code=values["service"])
        order = services.order_place(
            actor=request.user,
            voucher=voucher,
            service=service,
            quantity=values["quantity"],
            note=values["note"],
            request_key=self.idempotency_key(request),
        )
        return _ok(s.OrderOutput(self.visible().get(pk=order.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.OrderOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, code: str) -> Response:
        return self._answer(services.order_accept(actor=request.user, order=self.get_object()))

    @extend_schema(request=s.ReasonInput, responses={200: s.OrderOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, code: str) -> Response:
        order = self.get_object()
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.order_decline(actor=request.user, order=order, **data.validated_data))

    @extend_schema(request=s.NoteInput, responses={200: s.OrderOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, code: str) -> Response:
        order = self.get_object()
        data = s.NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.order_deliver(actor=request.user, order=order, **data.validated_data))

    @extend_schema(
        request=None, responses={200: s.OrderOutput, **ERRORS}, description="企业确认交付：核销冻结的券额。"
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, code: str) -> Response:
        return self._answer(services.order_confirm(actor=request.user, order=self.get_object()))

    @extend_schema(request=s.ReasonInput, responses={200: s.OrderOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, code: str) -> Response:
        order = self.get_object()
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.order_cancel(actor=request.user, order=order, **data.validated_data))

    @extend_schema(request=s.RatingInput, responses={200: s.OrderOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, code: str) -> Response:
        order = self.get_object()
        data = s.RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.order_rate(actor=request.user, order=order, **data.validated_data)
        return self._answer(order)


@documented(s.ClaimOutput)
class ClaimViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.ClaimOutput
    filterset_class = ClaimFilter
    lookup_value_regex = r"(?:QK|JS)-\d{4}-\d{6}"  # JS-: codes given before 0.2
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def visible(self) -> QuerySet[SettlementClaim]:
        return selectors.claim_list(actor=self.request.user)

    @extend_schema(
        request={"multipart/form-data": s.ClaimInput},
        responses={201: s.ClaimOutput, **ERRORS},
        description="服务机构为已确认交付的订单申请结算，附发票。",
    )
    def create(self, request: Request) -> Response:
        data = s.ClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = get_object_or_404(perms.order_visible_to(request.user), code=values["order"])
        invoice = values["invoice"]
        claim = services.claim_submit(
            actor=request.user,
            order=order,
            invoice=invoice,
            invoice_name=invoice.name,
            invoice_number=values["invoice_number"],
            invoice_amount_fen=values["invoice_amount_fen"],
        )
        return _ok(s.ClaimOutput(self.visible().get(pk=claim.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReviewInput, responses={200: s.ClaimOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str) -> Response:
        claim = self.get_object()
        data = s.ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.claim_review(actor=request.user, claim=claim, **data.validated_data)
        return _ok(s.ClaimOutput(self.visible().get(pk=claim.pk)).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **ERRORS})
    @action(detail=True, methods=["get"])
    def invoice(self, request: Request, code: str) -> Any:
        claim = self.get_object()
        return attachment_response(
            claim.invoice, filename=claim.invoice_name, content_type=claim.invoice_content_type
        )


@documented(s.BatchOutput)
class BatchViewSet(
    VoucherAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.BatchOutput
    lookup_value_regex = r"JP-\d{4}-\d{4}"

    def visible(self) -> QuerySet[SettlementBatch]:
        return selectors.batch_list(actor=self.request.user)

    @extend_schema(
        request=s.BatchInput,
        responses={201: s.BatchOutput, 204: None, **ERRORS},
        description="生成该月的结算批次；没有待结算的申请时返回 204。",
    )
    def create(self, request: Request) -> Response:
        if not perms.can_create_batch(request.user):
            raise PermissionDenied
        data = s.BatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.batch_create(actor=request.user, period=data.validated_data["period"])
        if batch is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _ok(s.BatchOutput(batch).data, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.BatchOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, code: str) -> Response:
        return _ok(s.BatchOutput(services.batch_approve(actor=request.user, batch=self.get_object())).data)

    @extend_schema(request=s.BatchReturnInput, responses={200: s.BatchOutput, 204: None, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return")
    def return_claims(self, request: Request, code: str) -> Response:
        """The leader sends claims (or the whole batch) back to review with a reason; 204 when the batch,
        left empty, is removed."""
        data = s.BatchReturnInput(data=request.data)
        data.is_valid(raise_exception=True)
        kept = services.batch_return(
            actor=request.user,
            batch=self.get_object(),
            reason=data.validated_data["reason"],
            claims=data.validated_data.get("claims") or None,
        )
        if kept is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _ok(s.BatchOutput(kept).data)

    @extend_schema(request=None, responses={200: s.BatchOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, code: str) -> Response:
        return _ok(s.BatchOutput(services.batch_pay(actor=request.user, batch=self.get_object())).data)

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            **ERRORS,
        }
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, code: str) -> Any:
        batch = self.get_object()
        content = services.batch_export(actor=request.user, batch=batch)
        return xlsx_response(content, f"创新券结算-{batch.code}.xlsx")
