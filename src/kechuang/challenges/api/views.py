"""Challenge API (/api/v1/challenges/…): published challenges are readable anonymously; everything else
needs a signed-in caller and is looked up by its code inside the caller's visibility queryset (another
organization's object is a 404). Every write calls one service; a refused call changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.api.parsers import JSONParser
from kechuang.core.web import acting_organization
from kechuang.directory.models import Organization, Person, TechnologyField

from .. import permissions as perms
from .. import selectors, services
from ..filters import ApplicationFilter, ChallengeFilter
from ..models import Application, Award, Challenge, Milestone
from . import serializers as s

CODE = r"[A-Z]{2}-\d{4}-\d{4,6}"
ERRORS = {
    400: OpenApiResponse(s.ChErrorOutput, description="输入有误或状态不允许"),
    401: OpenApiResponse(s.ChErrorOutput, description="需要登录"),
    403: OpenApiResponse(s.ChErrorOutput, description="无权操作"),
    404: OpenApiResponse(s.ChErrorOutput, description="不存在或不可见"),
}


def documented(output: type) -> Any:
    return extend_schema_view(
        list=extend_schema(responses={200: output(many=True), **ERRORS}),
        retrieve=extend_schema(responses={200: output, **ERRORS}),
    )


class ChallengeAPIMixin:
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = CODE

    def visible(self) -> QuerySet[Any]:  # pragma: no cover - each viewset defines it
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.visible()

    def get_object(self) -> Any:
        return get_object_or_404(self.visible(), code=self.kwargs["code"])

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["user"] = self.request.user  # type: ignore[attr-defined]
        return context


def _valid(serializer_class: Any, request: Request, **kwargs: Any) -> dict[str, Any]:
    data = serializer_class(data=request.data, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _fields(codes: list[str] | None) -> list[int] | None:
    if codes is None:
        return None
    found = dict(TechnologyField.objects.filter(code__in=codes).values_list("code", "pk"))
    missing = [c for c in codes if c not in found]
    if missing:
        raise exceptions.ValidationError({"fields": f"未知的技术领域：{'、'.join(missing)}"})
    return [found[c] for c in codes]


@documented(s.ChallengeOutput)
class ChallengeViewSet(
    ChallengeAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    """榜单. Anonymous callers see published challenges (the public notice)."""

    serializer_class = s.ChallengeOutput
    filterset_class = ChallengeFilter
    lookup_value_regex = r"JB-\d{4}-\d{4,6}"

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve", "progress"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def visible(self) -> QuerySet[Challenge]:
        return selectors.challenge_list(actor=self.request.user).prefetch_related("fields")

    def _out(self, challenge: Challenge) -> Response:
        return Response(s.ChallengeOutput(self.visible().get(pk=challenge.pk)).data)

    @extend_schema(
        request=s.ChallengeInput,
        responses={201: s.ChallengeOutput, **ERRORS},
        description="以当前代表的机构发榜（草稿）。",
    )
    def create(self, request: Request) -> Response:
        organization = acting_organization(request)
        if organization is None or not perms.can_create_challenge(request.user, organization):
            raise PermissionDenied
        data = _valid(s.ChallengeInput, request)
        data["fields"] = _fields(data.get("fields")) or []
        challenge = services.challenge_create(actor=request.user, issuer=organization, **data)
        return Response(
            s.ChallengeOutput(self.visible().get(pk=challenge.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=s.ChallengeUpdateInput, responses={200: s.ChallengeOutput, **ERRORS})
    def partial_update(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        data = _valid(s.ChallengeUpdateInput, request)
        if "fields" in data:
            data["fields"] = _fields(data["fields"])
        return self._out(services.challenge_update(actor=request.user, challenge=challenge, **data))

    @extend_schema(request=None, responses={200: s.ChallengeOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, code: str) -> Response:
        return self._out(services.challenge_submit(actor=request.user, challenge=self.get_object()))

    @extend_schema(request=s.ChReviewInput, responses={200: s.ChallengeOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        data = _valid(s.ChReviewInput, request)
        return self._out(services.challenge_review(actor=request.user, challenge=challenge, **data))

    @extend_schema(request=s.ChReasonInput, responses={200: s.ChallengeOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        data = _valid(s.ChReasonInput, request)
        return self._out(services.challenge_withdraw(actor=request.user, challenge=challenge, **data))

    @extend_schema(request=None, responses={200: s.ChallengeOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str) -> Response:
        return self._out(services.challenge_close(actor=request.user, challenge=self.get_object()))

    @extend_schema(
        request=s.ChApplicationInput,
        responses={201: s.ChApplicationOutput, **ERRORS},
        description="以当前代表的机构揭榜。",
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        organization = acting_organization(request)
        if organization is None:
            raise PermissionDenied
        data = _valid(s.ChApplicationInput, request)
        for name, model in (("co_applicants", Organization), ("team_members", Person)):
            wanted = set(data.pop(name, []) or [])
            found = list(model.objects.filter(pk__in=wanted))
            if len(found) != len(wanted):
                raise exceptions.ValidationError({name: "编号不存在。"})
            data[name] = found
        application = services.application_submit(
            actor=request.user, challenge=challenge, organization=organization, **data
        )
        return Response(s.ChApplicationOutput(application).data, status=status.HTTP_201_CREATED)

    def _panel_out(self, challenge: Challenge) -> Response:
        panel = getattr(challenge, "panel", None)
        if panel is None or not (
            perms.is_staff_reader(self.request.user)
            or perms.panel_visible_to(self.request.user).filter(pk=panel.pk).exists()
        ):
            raise exceptions.NotFound()
        view = selectors.panel_view(actor=self.request.user, panel=panel)
        scores = view.scores if view.closed else list(view.my_scores.values())
        ranking = (
            [
                {"rank": a.rank, "application": a.code, "organization": a.organization.name, "score": a.score}
                for a in view.applications
            ]
            if view.closed
            else []
        )
        return Response(
            s.ChPanelOutput(
                {
                    "challenge": challenge.code,
                    "status": panel.status,
                    "criteria": panel.criteria,
                    "members": [m.expert.name for m in view.members],
                    "scored": view.done,
                    "expected": view.expected,
                    "scores": scores,
                    "ranking": ranking,
                }
            ).data
        )

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: s.ChPanelOutput, **ERRORS},
        description="评审组：评审结束前只返回调用者本人的评分。",
    )
    @extend_schema(
        methods=["POST"],
        request=s.ChPanelInput,
        responses={200: s.ChPanelOutput, **ERRORS},
        description="从专家库组建评审组（利益冲突的专家被拒绝）。",
    )
    @action(detail=True, methods=["get", "post"])
    def panel(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        if request.method == "POST":
            data = _valid(s.ChPanelInput, request)
            experts = list(Person.objects.filter(pk__in=data["experts"]))
            if len(experts) != len(set(data["experts"])):
                raise exceptions.ValidationError({"experts": "专家不存在。"})
            services.panel_build(
                actor=request.user, challenge=challenge, experts=experts, criteria=data.get("criteria")
            )
            challenge = self.get_object()
        return self._panel_out(challenge)

    @extend_schema(request=None, responses={200: s.ChPanelOutput, **ERRORS})
    @action(detail=True, methods=["post"], url_path="close-panel")
    def close_panel(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        panel = getattr(challenge, "panel", None)
        if panel is None:
            raise exceptions.NotFound()
        services.panel_close(actor=request.user, panel=panel)
        return self._panel_out(self.get_object())

    @extend_schema(request=s.ChAwardInput, responses={200: s.ChAwardOutput(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def award(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        data = _valid(s.ChAwardInput, request)
        winners = list(Application.objects.filter(challenge=challenge, code__in=data["winners"]))
        if len(winners) != len(set(data["winners"])):
            raise exceptions.ValidationError({"winners": "所选申请不在本榜。"})
        order = {c: i for i, c in enumerate(data["winners"])}
        winners.sort(key=lambda a: order[a.code])
        awards = services.challenge_award(
            actor=request.user,
            challenge=challenge,
            winners=winners,
            amounts=data.get("amounts"),
            reasons=data.get("reasons"),
        )
        return Response(s.ChAwardOutput(awards, many=True, context={"user": request.user}).data)

    @extend_schema(
        request=None,
        responses={200: s.ChAwardOutput(many=True), **ERRORS},
        description="攻关进展（公开）：立项、里程碑与已拨付金额。",
    )
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        awards = (
            perms.award_visible_to(request.user)
            .filter(challenge=challenge)
            .select_related("challenge", "application__organization")
        )
        return Response(s.ChAwardOutput(awards, many=True, context={"user": request.user}).data)

    @extend_schema(
        request=None,
        responses={200: s.ChCandidateOutput(many=True), **ERRORS},
        description="匹配引擎推荐的揭榜方（发榜单位与运营人员），附推荐理由。",
    )
    @action(detail=True, methods=["get"])
    def candidates(self, request: Request, code: str) -> Response:
        challenge = self.get_object()
        if not (perms.is_operator(request.user) or perms.is_issuer_member(request.user, challenge)):
            raise PermissionDenied
        found = selectors.candidate_solvers(actor=request.user, challenge=challenge)
        rows = []
        for kind, matches in (
            ("organization", found.organizations),
            ("achievement", found.achievements),
            ("expert", found.experts),
        ):
            for m in matches:
                rows.append(
                    {
                        "kind": kind,
                        "name": getattr(m.obj, "title", None) or getattr(m.obj, "name", ""),
                        "score": round(m.score, 4),
                        "reasons": [r["text"] for r in m.reasons],
                    }
                )
        return Response(s.ChCandidateOutput(rows, many=True).data)


@documented(s.ChApplicationOutput)
class ApplicationViewSet(
    ChallengeAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    """揭榜申请: one's own, those to one's own challenges, those an expert reviews (never a conflicted one)."""

    serializer_class = s.ChApplicationOutput
    filterset_class = ApplicationFilter
    lookup_value_regex = r"JS-\d{4}-\d{4,6}"

    def visible(self) -> QuerySet[Application]:
        return selectors.application_list(actor=self.request.user).prefetch_related("attachments")

    @extend_schema(request=None, responses={200: s.ChApplicationOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str) -> Response:
        application = services.application_withdraw(actor=request.user, application=self.get_object())
        return Response(s.ChApplicationOutput(self.visible().get(pk=application.pk)).data)

    @extend_schema(
        request={"multipart/form-data": s.ChAttachmentInput}, responses={201: s.ChAttachmentOutput, **ERRORS}
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request: Request, code: str) -> Response:
        application = self.get_object()
        data = _valid(s.ChAttachmentInput, request)
        attachment = services.attachment_add(actor=request.user, application=application, file=data["file"])
        return Response(s.ChAttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ChScoreInput,
        responses={200: s.ChScoreOutput, **ERRORS},
        description="评审专家评分（0–100，每项指标）；评审结束前可修改，其他人看不到。",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def score(self, request: Request, code: str) -> Response:
        application = self.get_object()
        panel = getattr(application.challenge, "panel", None)
        if panel is None:
            raise exceptions.NotFound()
        data = _valid(s.ChScoreInput, request)
        score = services.score_submit(actor=request.user, panel=panel, application=application, **data)
        return Response(s.ChScoreOutput(score).data)


@documented(s.ChAwardOutput)
class AwardViewSet(
    ChallengeAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    serializer_class = s.ChAwardOutput
    lookup_value_regex = r"LX-\d{4}-\d{4,6}"

    def visible(self) -> QuerySet[Award]:
        return (
            perms.award_visible_to(self.request.user)
            .select_related("challenge", "application__organization")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=s.ChTaskBookInput, responses={200: s.ChAwardOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, code: str) -> Response:
        award = self.get_object()
        data = _valid(s.ChTaskBookInput, request)
        services.task_book_sign(
            actor=request.user,
            award=award,
            task_book=data["task_book"],
            milestones=[dict(m) for m in data["milestones"]],
        )
        return Response(s.ChAwardOutput(self.visible().get(pk=award.pk), context={"user": request.user}).data)


@documented(s.ChMilestoneOutput)
class MilestoneViewSet(
    ChallengeAPIMixin, viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin
):
    """里程碑与拨付: deliver (solver), accept (issuer), request (operator), pay (a different operator or a
    leader)."""

    serializer_class = s.ChMilestoneOutput
    lookup_value_regex = r"BF-\d{4}-\d{4,6}"

    def visible(self) -> QuerySet[Milestone]:
        return (
            perms.milestone_visible_to(self.request.user)
            .select_related("award", "payment")
            .order_by("award_id", "sequence")
        )

    def _out(self, milestone: Milestone) -> Response:
        return Response(s.ChMilestoneOutput(self.visible().get(pk=milestone.pk)).data)

    @extend_schema(request=s.ChNoteInput, responses={200: s.ChMilestoneOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def deliver(self, request: Request, code: str) -> Response:
        milestone = self.get_object()
        data = _valid(s.ChNoteInput, request)
        return self._out(services.milestone_deliver(actor=request.user, milestone=milestone, **data))

    @extend_schema(request=s.ChAcceptInput, responses={200: s.ChMilestoneOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, code: str) -> Response:
        milestone = self.get_object()
        data = _valid(s.ChAcceptInput, request)
        return self._out(services.milestone_accept(actor=request.user, milestone=milestone, **data))

    @extend_schema(request=None, responses={200: s.ChMilestoneOutput, **ERRORS})
    @action(detail=True, methods=["post"], url_path="request-payment")
    def request_payment(self, request: Request, code: str) -> Response:
        return self._out(services.tranche_request(actor=request.user, milestone=self.get_object()))

    @extend_schema(request=s.ChReturnInput, responses={200: s.ChMilestoneOutput, **ERRORS})
    @action(detail=True, methods=["post"], url_path="return-payment")
    def return_payment(self, request: Request, code: str) -> Response:
        """The checker sends a requested tranche back with a reason (never the requester)."""
        data = _valid(s.ChReturnInput, request)
        return self._out(services.tranche_return(actor=request.user, milestone=self.get_object(), **data))

    @extend_schema(request=None, responses={200: s.ChMilestoneOutput, **ERRORS})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, code: str) -> Response:
        milestone = self.get_object()
        services.tranche_pay(actor=request.user, milestone=milestone)
        return self._out(milestone)
