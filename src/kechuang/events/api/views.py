"""Events API (/api/v1/events/…): reads from the visibility querysets, each write through one service;
events and registrations by public code. Anyone may read the public events; everything else needs a
signed-in caller."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.core.web import acting_organization

from .. import permissions as perms
from .. import selectors, services
from ..models import Event, Registration
from .serializers import (
    CheckInInput,
    EventInput,
    EventOutput,
    EventReviewInput,
    FeedbackInput,
    FeedbackOutput,
    ReasonInput,
    RegistrationOutput,
    SeriesOutput,
    WalkInInput,
)

EVENT_CODE = r"HD-[0-9]{4}-[0-9]{4,6}"
REGISTRATION_CODE = r"BM-[0-9]{4}-[0-9]{5,7}"


class EventViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """活动: the public reads published events; organizers and operators run theirs."""

    serializer_class = EventOutput
    lookup_field = "code"
    lookup_value_regex = EVENT_CODE

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve", "series"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self) -> Any:
        return (
            selectors.event_list(actor=self.request.user)
            .prefetch_related("speakers__person")
            .order_by("-starts_at", "-pk")
        )

    def _event(self) -> Event:
        return self.get_object()  # type: ignore[no-any-return]

    @extend_schema(responses={200: SeriesOutput(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def series(self, request: Request) -> Response:
        return Response(SeriesOutput(selectors.series_list(), many=True).data)

    @extend_schema(request=EventInput, responses={201: EventOutput})
    def create(self, request: Request) -> Response:
        data = EventInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_create(
            actor=request.user, organization=data.validated_data["organizer"], details=data.details()
        )
        return Response(EventOutput(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: EventOutput})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, code: str | None = None) -> Response:
        return Response(EventOutput(services.event_submit(actor=request.user, event=self._event())).data)

    @extend_schema(request=EventReviewInput, responses={200: EventOutput})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str | None = None) -> Response:
        event = self._event()
        data = EventReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.event_review(
            actor=request.user,
            event=event,
            approve=data.validated_data["approve"],
            reason=data.validated_data["reason"],
        )
        return Response(EventOutput(event).data)

    @extend_schema(request=ReasonInput, responses={200: EventOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, code: str | None = None) -> Response:
        event = self._event()
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            EventOutput(
                services.event_cancel(actor=request.user, event=event, reason=data.validated_data["reason"])
            ).data
        )

    @extend_schema(request=None, responses={200: EventOutput})
    @action(detail=True, methods=["post"])
    def finish(self, request: Request, code: str | None = None) -> Response:
        return Response(EventOutput(services.event_finish(actor=request.user, event=self._event())).data)

    @extend_schema(request=None, responses={201: RegistrationOutput})
    @action(detail=True, methods=["post"])
    def register(self, request: Request, code: str | None = None) -> Response:
        event = self._event()
        organization = acting_organization(request)
        if organization is not None and organization.pk not in perms.member_organization_ids(request.user):
            organization = None
        registration = services.registration_create(
            actor=request.user, event=event, organization=organization
        )
        return Response(
            RegistrationOutput(registration, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        operation_id="events_event_registrations_list", responses={200: RegistrationOutput(many=True)}
    )
    @action(detail=True, methods=["get"])
    def registrations(self, request: Request, code: str | None = None) -> Response:
        event = self._event()
        if not perms.can_manage_event(request.user, event):
            raise PermissionDenied("只有主办方或运营人员可以查看报名名单。")
        rows = selectors.event_registrations(actor=request.user, event=event)
        page = self.paginate_queryset(rows)
        serializer = RegistrationOutput(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)

    @extend_schema(request=CheckInInput, responses={200: RegistrationOutput})
    @action(detail=True, methods=["post"])
    def checkin(self, request: Request, code: str | None = None) -> Response:
        event = self._event()
        data = CheckInInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.registration_check_in(
            actor=request.user, event=event, code=data.validated_data["code"]
        )
        return Response(RegistrationOutput(registration, context={"request": request}).data)

    @extend_schema(request=WalkInInput, responses={201: RegistrationOutput})
    @action(detail=True, methods=["post"], url_path="walk-in")
    def walk_in(self, request: Request, code: str | None = None) -> Response:
        event = self._event()
        data = WalkInInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration = services.registration_walk_in(
            actor=request.user, event=event, name=data.validated_data["name"]
        )
        return Response(
            RegistrationOutput(registration, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class RegistrationViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """报名: one's own registrations (and, for organizers and operators, those of their events)."""

    serializer_class = RegistrationOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = REGISTRATION_CODE

    def get_queryset(self) -> Any:
        return (
            perms.registration_visible_to(self.request.user)
            .select_related("event")
            .order_by("-queued_at", "-pk")
        )

    def _registration(self) -> Registration:
        return self.get_object()  # type: ignore[no-any-return]

    @extend_schema(request=None, responses={200: RegistrationOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, code: str | None = None) -> Response:
        registration = self._registration()
        try:
            services.registration_cancel(actor=request.user, registration=registration)
        except DjangoPermissionDenied:
            if registration.user_id != request.user.pk:
                raise NotFound() from None
            raise
        registration.refresh_from_db()
        return Response(RegistrationOutput(registration, context={"request": request}).data)

    @extend_schema(request=FeedbackInput, responses={201: FeedbackOutput})
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, code: str | None = None) -> Response:
        registration = self._registration()
        data = FeedbackInput(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.feedback_submit(
            actor=request.user,
            registration=registration,
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
        )
        return Response(FeedbackOutput(feedback).data, status=status.HTTP_201_CREATED)
