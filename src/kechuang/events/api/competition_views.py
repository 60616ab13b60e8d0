"""Competitions API (/api/v1/competitions/…): the public reads competitions and, from the 公示 on, the
ranked results; entrants enter; judges score (blind, recused from conflicts) and read their sheets;
anyone signed in objects during the 公示; operators run the steps (open and close entries, eligibility,
a round's panel opened and closed, 公示, objections, finalising, prizes, the after-prize offer); investors
and teams meet in the roadshow. Each write through one service; objects by public code."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kechuang.core.web import acting_organization
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization, Person

from .. import permissions as perms
from .. import selectors, services
from ..models import Aftercare, Competition, Entry, JudgingPanel, Meeting, Objection, Track
from .serializers import (
    AftercareAnswerInput,
    AftercareOfferInput,
    AftercareOutput,
    CompetitionErrorOutput,
    CompetitionOutput,
    CompetitionPanelInput,
    CompetitionPanelOutput,
    EntryCodeInput,
    EntryInput,
    EntryOutput,
    EntryScreenInput,
    ObjectionInput,
    ObjectionOutput,
    ObjectionResolveInput,
    PrizePaymentOutput,
    RoadshowEntryOutput,
    RoadshowInterestInput,
    RoadshowInterestOutput,
    RoadshowMeetingAnswerInput,
    RoadshowMeetingInput,
    RoadshowMeetingOutput,
    RoadshowOutcomeInput,
    RoadshowOutcomeOutput,
    ScoreInput,
    ScoreOutput,
)

COMPETITION_CODE = r"DS-[0-9]{4}-[0-9]{4,6}"
# A step asked of a competition, entry or meeting in the wrong state (core.errors.Conflict).
CONFLICT = OpenApiResponse(response=CompetitionErrorOutput, description="当前状态不能进行这一步")


class CompetitionViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """大赛: public reads; entering, scoring and objecting need a signed-in caller."""

    serializer_class = CompetitionOutput
    lookup_field = "code"
    lookup_value_regex = COMPETITION_CODE

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve", "entries"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self) -> Any:
        return selectors.competition_list(actor=self.request.user).prefetch_related("tracks__prizes")

    def _competition(self) -> Competition:
        return self.get_object()  # type: ignore[no-any-return]

    @extend_schema(responses={200: EntryOutput(many=True)})
    @action(detail=True, methods=["get"])
    def entries(self, request: Request, code: str | None = None) -> Response:
        """The entries the caller may see: the ranked results from the 公示 on for everyone, one's own,
        a judge's panels' (less conflicts), every entry for operators and leaders."""
        competition = self._competition()
        rows = (
            perms.entry_visible_to(request.user)
            .filter(competition=competition)
            .select_related("competition", "track", "organization", "prize")
            .order_by("track__sort_order", "rank", "pk")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EntryOutput(page, many=True).data)

    @extend_schema(request=EntryInput, responses={201: EntryOutput})
    @action(detail=True, methods=["post"], url_path="enter")
    def enter(self, request: Request, code: str | None = None) -> Response:
        competition = self._competition()
        data = EntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        track = Track.objects.filter(competition=competition, pk=data.validated_data["track"]).first()
        if track is None:
            return Response({"track": ["赛道不属于该大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        entry = services.entry_submit(
            actor=request.user,
            competition=competition,
            track=track,
            organization=data.validated_data["organization"],
            details=services.EntryDetails(
                project=data.validated_data["project"],
                summary=data.validated_data["summary"],
                team=data.validated_data["team"],
                business_plan=data.validated_data["business_plan"],
                ip_summary=data.validated_data["ip_summary"],
            ),
        )
        return Response(EntryOutput(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectionInput, responses={201: ObjectionOutput})
    @action(detail=True, methods=["post"])
    def objections(self, request: Request, code: str | None = None) -> Response:
        competition = self._competition()
        data = ObjectionInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = None
        if data.validated_data["entry"]:
            entry = Entry.objects.filter(competition=competition, code=data.validated_data["entry"]).first()
            if entry is None:
                return Response({"entry": ["该项目不属于这场大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        objection = services.objection_file(
            actor=request.user, competition=competition, entry=entry, reason=data.validated_data["reason"]
        )
        return Response(ObjectionOutput(objection).data, status=status.HTTP_201_CREATED)

    # --- the operators' steps (each refused with 403 for anyone but an operator, by the service) ---------

    def _step(self, request: Request, step: Any) -> Response:
        competition = step(actor=request.user, competition=self._competition())
        return Response(CompetitionOutput(competition).data)

    @extend_schema(request=None, responses={200: CompetitionOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="open")
    def open_entries(self, request: Request, code: str | None = None) -> Response:
        """Open the entries (筹备中 → 报名中)."""
        return self._step(request, services.competition_open)

    @extend_schema(request=None, responses={200: CompetitionOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="close-entries")
    def close_entries(self, request: Request, code: str | None = None) -> Response:
        """Close the entries; the eligibility check follows (报名中 → 资格审查)."""
        return self._step(request, services.competition_close_entries)

    @extend_schema(request=EntryScreenInput, responses={200: EntryOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def screen(self, request: Request, code: str | None = None) -> Response:
        """The eligibility check of one entry; a refusal needs its reason (note)."""
        competition = self._competition()
        data = EntryScreenInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = Entry.objects.filter(competition=competition, code=data.validated_data["entry"]).first()
        if entry is None:
            return Response({"entry": ["该项目不属于这场大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        entry = services.entry_screen(
            actor=request.user,
            entry=entry,
            eligible=data.validated_data["eligible"],
            note=data.validated_data["note"],
        )
        return Response(EntryOutput(entry).data)

    @extend_schema(request=CompetitionPanelInput, responses={201: CompetitionPanelOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def panels(self, request: Request, code: str | None = None) -> Response:
        """Open a round for a track: its expert panel (judges in conflict are recused entry by entry)."""
        competition = self._competition()
        data = CompetitionPanelInput(data=request.data)
        data.is_valid(raise_exception=True)
        track = Track.objects.filter(competition=competition, pk=data.validated_data["track"]).first()
        if track is None:
            return Response({"track": ["赛道不属于该大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        wanted = list(dict.fromkeys(data.validated_data["experts"]))
        experts = list(Person.objects.filter(pk__in=wanted))
        if len(experts) != len(wanted):
            return Response({"experts": ["专家不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
        criteria = [dict(c) for c in data.validated_data.get("criteria") or []] or None
        panel = services.panel_build(
            actor=request.user,
            track=track,
            round=data.validated_data["round"],
            experts=experts,
            criteria=criteria,
        )
        return Response(CompetitionPanelOutput(panel).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CompetitionOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def publicize(self, request: Request, code: str | None = None) -> Response:
        """Publish the result for public notice (公示) of N working days."""
        return self._step(request, services.competition_publicize)

    @extend_schema(request=ObjectionResolveInput, responses={200: ObjectionOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path="resolve-objection")
    def resolve_objection(self, request: Request, code: str | None = None) -> Response:
        """Uphold (the defence reopens) or dismiss an objection filed during the 公示."""
        competition = self._competition()
        data = ObjectionResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        objection = Objection.objects.filter(
            competition=competition, code=data.validated_data["objection"]
        ).first()
        if objection is None:
            return Response({"objection": ["该异议不属于这场大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        objection = services.objection_resolve(
            actor=request.user,
            objection=objection,
            upheld=data.validated_data["upheld"],
            resolution=data.validated_data["resolution"],
        )
        return Response(ObjectionOutput(objection).data)

    @extend_schema(request=None, responses={200: CompetitionOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def finalize(self, request: Request, code: str | None = None) -> Response:
        """After the 公示 with no open objection: the result is final and the prizes are committed."""
        return self._step(request, services.competition_finalize)

    def _entry(self, request: Request) -> Entry | None:
        data = EntryCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Entry.objects.filter(
            competition=self._competition(), code=data.validated_data["entry"]
        ).first()

    @extend_schema(request=EntryCodeInput, responses={201: PrizePaymentOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, code: str | None = None) -> Response:
        """Pay the next tranche of a winner's prize through the ledger."""
        entry = self._entry(request)
        if entry is None:
            return Response({"entry": ["该项目不属于这场大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        payment = services.prize_pay(actor=request.user, entry=entry)
        return Response(PrizePaymentOutput(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AftercareOfferInput, responses={201: AftercareOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def aftercare(self, request: Request, code: str | None = None) -> Response:
        """Offer a winner the after-prize services in one step (a commissioner now; a space request and a
        voucher application for the winner to file)."""
        from django.contrib.auth import get_user_model

        data = AftercareOfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = Entry.objects.filter(
            competition=self._competition(), code=data.validated_data["entry"]
        ).first()
        if entry is None:
            return Response({"entry": ["该项目不属于这场大赛。"]}, status=status.HTTP_400_BAD_REQUEST)
        commissioner = None
        if data.validated_data["commissioner"]:
            commissioner = get_user_model().objects.filter(pk=data.validated_data["commissioner"]).first()
            if commissioner is None:
                return Response({"commissioner": ["用户不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
        aftercare = services.aftercare_offer(actor=request.user, entry=entry, commissioner=commissioner)
        return Response(AftercareOutput(aftercare).data, status=status.HTTP_201_CREATED)


class PanelViewSet(viewsets.GenericViewSet):
    """评审组: a judge's own sheets (all sheets once the panel closes, to its judges and staff readers) and
    scoring."""

    permission_classes = [IsAuthenticated]
    serializer_class = ScoreOutput
    queryset = JudgingPanel.objects.none()  # the schema's model; panels are looked up in _panel
    lookup_value_regex = r"[0-9]{1,9}"

    def _panel(self, pk: str | None) -> JudgingPanel:
        panel = JudgingPanel.objects.select_related("track").filter(pk=int(pk or 0)).first()
        person = perms.expert_person(self.request.user)
        if panel is None or not (
            perms.reads_all(self.request.user)
            or (person is not None and panel.judges.filter(expert=person).exists())
        ):
            raise NotFound()
        return panel

    @extend_schema(responses={200: ScoreOutput(many=True)})
    @action(detail=True, methods=["get"])
    def scores(self, request: Request, pk: str | None = None) -> Response:
        panel = self._panel(pk)
        rows = (
            perms.entry_score_visible_to(request.user)
            .filter(judge__panel=panel)
            .select_related("entry", "judge__expert")
            .order_by("entry_id", "judge_id")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ScoreOutput(page, many=True).data)

    @extend_schema(request=ScoreInput, responses={200: ScoreOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def score(self, request: Request, pk: str | None = None) -> Response:
        panel = self._panel(pk)
        data = ScoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = Entry.objects.filter(track=panel.track, code=data.validated_data["entry"]).first()
        if entry is None:
            return Response(
                {"entry": ["该项目不在本评审组的评审范围内。"]}, status=status.HTTP_400_BAD_REQUEST
            )
        score = services.entry_score_submit(
            actor=request.user,
            panel=panel,
            entry=entry,
            values=dict(data.validated_data["values"]),
            comment=data.validated_data["comment"],
        )
        return Response(ScoreOutput(score).data)

    @extend_schema(request=None, responses={200: CompetitionPanelOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close a round's panel (every sheet in): the round's ranking is computed (operators only)."""
        panel = self._panel(pk)
        panel = services.panel_close(actor=request.user, panel=panel)
        return Response(CompetitionPanelOutput(panel).data)


# --- roadshows -------------------------------------------------------------------------------------------


def _investor(request: Request, pk: int | None) -> Organization | None:
    if pk:
        return Organization.objects.filter(pk=pk, kind=OrganizationKind.INVESTOR).first()
    return selectors.investor_acted_for(request.user, acting_organization(request))


def _roadshow_entry(request: Request, code: str) -> Entry | None:
    entry = perms.roadshow_entries_visible_to(request.user).filter(code=code).first()
    if entry is None:
        entry = Entry.objects.filter(
            code=code, organization_id__in=perms.team_organization_ids(request.user)
        ).first()
    return entry


NOT_FOUND = "参赛项目不存在或不在路演中。"


class RoadshowEntryViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """路演项目: the finalists and ranked entries investors may consider (investors' members, operators and
    leaders; an empty list for anyone else)."""

    permission_classes = [IsAuthenticated]
    serializer_class = RoadshowEntryOutput
    lookup_field = "code"

    def get_queryset(self) -> Any:
        return (
            perms.roadshow_entries_visible_to(self.request.user)
            .select_related("competition", "track", "organization", "prize")
            .order_by("-competition__created_at", "track__sort_order", "rank", "pk")
        )


class InterestViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """投资意向: an investor's interests, a team's received interests, all for operators and leaders."""

    permission_classes = [IsAuthenticated]
    serializer_class = RoadshowInterestOutput

    def get_queryset(self) -> Any:
        return (
            perms.interest_visible_to(self.request.user)
            .select_related("investor", "entry")
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=RoadshowInterestInput, responses={201: RoadshowInterestOutput, 409: CONFLICT})
    def create(self, request: Request) -> Response:
        data = RoadshowInterestInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = _roadshow_entry(request, data.validated_data["entry"])
        if entry is None:
            raise NotFound(NOT_FOUND)
        investor = selectors.investor_acted_for(request.user, acting_organization(request))
        if investor is None:
            raise PermissionDenied("只有投资机构成员可以关注参赛项目。")
        interest = services.interest_register(
            actor=request.user, entry=entry, investor=investor, note=data.validated_data["note"]
        )
        return Response(RoadshowInterestOutput(interest).data, status=status.HTTP_201_CREATED)


class MeetingViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """路演约谈: requests between investors and teams, answered by the other side."""

    permission_classes = [IsAuthenticated]
    serializer_class = RoadshowMeetingOutput
    lookup_field = "code"
    lookup_value_regex = r"YT-[0-9]{4}-[0-9]{4,6}"

    def get_queryset(self) -> Any:
        return (
            perms.meeting_visible_to(self.request.user)
            .select_related("investor", "entry")
            .order_by("-requested_at", "-id")
        )

    @extend_schema(request=RoadshowMeetingInput, responses={201: RoadshowMeetingOutput, 409: CONFLICT})
    def create(self, request: Request) -> Response:
        data = RoadshowMeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = _roadshow_entry(request, data.validated_data["entry"])
        if entry is None:
            raise NotFound(NOT_FOUND)
        investor = _investor(request, data.validated_data["investor"])
        if investor is None:
            return Response({"investor": ["投资机构不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
        meeting = services.meeting_request(
            actor=request.user,
            entry=entry,
            investor=investor,
            proposed_at=data.validated_data["proposed_at"],
            place=data.validated_data["place"],
            message=data.validated_data["message"],
        )
        return Response(RoadshowMeetingOutput(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoadshowMeetingAnswerInput, responses={200: RoadshowMeetingOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, code: str | None = None) -> Response:
        meeting: Meeting = self.get_object()
        data = RoadshowMeetingAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_answer(actor=request.user, meeting=meeting, **data.validated_data)
        return Response(RoadshowMeetingOutput(meeting).data)

    @extend_schema(request=None, responses={200: RoadshowMeetingOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, code: str | None = None) -> Response:
        meeting = services.meeting_withdraw(actor=request.user, meeting=self.get_object())
        return Response(RoadshowMeetingOutput(meeting).data)


class OutcomeViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """路演对接结果: follow-up, term sheet, investment (amount in fen) or a pass."""

    permission_classes = [IsAuthenticated]
    serializer_class = RoadshowOutcomeOutput

    def get_queryset(self) -> Any:
        return (
            perms.outcome_visible_to(self.request.user)
            .select_related("investor", "entry", "meeting")
            .order_by("-occurred_on", "-id")
        )

    @extend_schema(request=RoadshowOutcomeInput, responses={201: RoadshowOutcomeOutput, 409: CONFLICT})
    def create(self, request: Request) -> Response:
        data = RoadshowOutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        entry = _roadshow_entry(request, values["entry"])
        if entry is None and perms.is_operator(request.user):
            entry = Entry.objects.filter(code=values["entry"]).first()
        if entry is None:
            raise NotFound(NOT_FOUND)
        investor = _investor(request, values["investor"])
        if investor is None:
            return Response({"investor": ["投资机构不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
        meeting = None
        if values["meeting"]:
            meeting = perms.meeting_visible_to(request.user).filter(code=values["meeting"]).first()
            if meeting is None:
                return Response({"meeting": ["约谈不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
        outcome = services.outcome_record(
            actor=request.user,
            entry=entry,
            investor=investor,
            kind=values["kind"],
            amount_fen=values.get("amount_fen") or 0,
            occurred_on=values["occurred_on"],
            note=values["note"],
            meeting=meeting,
        )
        return Response(RoadshowOutcomeOutput(outcome).data, status=status.HTTP_201_CREATED)


class AftercareViewSet(viewsets.GenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """赛后服务: a winner's offer (by its entry's code) and the winner's one-step answer."""

    permission_classes = [IsAuthenticated]
    serializer_class = AftercareOutput
    lookup_field = "entry__code"
    lookup_url_kwarg = "code"
    lookup_value_regex = r"CS-[0-9]{4}-[0-9]{4,6}"

    def get_queryset(self) -> Any:
        return (
            perms.aftercare_visible_to(self.request.user)
            .select_related("entry", "assignment__user", "space_request", "voucher_application")
            .order_by("-offered_at", "-id")
        )

    @extend_schema(request=AftercareAnswerInput, responses={200: AftercareOutput, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, code: str | None = None) -> Response:
        """The space request and the voucher application in one step (either may be null; both null
        declines)."""
        from kechuang.vouchers.models import Scheme

        aftercare: Aftercare = self.get_object()
        data = AftercareAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        space = voucher = None
        if data.validated_data.get("space"):
            space = services.SpaceAsk(**data.validated_data["space"])
        if data.validated_data.get("voucher"):
            wanted = data.validated_data["voucher"]
            scheme = Scheme.objects.filter(code=wanted["scheme"]).first()
            if scheme is None:
                return Response({"voucher": ["创新券批次不存在。"]}, status=status.HTTP_400_BAD_REQUEST)
            voucher = services.VoucherAsk(
                scheme=scheme, requested_fen=wanted["requested_fen"], purpose=wanted["purpose"]
            )
        aftercare = services.aftercare_accept(
            actor=request.user, aftercare=aftercare, space=space, voucher=voucher
        )
        return Response(AftercareOutput(aftercare).data)
