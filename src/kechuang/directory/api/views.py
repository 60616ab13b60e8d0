"""Directory API views: list and detail from the visibility querysets; writes through services."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from ..filters import OrganizationFilter, PersonFilter
from ..models import Block, Building, Line, Park, TechnologyField
from ..permissions import (
    can_change_organization,
    can_create_organization,
    organization_visible_to,
    person_visible_to,
)
from .serializers import (
    BlockSerializer,
    BuildingSerializer,
    LineSerializer,
    OrganizationInput,
    OrganizationOutput,
    ParkSerializer,
    PersonOutput,
    TechnologyFieldSerializer,
)


class PublicReadMixin:
    permission_classes = [AllowAny]


class OrganizationViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Institutes, providers and other public kinds are readable anonymously; enterprises need login."""

    serializer_class = OrganizationOutput
    filterset_class = OrganizationFilter
    permission_classes = [AllowAny]

    def get_queryset(self) -> Any:
        return (
            organization_visible_to(self.request.user)
            .select_related("block", "park", "industry")
            .prefetch_related("fields")
            .order_by("kind", "name", "id")
        )

    @extend_schema(request=OrganizationInput, responses={201: OrganizationOutput})
    def create(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            return Response({"detail": "需要登录。"}, status=status.HTTP_401_UNAUTHORIZED)
        if not can_create_organization(request.user):
            return Response({"detail": "只有运营人员可以新建机构。"}, status=status.HTTP_403_FORBIDDEN)
        data = OrganizationInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization = services.organization_create(actor=request.user, **data.validated_data)
        return Response(
            OrganizationOutput(organization, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=OrganizationInput, responses={200: OrganizationOutput})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        if not request.user.is_authenticated:
            return Response({"detail": "需要登录。"}, status=status.HTTP_401_UNAUTHORIZED)
        organization = get_object_or_404(self.get_queryset(), pk=pk)
        if not can_change_organization(request.user, organization):
            return Response({"detail": "您无权修改该机构的资料。"}, status=status.HTTP_403_FORBIDDEN)
        data = OrganizationInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        organization = services.organization_update(
            actor=request.user, organization=organization, **data.validated_data
        )
        return Response(OrganizationOutput(organization, context={"request": request}).data)


class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PersonOutput
    filterset_class = PersonFilter
    permission_classes = [IsAuthenticated]

    def get_queryset(self) -> Any:
        return (
            person_visible_to(self.request.user)
            .select_related("organization")
            .prefetch_related("fields")
            .order_by("name", "id")
        )


class TechnologyFieldViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TechnologyFieldSerializer
    queryset = TechnologyField.objects.select_related("parent").all()
    lookup_field = "code"
    filterset_fields = ["parent__code"]


class BlockViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BlockSerializer
    queryset = Block.objects.all()
    lookup_field = "code"


class ParkViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ParkSerializer
    queryset = Park.objects.select_related("block", "institute").all()
    lookup_field = "code"


class LineViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = LineSerializer
    queryset = Line.objects.all()
    lookup_field = "code"


class BuildingViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = BuildingSerializer
    queryset = Building.objects.select_related("park", "block").all()
    lookup_field = "code"
