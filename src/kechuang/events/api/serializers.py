"""Events API shapes: separate input and output serializers; objects by public code."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.money import fen_serializer_field
from kechuang.directory.models import Building, Organization, Person

from ..choices import Audience, EventKind, Height, OutcomeKind, Round, VenueKind
from ..models import (
    Aftercare,
    Competition,
    Entry,
    EntryScore,
    Event,
    EventSeries,
    Feedback,
    InvestorInterest,
    JudgingPanel,
    Meeting,
    Objection,
    Prize,
    PrizePayment,
    Registration,
    RoadshowOutcome,
    Speaker,
    Track,
)
from ..services import EventDetails, SpeakerInput


def _no_nul(attrs: dict[str, Any]) -> dict[str, Any]:
    for key, value in attrs.items():
        if isinstance(value, str) and "\x00" in value:
            raise serializers.ValidationError({key: _("不能包含空字符。")})
    return attrs


class CleanInput(serializers.Serializer):
    """An input whose text fields may not hold a NUL character (docs/reliability.md K2)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _no_nul(attrs)


class SeriesOutput(serializers.ModelSerializer):
    class Meta:
        model = EventSeries
        fields = ["id", "name", "kind", "description", "from_profile"]


class SpeakerOutput(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    person = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Speaker
        fields = ["name", "person", "guest_affiliation", "topic"]


class EventOutput(serializers.ModelSerializer):
    series = serializers.CharField(source="series.name", read_only=True, allow_null=True, default=None)
    organizer = serializers.CharField(source="organizer.name", read_only=True)
    building = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    venue = serializers.CharField(source="venue_text", read_only=True)
    confirmed = serializers.IntegerField(read_only=True, default=0)
    waiting = serializers.IntegerField(read_only=True, default=0)
    speakers = SpeakerOutput(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "code",
            "title",
            "kind",
            "series",
            "summary",
            "agenda",
            "venue_kind",
            "building",
            "amenity",
            "venue",
            "starts_at",
            "ends_at",
            "capacity",
            "confirmed",
            "waiting",
            "audience",
            "height",
            "organizer",
            "status",
            "speakers",
        ]


class SpeakerInputSerializer(serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(), required=False, allow_null=True
    )
    guest_name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    guest_affiliation = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EventInput(CleanInput):
    organizer = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    title = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=EventKind.choices)
    summary = serializers.CharField(max_length=5000)
    agenda = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    series = serializers.PrimaryKeyRelatedField(
        queryset=EventSeries.objects.all(), required=False, allow_null=True
    )
    venue_kind = serializers.ChoiceField(choices=VenueKind.choices)
    building = serializers.SlugRelatedField(
        slug_field="code", queryset=Building.objects.all(), required=False, allow_null=True
    )
    amenity = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    venue_detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    starts_at = bounded.DateTimeField()
    ends_at = bounded.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=100_000)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False, default=Audience.ALL)
    height = serializers.ChoiceField(choices=Height.choices)
    co_organizers = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), many=True, required=False, default=list
    )
    speakers = SpeakerInputSerializer(many=True, required=False, default=list)

    def details(self) -> EventDetails:
        data = self.validated_data
        return EventDetails(
            title=data["title"],
            kind=data["kind"],
            summary=data["summary"],
            venue_kind=data["venue_kind"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            height=data["height"],
            audience=data["audience"],
            series=data.get("series"),
            building=data.get("building"),
            amenity=data.get("amenity") or "",
            venue_detail=data.get("venue_detail") or "",
            agenda=data.get("agenda") or "",
            co_organizers=list(data.get("co_organizers") or []),
            speakers=[
                SpeakerInput(
                    person=s.get("person"),
                    guest_name=s.get("guest_name") or "",
                    guest_affiliation=s.get("guest_affiliation") or "",
                    topic=s.get("topic") or "",
                )
                for s in data.get("speakers") or []
            ],
        )


class EventReviewInput(CleanInput):
    approve = serializers.BooleanField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReasonInput(CleanInput):
    reason = serializers.CharField(max_length=500)


class CheckInInput(CleanInput):
    code = serializers.CharField(max_length=20)


class WalkInInput(CleanInput):
    name = serializers.CharField(max_length=60)


class RegistrationOutput(serializers.ModelSerializer):
    event = serializers.SlugRelatedField(slug_field="code", read_only=True)
    event_title = serializers.CharField(source="event.title", read_only=True)
    checkin_code = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "code",
            "event",
            "event_title",
            "attendee_name",
            "status",
            "checkin_code",
            "queued_at",
            "checked_in_at",
        ]

    def get_checkin_code(self, registration: Registration) -> str | None:
        """Shown to its holder only (the organizer checks codes at the door, it does not read them out)."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if registration.user_id is not None and registration.user_id == getattr(user, "pk", None):
            return registration.checkin_code
        return None


class FeedbackInput(CleanInput):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class FeedbackOutput(serializers.ModelSerializer):
    registration = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Feedback
        fields = ["registration", "rating", "comment", "created_at"]


# --- competitions -----------------------------------------------------------------------------------------


class PrizeOutput(serializers.ModelSerializer):
    class Meta:
        model = Prize
        fields = ["rank", "name", "amount_fen", "tranches"]


class TrackOutput(serializers.ModelSerializer):
    prizes = PrizeOutput(many=True, read_only=True)

    class Meta:
        model = Track
        fields = ["id", "name", "prizes"]


class CompetitionOutput(serializers.ModelSerializer):
    organizer = serializers.CharField(source="organizer.name", read_only=True)
    tracks = TrackOutput(many=True, read_only=True)

    class Meta:
        model = Competition
        fields = [
            "code",
            "title",
            "rules",
            "organizer",
            "entry_deadline",
            "finalists_per_track",
            "publicity_working_days",
            "publicity_ends_on",
            "status",
            "tracks",
        ]


class EntryOutput(serializers.ModelSerializer):
    competition = serializers.SlugRelatedField(slug_field="code", read_only=True)
    track = serializers.CharField(source="track.name", read_only=True)
    organization = serializers.CharField(source="organization.name", read_only=True)
    prize = serializers.CharField(source="prize.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Entry
        fields = [
            "code",
            "competition",
            "track",
            "organization",
            "project",
            "summary",
            "status",
            "first_score_x100",
            "defence_score_x100",
            "rank",
            "prize",
        ]


class EntryInput(CleanInput):
    track = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    project = serializers.CharField(max_length=120)
    summary = serializers.CharField(max_length=5000)
    team = serializers.CharField(max_length=5000)
    business_plan = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    ip_summary = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ScoreInput(CleanInput):
    entry = serializers.CharField(max_length=20)
    values = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100), allow_empty=False
    )
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ScoreOutput(serializers.ModelSerializer):
    entry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    judge = serializers.CharField(source="judge.expert.name", read_only=True)

    class Meta:
        model = EntryScore
        fields = ["entry", "judge", "values", "total_x100", "comment", "submitted_at"]


class ObjectionInput(CleanInput):
    reason = serializers.CharField(max_length=5000)
    entry = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class ObjectionOutput(serializers.ModelSerializer):
    entry = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Objection
        fields = ["code", "entry", "reason", "status", "resolution", "filed_at"]


class CompetitionErrorOutput(serializers.Serializer):
    detail = serializers.CharField()


# --- operators' competition steps -------------------------------------------------------------------------


class EntryScreenInput(CleanInput):
    entry = serializers.CharField(max_length=20)
    eligible = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PanelCriterionInput(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    weight = serializers.IntegerField(min_value=1, max_value=100)


class CompetitionPanelInput(CleanInput):
    track = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    round = serializers.ChoiceField(choices=Round.choices)
    experts = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=15
    )
    criteria = PanelCriterionInput(many=True, required=False)


class CompetitionPanelOutput(serializers.ModelSerializer):
    track = serializers.CharField(source="track.name", read_only=True)
    judges = serializers.SerializerMethodField()

    class Meta:
        model = JudgingPanel
        fields = ["id", "track", "round", "criteria", "status", "created_at", "closed_at", "judges"]

    def get_judges(self, panel: JudgingPanel) -> list[str]:
        return [judge.expert.name for judge in panel.judges.all()]


class ObjectionResolveInput(CleanInput):
    objection = serializers.CharField(max_length=20)
    upheld = serializers.BooleanField()
    resolution = serializers.CharField(max_length=1000)


class EntryCodeInput(serializers.Serializer):
    entry = serializers.CharField(max_length=20)


class PrizePaymentOutput(serializers.ModelSerializer):
    entry = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PrizePayment
        fields = ["code", "entry", "sequence", "amount_fen", "paid_at"]


# --- roadshows and after the prize ------------------------------------------------------------------------


class RoadshowEntryOutput(EntryOutput):
    """What an investor sees of a roadshow entry: the project and its standing, not its scores or plan."""

    class Meta(EntryOutput.Meta):
        fields = [
            "code",
            "competition",
            "track",
            "organization",
            "project",
            "summary",
            "status",
            "rank",
            "prize",
        ]


class RoadshowInterestInput(CleanInput):
    entry = serializers.CharField(max_length=20)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RoadshowContactOutput(serializers.ModelSerializer):
    """The fields every roadshow record shows: the entry (by code), its project and the investor."""

    entry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    project = serializers.CharField(source="entry.project", read_only=True)
    investor = serializers.CharField(source="investor.name", read_only=True)
    investor_id = serializers.IntegerField(read_only=True)


class RoadshowInterestOutput(RoadshowContactOutput):
    class Meta:
        model = InvestorInterest
        fields = ["entry", "project", "investor", "investor_id", "note", "created_at"]


class RoadshowMeetingInput(CleanInput):
    entry = serializers.CharField(max_length=20)
    investor = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None
    )
    proposed_at = bounded.DateTimeField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    message = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class RoadshowMeetingAnswerInput(CleanInput):
    accept = serializers.BooleanField()
    scheduled_at = bounded.DateTimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    answer = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RoadshowMeetingOutput(RoadshowContactOutput):
    class Meta:
        model = Meeting
        fields = [
            "code",
            "entry",
            "project",
            "investor",
            "investor_id",
            "asked_by_side",
            "proposed_at",
            "scheduled_at",
            "place",
            "message",
            "status",
            "answer",
            "requested_at",
            "answered_at",
        ]


class RoadshowOutcomeInput(CleanInput):
    entry = serializers.CharField(max_length=20)
    investor = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None
    )
    kind = serializers.ChoiceField(choices=OutcomeKind.choices)
    amount_fen = fen_serializer_field(min_value=0, required=False)
    occurred_on = bounded.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    meeting = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class RoadshowOutcomeOutput(RoadshowContactOutput):
    meeting = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = RoadshowOutcome
        fields = [
            "code",
            "entry",
            "project",
            "investor",
            "investor_id",
            "meeting",
            "kind",
            "amount_fen",
            "occurred_on",
            "note",
        ]


class AftercareOfferInput(serializers.Serializer):
    entry = serializers.CharField(max_length=20)
    commissioner = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None
    )


class SpaceAskInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    area_min_m2 = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=1)
    area_max_m2 = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=1)
    move_in_by = bounded.DateField(required=False, allow_null=True, default=None)


class VoucherAskInput(serializers.Serializer):
    scheme = serializers.CharField(max_length=30)
    requested_fen = fen_serializer_field()
    purpose = serializers.CharField(max_length=2000)


class AftercareAnswerInput(serializers.Serializer):
    space = SpaceAskInput(required=False, allow_null=True, default=None)
    voucher = VoucherAskInput(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for part in ("space", "voucher"):
            if attrs.get(part):
                _no_nul(dict(attrs[part]))
        return attrs


class AftercareOutput(serializers.ModelSerializer):
    entry = serializers.SlugRelatedField(slug_field="code", read_only=True)
    commissioner = serializers.SerializerMethodField()
    space_request = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    voucher_application = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Aftercare
        fields = [
            "entry",
            "status",
            "commissioner",
            "space_request",
            "voucher_application",
            "offered_at",
            "answered_at",
        ]

    def get_commissioner(self, aftercare: Aftercare) -> str | None:
        assignment = aftercare.assignment
        return str(assignment.user) if assignment is not None else None
