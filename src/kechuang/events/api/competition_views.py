"""Competitions API (/api/v1/competitions/…): the public reads competitions and, from the 公示 on, the
ranked results; entrants enter; judges score (blind, recused from conflicts) and read their sheets;
anyone signed in objects during the 公示. Each write through one service; objects by public code."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from .. import permissions as perms
from .. import selectors, services
from ..models import Competition, Entry, JudgingPanel, Track
from .serializers import (
    CompetitionOutput,
    EntryInput,
    EntryOutput,
    ObjectionInput,
    ObjectionOutput,
    ScoreInput,
    ScoreOutput,
)

COMPETITION_CODE = r"DS-[0-9]{4}-[0-9]{4,6}"


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

    @extend_schema(request=ScoreInput, responses={200: ScoreOutput})
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
