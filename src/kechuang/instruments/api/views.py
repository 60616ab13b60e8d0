"""Instruments API (/api/v1/instruments/…, /api/v1/instrument-bookings/…): reads from the visibility
querysets, each write through one service; objects by public code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.core.web import acting_organization
from kechuang.vouchers.models import Voucher

from .. import selectors, services
from ..models import Booking, SampleRequest
from .serializers import (
    BookingInput,
    BookingOutput,
    CheckOutInput,
    InstrumentOutput,
    NoteInput,
    PhotoInput,
    PhotoOutput,
    ReportInput,
    SampleRequestInput,
    SampleRequestOutput,
    SlotOutput,
)


def _denied(error: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(error) or None)


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except DjangoPermissionDenied as error:
        raise _denied(error) from error


class InstrumentViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """共享仪器: the catalogue (search ``q``, ``category``, ``mode``), a week of slots, booking."""

    serializer_class = InstrumentOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,16}"

    def get_queryset(self) -> Any:
        params = self.request.query_params
        return selectors.instrument_list(
            actor=self.request.user,
            q=params.get("q", "")[:100],
            category=params.get("category", "")[:16],
            mode=params.get("mode", "")[:8],
        ).prefetch_related("rates")

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="搜索"),
            OpenApiParameter("category", OpenApiTypes.STR, description="分类编码"),
            OpenApiParameter("mode", OpenApiTypes.STR, enum=["self", "sample"]),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("week", OpenApiTypes.DATE, description="周起始日（默认本周一）")],
        responses={200: SlotOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def slots(self, request: Request, code: str | None = None) -> Response:
        instrument = self.get_object()
        week = request.query_params.get("week", "")
        try:
            start = dt.date.fromisoformat(week) if week else None
        except ValueError:
            raise ValidationError({"week": "日期格式应为 YYYY-MM-DD。"}) from None
        today = timezone.localdate()
        start = start or today - dt.timedelta(days=today.weekday())
        if abs((start - today).days) > 400:
            raise ValidationError({"week": "只能查看一年以内的时段。"})
        days = selectors.week_slots(instrument, start)
        slots = [slot for day in days for slot in day.slots]
        return Response(SlotOutput(slots, many=True).data)

    @extend_schema(request=BookingInput, responses={201: BookingOutput})
    @action(detail=True, methods=["post"])
    def book(self, request: Request, code: str | None = None) -> Response:
        instrument = self.get_object()
        data = BookingInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = acting_organization(request)
        if organization is None:
            raise PermissionDenied("请以所在单位成员身份预约。")
        voucher = _voucher(data.validated_data["voucher"], organization)
        booking = _call(
            services.booking_create,
            actor=request.user,
            instrument=instrument,
            organization=organization,
            start_at=data.validated_data["start_at"],
            end_at=data.validated_data["end_at"],
            purpose=data.validated_data["purpose"],
            voucher=voucher,
        )
        return Response(BookingOutput(booking).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SampleRequestInput, responses={201: SampleRequestOutput})
    @action(detail=True, methods=["post"])
    def samples(self, request: Request, code: str | None = None) -> Response:
        instrument = self.get_object()
        data = SampleRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = _member_organization(request)
        values["voucher"] = _voucher(values.pop("voucher"), organization)
        sample = _call(
            services.sample_request_submit,
            actor=request.user,
            instrument=instrument,
            organization=organization,
            **values,
        )
        return Response(SampleRequestOutput(sample).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": PhotoInput},
        responses={201: PhotoOutput},
        description="上传仪器照片（PNG 或 JPEG，按内容检查，最大 5 MB，每台最多 6 张）；仅仪器所属单位或运营人员。",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request: Request, code: str | None = None) -> Response:
        instrument = self.get_object()
        data = PhotoInput(data=request.data)
        data.is_valid(raise_exception=True)
        image = data.validated_data["image"]
        photo = _call(
            services.instrument_photo_add,
            actor=request.user,
            instrument=instrument,
            image=image,
            name=image.name or "photo",
        )
        return Response(PhotoOutput(photo).data, status=status.HTTP_201_CREATED)


def _voucher(code: str, organization: Any) -> Voucher | None:
    """The organization's voucher named by ``code`` (``None`` for none)."""
    if not code:
        return None
    voucher = Voucher.objects.filter(code=code, enterprise=organization).first()
    if voucher is None:
        raise ValidationError({"voucher": "未找到本企业的这张创新券。"})
    return voucher


