"""Investment API (/api/v1/leads/…, /api/v1/key-projects/…): reads from the visibility
querysets (district staff only; anyone else sees an empty list and 404), each write through one service;
objects by public code."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.core.roles import Role, roles_of

from .. import permissions as perms
from .. import selectors, services
from ..models import Lead, Milestone
from ..services import EvidenceInput
from .serializers import (
    AdvanceInput,
    AssignInput,
    CloseInput,
    ErrorDetail,
    IssueInput,
    IssueOutput,
    KeyProjectOutput,
    LeadInputSerializer,
    LeadOutput,
    MilestoneDoneInput,
    MilestoneInput,
    MilestoneOutput,
    RecordInput,
    StatusReportInput,
)

CONFLICT = OpenApiResponse(response=ErrorDetail, description="疑似重复或与已有记录冲突")


def _user(username: str, field: str) -> Any:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({field: [_("用户不存在。")]})
    return user


class LeadViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """招商线索: district staff read the pipeline; confidential fields only for the lead's owners and
    operators; the owners and operators move it."""

    serializer_class = LeadOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,16}"

    def get_queryset(self) -> Any:
        return selectors.lead_list(actor=self.request.user).order_by("-received_at", "-id")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        ids = perms.confidential_lead_ids(self.request.user)
        context["confidential"] = _All() if ids is None else set(ids.values_list("pk", flat=True))
        return context

    def _answer(self, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
        return Response(LeadOutput(lead, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=LeadInputSerializer, responses={201: LeadOutput, 409: CONFLICT})
    def create(self, request: Request) -> Response:
        if not perms.can_create_lead(request.user):
            raise PermissionDenied(_("只有街区工作人员可以登记招商线索。"))
        data = LeadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_create(
            actor=request.user,
            data=data.lead_input(),
            case_officer=request.user if Role.COMMISSIONER in roles_of(request.user) else None,
            allow_duplicate=data.validated_data["allow_duplicate"],
        )
        return self._answer(lead, status.HTTP_201_CREATED)

    def _workable(self, request: Request) -> Lead:
        lead: Lead = self.get_object()
        if not perms.can_work_lead(request.user, lead):
            raise PermissionDenied(_("只有该线索的挂帅领导、项目专员或运营人员可以办理。"))
        return lead

    @extend_schema(request=AdvanceInput, responses={200: LeadOutput})
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, code: str | None = None) -> Response:
        lead = self._workable(request)
        data = AdvanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        lead = services.lead_advance(
            actor=request.user,
            lead=lead,
            evidence=EvidenceInput(
                note=values["note"],
                uscc=values["uscc"],
                commissioner=_user(values["commissioner"], "commissioner"),
                amount_fen=values.get("amount_fen"),
            ),
        )
        return self._answer(lead)

    @extend_schema(request=CloseInput, responses={200: LeadOutput})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str | None = None) -> Response:
        lead = self._workable(request)
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_close(actor=request.user, lead=lead, **data.validated_data)
        return self._answer(lead)

    @extend_schema(request=RecordInput, responses={200: LeadOutput})
    @action(detail=True, methods=["post"])
    def record(self, request: Request, code: str | None = None) -> Response:
        lead = self._workable(request)
        data = RecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.lead_record(actor=request.user, lead=lead, **data.validated_data)
        lead.refresh_from_db()
        return self._answer(lead)

    @extend_schema(request=AssignInput, responses={200: LeadOutput})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, code: str | None = None) -> Response:
        lead = self.get_object()
        if not perms.can_assign_lead(request.user):
            raise PermissionDenied(_("只有运营人员可以确定挂帅领导和项目专员。"))
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_assign(
            actor=request.user,
            lead=lead,
            leader=_user(data.validated_data["leader"], "leader"),
            case_officer=_user(data.validated_data["case_officer"], "case_officer"),
        )
        return self._answer(lead)


class _All:
    """Every lead (operators)."""

    def __contains__(self, item: object) -> bool:
        return True


class KeyProjectViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """重点项目: district staff read them; the project's leader and operators report status and issues."""

    serializer_class = KeyProjectOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,16}"

    def get_queryset(self) -> Any:
        return (
            selectors.project_list(actor=self.request.user)
            .prefetch_related("milestones")
            .order_by("code", "id")
        )

    def _managed(self, request: Request) -> Any:
        project = self.get_object()
        if not perms.can_manage_project(request.user, project):
            raise PermissionDenied(_("只有该项目的包保领导或运营人员可以办理。"))
        return project

    @extend_schema(request=StatusReportInput, responses={200: KeyProjectOutput})
    @action(detail=True, methods=["post"])
    def report(self, request: Request, code: str | None = None) -> Response:
        """The month's status (on track / at risk / blocked); blocked or at risk twice escalates."""
        project = self._managed(request)
        data = StatusReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.status_report(actor=request.user, project=project, **data.validated_data)
        project.refresh_from_db()
        return Response(KeyProjectOutput(project).data)

    @extend_schema(request=IssueInput, responses={201: IssueOutput})
    @action(detail=True, methods=["post"])
    def issues(self, request: Request, code: str | None = None) -> Response:
        """An issue of the project, optionally linked to the firm's service-desk request by its code."""
        project = self._managed(request)
        data = IssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        issue = services.issue_raise(
            actor=request.user,
            project=project,
            text=data.validated_data["text"],
            department=data.validated_data["department"],
            service_request_code=data.validated_data["service_request"],
            file_request_category=data.validated_data["file_request_category"],
        )
        return Response(IssueOutput(issue).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: MilestoneOutput(many=True)}, methods=["GET"])
    @extend_schema(request=MilestoneInput, responses={201: MilestoneOutput}, methods=["POST"])
    # a plain list (a project has a handful): not paginated, and the schema says so
    @action(detail=True, methods=["get", "post"], url_path="milestones", pagination_class=None)
    def milestones(self, request: Request, code: str | None = None) -> Response:
        """The project's milestones (district staff); a new one (the project's leader and operators)."""
        if request.method == "GET":
            project = self.get_object()
            return Response(MilestoneOutput(project.milestones.all(), many=True).data)
        project = self._managed(request)
        data = MilestoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        milestone = services.milestone_add(actor=request.user, project=project, **data.validated_data)
        return Response(MilestoneOutput(milestone).data, status=status.HTTP_201_CREATED)

    def _milestone(self, request: Request, milestone: str) -> Milestone:
        project = self._managed(request)
        return get_object_or_404(project.milestones.all(), pk=int(milestone))

    @extend_schema(request=MilestoneInput, responses={200: MilestoneOutput})
    @action(detail=True, methods=["patch"], url_path=r"milestones/(?P<milestone>[0-9]{1,9})")
    def milestone(self, request: Request, code: str | None = None, milestone: str = "") -> Response:
        """Correct a milestone's title or planned date (the project's leader and operators)."""
        current = self._milestone(request, milestone)
        data = MilestoneInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.milestone_update(
            actor=request.user,
            milestone=current,
            title=data.validated_data.get("title", current.title),
            due_on=data.validated_data.get("due_on", current.due_on),
        )
        return Response(MilestoneOutput(updated).data)

    @extend_schema(request=MilestoneDoneInput, responses={200: MilestoneOutput})
    @action(detail=True, methods=["post"], url_path=r"milestones/(?P<milestone>[0-9]{1,9})/done")
    def milestone_done(self, request: Request, code: str | None = None, milestone: str = "") -> Response:
        """Mark a milestone done (today unless ``done_on`` is given)."""
        current = self._milestone(request, milestone)
        data = MilestoneDoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        done = services.milestone_done(
            actor=request.user, milestone=current, done_on=data.validated_data.get("done_on")
        )
        return Response(MilestoneOutput(done).data)
