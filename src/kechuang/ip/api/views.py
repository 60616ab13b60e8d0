"""IP API (/api/v1/ip-assets/…, /api/v1/ip-transactions/…, /api/v1/ip-licences/…): reads from the
visibility querysets, each write through one service; assets by number, the others by code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.core.web import acting_organization

from .. import selectors, services
from ..permissions import managed_organization_ids
from .serializers import (
    AssetInput,
    AssetOutput,
    LicenceInput,
    LicenceOutput,
    TransactionInput,
    TransactionOutput,
)


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from error


class AssetViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """知识产权: published and granted assets for everyone (unpublished ones for their holder), by number;
    filters ``kind``, ``legal_status``, ``high_value``, ``q``, ``holder``; a holder registers assets and
    publishes open licences."""

    serializer_class = AssetOutput
    lookup_field = "number"
    lookup_value_regex = r"[^/]{1,40}"

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in ("list", "retrieve") else [IsAuthenticated()]

    def get_queryset(self) -> Any:
        params = self.request.query_params
        filters = {k: params.get(k, "")[:60] for k in ("kind", "legal_status", "q", "high_value", "holder")}
        return (
            selectors.asset_list(actor=self.request.user, filters=filters)
            .select_related("achievement")
            .prefetch_related("family", "fields")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR),
            OpenApiParameter("legal_status", OpenApiTypes.STR),
            OpenApiParameter("high_value", OpenApiTypes.BOOL),
            OpenApiParameter("q", OpenApiTypes.STR, description="名称或申请号"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AssetInput, responses={201: AssetOutput})
    def create(self, request: Request) -> Response:
        data = AssetInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = acting_organization(request)
        if organization is None or organization.pk not in managed_organization_ids(request.user):
            raise PermissionDenied("请以权利人（院所或企业）的知识产权管理人员身份登记。")
        values = dict(data.validated_data)
        code = values.pop("achievement", "")
        if code:
            from kechuang.transfer.models import Achievement

            values["achievement"] = Achievement.objects.filter(code=code, organization=organization).first()
            if values["achievement"] is None:
                raise ValidationError({"achievement": "找不到本单位的这项成果。"})
        asset = _call(
            services.asset_create,
            actor=request.user,
            kind=values.pop("kind"),
            number=values.pop("number"),
            holder=organization,
            **values,
        )
        return Response(AssetOutput(asset, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LicenceInput, responses={201: LicenceOutput})
    @action(detail=True, methods=["post"], url_path="open-licence")
    def open_licence(self, request: Request, number: str | None = None) -> Response:
        asset = self.get_object()
        data = LicenceInput(data=request.data)
        data.is_valid(raise_exception=True)
        licence = _call(services.open_licence_publish, actor=request.user, asset=asset, **data.validated_data)
        return Response(LicenceOutput(licence).data, status=status.HTTP_201_CREATED)


class LicenceViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """专利开放许可 on offer; ``take-up`` licenses the caller's organization on the declared terms."""

    serializer_class = LicenceOutput
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,20}"

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.action in ("list", "retrieve") else [IsAuthenticated()]

    def get_queryset(self) -> Any:
        return selectors.open_licence_list(actor=self.request.user, published_only=False)

    @extend_schema(request=None, responses={201: TransactionOutput})
    @action(detail=True, methods=["post"], url_path="take-up")
    def take_up(self, request: Request, code: str | None = None) -> Response:
        licence = self.get_object()
        organization = acting_organization(request)
        if organization is None:
            raise PermissionDenied("请以所在单位成员身份接受开放许可。")
        record = _call(
            services.open_licence_take_up, actor=request.user, licence=licence, licensee=organization
        )
        return Response(TransactionOutput(record).data, status=status.HTTP_201_CREATED)


class TransactionViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """知识产权交易 of the caller's organization (operators and leaders: all); ``kind`` filter; a holder
    records one; an operator registers its technology contract (``contract``)."""

    serializer_class = TransactionOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,20}"

    def get_queryset(self) -> Any:
        return selectors.transaction_list(
            actor=self.request.user, kind=self.request.query_params.get("kind", "")[:20]
        ).select_related("open_licence")

    @extend_schema(request=TransactionInput, responses={201: TransactionOutput})
    def create(self, request: Request) -> Response:
        data = TransactionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        asset = selectors.asset_get(actor=request.user, number=values.pop("asset"))
        if asset is None:
            raise ValidationError({"asset": "找不到该知识产权。"})
        from kechuang.directory.models import Organization

        counterparty = Organization.objects.filter(name=values["counterparty_name"]).first()
        record = _call(
            services.transaction_record, actor=request.user, asset=asset, counterparty=counterparty, **values
        )
        return Response(TransactionOutput(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TransactionOutput})
    @action(detail=True, methods=["post"])
    def contract(self, request: Request, code: str | None = None) -> Response:
        record = self.get_object()
        record = _call(services.transaction_register_contract, actor=request.user, record=record)
        return Response(TransactionOutput(record).data)