def _member_organization(request: Request) -> Any:
    organization = acting_organization(request)
    if organization is None:
        raise PermissionDenied("请以所在单位成员身份提交。")
    return organization


class BookingViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """机时预约: the bookings the user may see; the owner approves, checks in and out; the booker cancels
    and confirms the charge."""

    serializer_class = BookingOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,16}"

    def get_queryset(self) -> Any:
        return selectors.booking_list(
            actor=self.request.user, status=self.request.query_params.get("status", "")[:12]
        )

    def _move(self, fn: Callable[..., Booking], **kwargs: Any) -> Response:
        booking = self.get_object()
        return Response(BookingOutput(_call(fn, actor=self.request.user, booking=booking, **kwargs)).data)

    def _note(self, request: Request) -> str:
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return str(data.validated_data["note"])

    @extend_schema(request=NoteInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.booking_approve, note=self._note(request))

    @extend_schema(request=NoteInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.booking_reject, note=self._note(request))

    @extend_schema(request=NoteInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.booking_cancel, reason=self._note(request))

    @extend_schema(request=None, responses={200: BookingOutput})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.booking_check_in)

    @extend_schema(request=CheckOutInput, responses={200: BookingOutput})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request: Request, code: str | None = None) -> Response:
        data = CheckOutInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._move(
            services.booking_check_out, actual_minutes=data.validated_data.get("actual_minutes")
        )

    @extend_schema(request=None, responses={200: BookingOutput})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.booking_no_show)

    @extend_schema(request=None, responses={200: BookingOutput})
    @action(detail=True, methods=["post"], url_path="confirm-charge")
    def confirm_charge(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.booking_confirm_charge)


class SampleRequestViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """委托测试: the requests the user may see; the owner accepts, rejects, records receipt and uploads the
    report; the requester confirms or cancels."""

    serializer_class = SampleRequestOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,16}"

    def get_queryset(self) -> Any:
        from .. import permissions as perms

        return (
            perms.sample_request_visible_to(self.request.user)
            .select_related("instrument", "organization", "voucher", "voucher_order")
            .order_by("-submitted_at", "-id")
        )

    def _move(self, fn: Callable[..., SampleRequest], **kwargs: Any) -> Response:
        sample = self.get_object()
        return Response(
            SampleRequestOutput(_call(fn, actor=self.request.user, sample_request=sample, **kwargs)).data
        )

    @extend_schema(request=None, responses={200: SampleRequestOutput})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.sample_request_accept)

    @extend_schema(request=NoteInput, responses={200: SampleRequestOutput})
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, code: str | None = None) -> Response:
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._move(services.sample_request_reject, note=str(data.validated_data["note"]))

    @extend_schema(request=None, responses={200: SampleRequestOutput})
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.sample_request_receive)

    @extend_schema(
        request={"multipart/form-data": ReportInput},
        responses={200: SampleRequestOutput},
        description="上传测试报告（PDF、OFD、PNG、JPEG、XLSX 或 DOCX，按内容检查，最大 20 MB），费用随之确定。",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def report(self, request: Request, code: str | None = None) -> Response:
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = data.validated_data["report"]
        return self._move(
            services.sample_request_report,
            report=report,
            report_name=report.name or "report",
            note=str(data.validated_data["note"]),
        )

    @extend_schema(request=None, responses={200: SampleRequestOutput})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.sample_request_confirm)

    @extend_schema(request=None, responses={200: SampleRequestOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, code: str | None = None) -> Response:
        return self._move(services.sample_request_cancel)
