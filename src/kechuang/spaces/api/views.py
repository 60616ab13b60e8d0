"""Spaces API (/api/v1/space-units/…, /api/v1/space-requests/…): reads from the visibility querysets
(FilterSets shared with the web lists), each write through one service; objects by public code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import permissions as perms
from .. import selectors, services
from ..filters import SpaceRequestFilter, SpaceUnitFilter
from ..permissions import request_visible_to, unit_visible_to
from .serializers import (
    LeaseInput,
    LeaseOutput,
    MatchOutput,
    ReleaseInput,
    ReservationOutput,
    ReserveInput,
    SpaceRequestInput,
    SpaceRequestOutput,
    SpaceUnitInput,
    SpaceUnitOutput,
    SpaceUnitUpdateInput,
    VacancyOutput,
    ViewingInput,
    ViewingOutput,
)


def _denied(error: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(error) or None)


class SpaceUnitViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """房源: every signed-in user reads the inventory; operators and park operators change it."""

    serializer_class = SpaceUnitOutput
    filterset_class = SpaceUnitFilter
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[^/]{1,80}"

    def get_queryset(self) -> Any:
        return (
            unit_visible_to(self.request.user)
            .select_related("building", "building__park", "building__block")
            .order_by("building__code", "floor", "unit_code", "id")
        )

    @extend_schema(request=SpaceUnitInput, responses={201: SpaceUnitOutput})
    def create(self, request: Request) -> Response:
        data = SpaceUnitInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            unit = services.unit_create(actor=request.user, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from error
        return Response(SpaceUnitOutput(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SpaceUnitUpdateInput, responses={200: SpaceUnitOutput})
    def partial_update(self, request: Request, code: str | None = None) -> Response:
        unit = self.get_object()
        if not perms.can_manage_unit(request.user, unit):
            raise PermissionDenied("只有运营人员或该园区的运营方可以修改房源。")
        data = SpaceUnitUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        unit = services.unit_update(actor=request.user, unit=unit, **data.validated_data)
        return Response(SpaceUnitOutput(unit).data)

    @extend_schema(request=ReserveInput, responses={201: ReservationOutput})
    @action(detail=True, methods=["post"])
    def reserve(self, request: Request, code: str | None = None) -> Response:
        unit = self.get_object()
        if not perms.can_reserve_unit(request.user, unit):
            raise PermissionDenied("只有运营人员或该园区的运营方可以预订房源。")
        data = ReserveInput(data=request.data)
        data.is_valid(raise_exception=True)
        space_request = data.validated_data.get("request")
        if (
            space_request is not None
            and not request_visible_to(request.user).filter(pk=space_request.pk).exists()
        ):
            return Response({"request": ["用房需求不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
        reservation = services.reservation_create(
            actor=request.user,
            unit=unit,
            organization=data.validated_data["organization"],
            start_date=data.validated_data["start_date"],
            end_date=data.validated_data["end_date"],
            space_request=space_request,
        )
        return Response(ReservationOutput(reservation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LeaseInput, responses={201: LeaseOutput})
    @action(detail=True, methods=["post"])
    def lease(self, request: Request, code: str | None = None) -> Response:
        unit = self.get_object()
        if not perms.can_lease_unit(request.user, unit):
            raise PermissionDenied("只有运营人员或该园区的运营方可以签订租约。")
        data = LeaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        reservation = data.validated_data.get("reservation")
        if reservation is not None and reservation.unit_id != unit.pk:
            return Response({"reservation": ["预订不属于该房源。"]}, status=status.HTTP_400_BAD_REQUEST)
        organization = (
            reservation.organization if reservation is not None else data.validated_data["organization"]
        )
        lease = services.lease_sign(
            actor=request.user,
            unit=unit,
            organization=organization,
            reservation=reservation,
            start_date=data.validated_data["start_date"],
            end_date=data.validated_data["end_date"],
            rent_fen_per_m2_day=data.validated_data.get("rent_fen_per_m2_day"),
        )
        return Response(LeaseOutput(lease).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseInput, responses={200: LeaseOutput})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, code: str | None = None) -> Response:
        unit = self.get_object()
        if not perms.can_lease_unit(request.user, unit):
            raise PermissionDenied("只有运营人员或该园区的运营方可以办理退租。")
        data = ReleaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        lease = get_object_or_404(unit.leases.all(), code=data.validated_data["lease"])
        lease = services.lease_release(
            actor=request.user, lease=lease, free_from=data.validated_data.get("free_from")
        )
        return Response(LeaseOutput(lease).data)

    @extend_schema(responses={200: VacancyOutput}, filters=False)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def vacancy(self, request: Request) -> Response:
        return Response(VacancyOutput(selectors.vacancy_figures()).data)


class SpaceRequestViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """用房需求: enterprises file and cancel their own and book viewings; staff read all."""

    serializer_class = SpaceRequestOutput
    filterset_class = SpaceRequestFilter
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,16}"

    def get_queryset(self) -> Any:
        return (
            request_visible_to(self.request.user)
            .select_related("organization", "block", "park")
            .prefetch_related("fields")
            .order_by("-created_at", "-id")
        )

    def _enterprise(self, request: Request) -> Any:
        from kechuang.directory.models import Organization

        organization = getattr(request._request, "acting_organization", None)
        ids = perms.enterprise_ids(request.user)
        if organization is not None and organization.pk in ids:
            return organization
        return Organization.objects.filter(pk__in=ids).order_by("pk").first()

    @extend_schema(request=SpaceRequestInput, responses={201: SpaceRequestOutput})
    def create(self, request: Request) -> Response:
        organization = self._enterprise(request)
        if organization is None:
            raise PermissionDenied("只有企业用户可以提出用房需求。")
        data = SpaceRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        space_request = services.space_request_create(
            actor=request.user, organization=organization, **data.validated_data
        )
        return Response(SpaceRequestOutput(space_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MatchOutput(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def matches(self, request: Request, code: str | None = None) -> Response:
        space_request = self.get_object()
        found = selectors.match_units(space_request)
        return Response(
            MatchOutput(
                [
                    {
                        "unit": m.unit,
                        "meets_requirements": m.meets_requirements,
                        "score": m.score,
                        "score_scale": m.scale,
                        "score_percent": m.percent,
                        "score_label": m.label,
                        "reasons": m.reasons,
                        "warnings": m.warnings,
                        "fails": m.fails,
                    }
                    for m in found
                ],
                many=True,
            ).data
        )

    @extend_schema(request=None, responses={200: SpaceRequestOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, code: str | None = None) -> Response:
        space_request = self.get_object()
        try:
            space_request = services.space_request_cancel(actor=request.user, space_request=space_request)
        except DjangoPermissionDenied as error:
            raise _denied(error) from error
        return Response(SpaceRequestOutput(space_request).data)

    @extend_schema(request=ViewingInput, responses={201: ViewingOutput})
    @action(detail=True, methods=["post"])
    def viewings(self, request: Request, code: str | None = None) -> Response:
        space_request = self.get_object()
        if not perms.can_book_viewing(request.user, space_request):
            raise PermissionDenied("只能为本企业的用房需求预约看房。")
        data = ViewingInput(data=request.data)
        data.is_valid(raise_exception=True)
        viewing = services.viewing_book(
            actor=request.user, space_request=space_request, **data.validated_data
        )
        return Response(ViewingOutput(viewing).data, status=status.HTTP_201_CREATED)
