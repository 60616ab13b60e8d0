"""Transfer API: reads from the visibility querysets (FilterSets shared with the web lists), each write
through one service. Objects are addressed by their public codes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kechuang.core.api import require_login
from kechuang.core.web import acting_organization

from .. import selectors, services
from ..filters import AchievementFilter, DemandFilter
from ..permissions import (
    achievement_visible_to,
    can_create_achievement,
    can_create_demand,
    contract_visible_to,
    deal_visible_to,
    demand_visible_to,
    interest_visible_to,
)
from .serializers import (
    AchievementInput,
    AchievementOutput,
    ContractInput,
    ContractOutput,
    DealAdvanceInput,
    DealCreateInput,
    DealNoteInput,
    DealNoteOutput,
    DealOutput,
    DemandInput,
    DemandOutput,
    InterestCreateInput,
    InterestInput,
    InterestOutput,
    RecommendationsOutput,
    RespondInput,
    ReviewInput,
    SearchOutput,
    TransitionInput,
    match_data,
)

ERROR = inline_serializer("TransferError", {"detail": serializers.CharField()})
VALIDATION_ERROR = inline_serializer(
    "TransferValidationError",
    {"non_field_errors": serializers.ListField(child=serializers.CharField(), required=False)},
)
WRITE_ERRORS = {400: VALIDATION_ERROR, 401: ERROR, 403: ERROR, 404: ERROR}


def _denied(error: DjangoPermissionDenied) -> PermissionDenied:
    return PermissionDenied(str(error) or None)


class ListingViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Published listings are readable anonymously (``public`` ones); writes need the right role."""

    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"
    permission_classes = [AllowAny]
    kind = "achievement"

    def _visible(self) -> Any:
        return (
            achievement_visible_to(self.request.user)
            if self.kind == "achievement"
            else demand_visible_to(self.request.user)
        )

    def get_queryset(self) -> Any:
        return (
            self._visible()
            .select_related("organization")
            .prefetch_related("fields")
            .order_by("-published_at", "-id")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["with_contact"] = self.action != "list"
        return context

    def _listing(self, code: str) -> Any:
        return get_object_or_404(self.get_queryset(), code=code)

    def _out(self, listing: Any, code: int = status.HTTP_200_OK) -> Response:
        serializer = self.get_serializer_class()(listing, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def _create(self, request: Request, input_cls: type, service: Any, can_create: Any) -> Response:
        require_login(request)
        if not can_create(request.user):
            raise PermissionDenied("您的角色不能发布。")
        data = input_cls(data=request.data)
        data.is_valid(raise_exception=True)
        organization = acting_organization(request)
        if organization is None:
            raise PermissionDenied("请先选择您所代表的机构。")
        try:
            listing = service(actor=request.user, organization=organization, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return self._out(self._visible().get(pk=listing.pk), status.HTTP_201_CREATED)

    def _update(self, request: Request, code: str, input_cls: type, service: Any) -> Response:
        require_login(request)
        listing = self._listing(code)
        data = input_cls(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            listing = service(actor=request.user, **{self.kind: listing}, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return self._out(self._visible().get(pk=listing.pk))

    def _transition(self, request: Request, code: str) -> Response:
        require_login(request)
        listing = self._listing(code)
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = (
            services.achievement_transition if self.kind == "achievement" else services.demand_transition
        )
        try:
            listing = service(actor=request.user, **{self.kind: listing}, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        visible = self._visible().filter(pk=listing.pk).first()
        return self._out(visible) if visible else Response(status=status.HTTP_204_NO_CONTENT)

    def _review(self, request: Request, code: str) -> Response:
        require_login(request)
        listing = self._listing(code)
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.achievement_review if self.kind == "achievement" else services.demand_review
        try:
            listing = service(actor=request.user, **{self.kind: listing}, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return self._out(self._visible().get(pk=listing.pk))

    def _interest(self, request: Request, code: str) -> Response:
        require_login(request)
        listing = self._listing(code)
        data = InterestInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            interest = services.interest_express(
                actor=request.user,
                listing=listing,
                organization=acting_organization(request),
                **data.validated_data,
            )
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(InterestOutput(interest).data, status=status.HTTP_201_CREATED)


class AchievementViewSet(ListingViewSet):
    serializer_class = AchievementOutput
    filterset_class = AchievementFilter
    kind = "achievement"

    @extend_schema(
        request=AchievementInput,
        responses={201: AchievementOutput, **WRITE_ERRORS},
        summary="发布科技成果（草稿）",
    )
    def create(self, request: Request) -> Response:
        return self._create(request, AchievementInput, services.achievement_create, can_create_achievement)

    @extend_schema(
        request=AchievementInput,
        responses={200: AchievementOutput, **WRITE_ERRORS},
        summary="修改科技成果（草稿或退回状态）",
    )
    def partial_update(self, request: Request, code: str) -> Response:
        return self._update(request, code, AchievementInput, services.achievement_update)

    @extend_schema(
        request=TransitionInput,
        responses={200: AchievementOutput, 204: None, **WRITE_ERRORS},
        summary="变更状态（提交、撤回、洽谈中、已转化、归档……）",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, code: str) -> Response:
        return self._transition(request, code)

    @extend_schema(
        request=ReviewInput, responses={200: AchievementOutput, **WRITE_ERRORS}, summary="运营审核"
    )
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str) -> Response:
        return self._review(request, code)

    @extend_schema(request=InterestInput, responses={201: InterestOutput, **WRITE_ERRORS}, summary="表达意向")
    @action(detail=True, methods=["post"])
    def interest(self, request: Request, code: str) -> Response:
        return self._interest(request, code)

    @extend_schema(
        responses={200: RecommendationsOutput, 401: ERROR, 403: ERROR, 404: ERROR},
        summary="可能需要这项成果的企业与需求（仅发布方与运营）",
    )
    @action(detail=True, methods=["get"])
    def recommendations(self, request: Request, code: str) -> Response:
        require_login(request)
        listing = self._listing(code)
        from ..permissions import is_member_of, is_operator

        if not (is_member_of(request.user, listing.organization_id) or is_operator(request.user)):
            raise PermissionDenied("只有发布机构和运营人员可以查看推荐。")
        recs = selectors.achievement_recommendations(actor=request.user, achievement=listing)
        return Response(
            {
                "primary": [match_data(m) for m in recs.primary],
                "organizations": [match_data(m) for m in recs.organizations],
                "experts": [],
            }
        )


class DemandViewSet(ListingViewSet):
    serializer_class = DemandOutput
    filterset_class = DemandFilter
    kind = "demand"

    @extend_schema(
        request=DemandInput, responses={201: DemandOutput, **WRITE_ERRORS}, summary="发布技术需求（草稿）"
    )
    def create(self, request: Request) -> Response:
        return self._create(request, DemandInput, services.demand_create, can_create_demand)

    @extend_schema(
        request=DemandInput,
        responses={200: DemandOutput, **WRITE_ERRORS},
        summary="修改技术需求（草稿或退回状态）",
    )
    def partial_update(self, request: Request, code: str) -> Response:
        return self._update(request, code, DemandInput, services.demand_update)

    @extend_schema(
        request=TransitionInput, responses={200: DemandOutput, 204: None, **WRITE_ERRORS}, summary="变更状态"
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, code: str) -> Response:
        return self._transition(request, code)

    @extend_schema(request=ReviewInput, responses={200: DemandOutput, **WRITE_ERRORS}, summary="运营审核")
    @action(detail=True, methods=["post"])
    def review(self, request: Request, code: str) -> Response:
        return self._review(request, code)

    @extend_schema(
        request=InterestInput,
        responses={201: InterestOutput, **WRITE_ERRORS},
        summary="表达意向（揭榜/应答）",
    )
    @action(detail=True, methods=["post"])
    def interest(self, request: Request, code: str) -> Response:
        return self._interest(request, code)

    @extend_schema(
        responses={200: RecommendationsOutput, 401: ERROR, 404: ERROR},
        summary="推荐成果、院所与专家，附匹配理由",
    )
    @action(detail=True, methods=["get"])
    def recommendations(self, request: Request, code: str) -> Response:
        require_login(request)
        listing = self._listing(code)
        recs = selectors.demand_recommendations(actor=request.user, demand=listing)
        return Response(
            {
                "primary": [match_data(m) for m in recs.primary],
                "organizations": [match_data(m) for m in recs.organizations],
                "experts": [match_data(m) for m in recs.experts],
            }
        )


class InterestViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Interests the user's organizations sent or received (operators: all)."""

    serializer_class = InterestOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"

    def get_queryset(self) -> Any:
        return (
            interest_visible_to(self.request.user)
            .select_related("organization", "achievement", "demand")
            .order_by("-created_at", "-id")
        )

    @extend_schema(
        request=InterestCreateInput, responses={201: InterestOutput, **WRITE_ERRORS}, summary="表达意向"
    )
    def create(self, request: Request) -> Response:
        data = InterestCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        achievement_code, demand_code = values.pop("achievement", ""), values.pop("demand", "")
        if achievement_code:
            listing: Any = get_object_or_404(achievement_visible_to(request.user), code=achievement_code)
        else:
            listing = get_object_or_404(demand_visible_to(request.user), code=demand_code)
        try:
            interest = services.interest_express(
                actor=request.user, listing=listing, organization=acting_organization(request), **values
            )
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(InterestOutput(interest).data, status=status.HTTP_201_CREATED)

    def _respond(self, request: Request, code: str, service: Any, with_note: bool = True) -> Response:
        interest = get_object_or_404(self.get_queryset(), code=code)
        data = RespondInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            if with_note:
                interest = service(actor=request.user, interest=interest, **data.validated_data)
            else:
                interest = service(actor=request.user, interest=interest)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(InterestOutput(interest).data)

    @extend_schema(
        request=RespondInput,
        responses={200: InterestOutput, **WRITE_ERRORS},
        summary="接受意向（向对方开放联系方式，建立对接项目）",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, code: str) -> Response:
        return self._respond(request, code, services.interest_accept)

    @extend_schema(request=RespondInput, responses={200: InterestOutput, **WRITE_ERRORS}, summary="婉拒意向")
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, code: str) -> Response:
        return self._respond(request, code, services.interest_decline)

    @extend_schema(request=RespondInput, responses={200: InterestOutput, **WRITE_ERRORS}, summary="撤回意向")
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str) -> Response:
        return self._respond(request, code, services.interest_withdraw, with_note=False)


class DealViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Deals visible to both parties, operators and leaders; operators open and move them."""

    serializer_class = DealOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"
    filterset_fields = ["stage"]

    def get_queryset(self) -> Any:
        return (
            deal_visible_to(self.request.user)
            .select_related("supplier", "buyer", "owner", "achievement", "demand")
            .order_by("-updated_at", "-id")
        )

    @extend_schema(
        request=DealCreateInput, responses={201: DealOutput, **WRITE_ERRORS}, summary="建立对接项目（运营）"
    )
    def create(self, request: Request) -> Response:
        data = DealCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            deal = services.deal_create(actor=request.user, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(DealOutput(deal).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DealAdvanceInput, responses={200: DealOutput, **WRITE_ERRORS}, summary="推进阶段（运营）"
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, code: str) -> Response:
        deal = get_object_or_404(self.get_queryset(), code=code)
        data = DealAdvanceInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            deal = services.deal_advance(
                actor=request.user,
                deal=deal,
                stage=values["stage"],
                note=values.get("note", ""),
                next_step=values.get("next_step"),
                next_step_due=values.get("next_step_due"),
            )
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(DealOutput(deal).data)

    @extend_schema(
        request=DealNoteInput, responses={201: DealNoteOutput, **WRITE_ERRORS}, summary="添加对接记录"
    )
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, code: str) -> Response:
        deal = get_object_or_404(self.get_queryset(), code=code)
        data = DealNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            note = services.deal_note_add(actor=request.user, deal=deal, **data.validated_data)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(DealNoteOutput(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: DealNoteOutput(many=True), 404: ERROR}, summary="对接记录")
    @notes.mapping.get
    def list_notes(self, request: Request, code: str) -> Response:
        deal = get_object_or_404(self.get_queryset(), code=code)
        return Response(DealNoteOutput(deal.notes.select_related("author")[:200], many=True).data)


class ContractViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = ContractOutput
    permission_classes = [IsAuthenticated]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9\-]{1,32}"
    filterset_fields = ["contract_type"]

    def get_queryset(self) -> Any:
        return (
            contract_visible_to(self.request.user)
            .select_related("seller", "buyer", "deal")
            .order_by("-signed_on", "-id")
        )

    @extend_schema(
        request=ContractInput, responses={201: ContractOutput, **WRITE_ERRORS}, summary="技术合同登记（运营）"
    )
    def create(self, request: Request) -> Response:
        data = ContractInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        deal_code = values.pop("deal", "")
        deal = get_object_or_404(deal_visible_to(request.user), code=deal_code) if deal_code else None
        try:
            contract = services.contract_register(actor=request.user, deal=deal, **values)
        except DjangoPermissionDenied as error:
            raise _denied(error) from None
        return Response(ContractOutput(contract).data, status=status.HTTP_201_CREATED)


class SearchView(APIView):
    """Free-text search across everything the user may see (achievements, demands, organizations,
    experts, public challenges), with matched terms and reasons."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description="查询文本"),
            OpenApiParameter(
                "kind",
                str,
                required=False,
                enum=["achievement", "demand", "organization", "expert", "challenge", "instrument"],
            ),
        ],
        responses={200: SearchOutput, 400: ERROR},
        summary="全站搜索",
    )
    def get(self, request: Request) -> Response:
        query = (request.query_params.get("q") or "").replace("\x00", "").strip()[:200]
        if not query:
            return Response({"detail": "请提供查询文本 q。"}, status=status.HTTP_400_BAD_REQUEST)
        kind = request.query_params.get("kind") or ""
        kinds = [kind] if kind in selectors.search_kinds() else None
        results = selectors.search(actor=request.user, query=query, kinds=kinds)
        return Response({"query": query, "results": [match_data(m) for m in results]})
