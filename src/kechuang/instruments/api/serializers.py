"""Instruments API shapes: separate input and output serializers; money in fen, objects by public code."""

from __future__ import annotations

from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.text import CleanTextMixin

from ..models import Booking, Instrument, InstrumentPhoto, Rate, SampleRequest


class RateOutput(serializers.ModelSerializer):
    class Meta:
        model = Rate
        fields = ["user_class", "unit", "price_fen"]


class InstrumentOutput(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.name", read_only=True)
    category = serializers.CharField(source="category.name", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True)
    building = serializers.SerializerMethodField()
    rates = RateOutput(many=True, read_only=True)
    accepts_vouchers = serializers.SerializerMethodField()
    open_from = serializers.SerializerMethodField(help_text="HH:MM")
    open_until = serializers.SerializerMethodField(help_text="HH:MM")

    class Meta:
        model = Instrument
        fields = [
            "code",
            "name",
            "owner",
            "category",
            "category_code",
            "building",
            "room",
            "model_number",
            "maker",
            "original_value_fen",
            "purchase_year",
            "status",
            "description",
            "service_mode",
            "approval_rule",
            "slot_minutes",
            "open_from",
            "open_until",
            "open_weekdays",
            "min_notice_hours",
            "free_cancel_hours",
            "rates",
            "accepts_vouchers",
        ]

    def get_building(self, obj: Instrument) -> str | None:
        return obj.building.name if obj.building_id else None

    def get_open_from(self, obj: Instrument) -> str:
        return obj.open_from.strftime("%H:%M")

    def get_open_until(self, obj: Instrument) -> str:
        return obj.open_until.strftime("%H:%M")

    def get_accepts_vouchers(self, obj: Instrument) -> bool:
        return obj.voucher_service_id is not None


class SlotOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=["free", "booked", "maintenance", "past"])


class BookingOutput(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument.code", read_only=True)
    instrument_name = serializers.CharField(source="instrument.name", read_only=True)
    organization = serializers.CharField(source="organization.name", read_only=True)
    voucher_order = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "code",
            "instrument",
            "instrument_name",
            "organization",
            "start_at",
            "end_at",
            "purpose",
            "status",
            "user_class",
            "rate_fen",
            "actual_minutes",
            "charge_fen",
            "late_cancel",
            "checked_in_at",
            "checked_out_at",
            "charge_confirmed_at",
            "decision_note",
            "voucher_order",
        ]

    def get_voucher_order(self, obj: Booking) -> str | None:
        return obj.voucher_order.code if obj.voucher_order_id else None


class BookingInput(CleanTextMixin, serializers.Serializer):
    start_at = bounded.DateTimeField()
    end_at = bounded.DateTimeField()
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    voucher = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class NoteInput(CleanTextMixin, serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CheckOutInput(serializers.Serializer):
    actual_minutes = serializers.IntegerField(min_value=1, max_value=1440, required=False, allow_null=True)


class SampleRequestOutput(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument.code", read_only=True)
    instrument_name = serializers.CharField(source="instrument.name", read_only=True)
    organization = serializers.CharField(source="organization.name", read_only=True)
    has_report = serializers.SerializerMethodField()
    voucher = serializers.SerializerMethodField()
    voucher_order = serializers.SerializerMethodField()

    class Meta:
        model = SampleRequest
        fields = [
            "code",
            "instrument",
            "instrument_name",
            "organization",
            "sample_count",
            "sample_description",
            "requirements",
            "status",
            "user_class",
            "rate_fen",
            "charge_fen",
            "note",
            "submitted_at",
            "accepted_at",
            "received_at",
            "reported_at",
            "confirmed_at",
            "has_report",
            "voucher",
            "voucher_order",
        ]

    def get_has_report(self, obj: SampleRequest) -> bool:
        return bool(obj.report)

    def get_voucher(self, obj: SampleRequest) -> str | None:
        return obj.voucher.code if obj.voucher_id else None

    def get_voucher_order(self, obj: SampleRequest) -> str | None:
        return obj.voucher_order.code if obj.voucher_order_id else None


class SampleRequestInput(CleanTextMixin, serializers.Serializer):
    sample_count = serializers.IntegerField(min_value=1, max_value=1000)
    sample_description = serializers.CharField(max_length=500)
    requirements = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    voucher = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="用于支付的本企业创新券编号"
    )


class ReportInput(CleanTextMixin, serializers.Serializer):
    """The test report (PDF, OFD, PNG, JPEG, XLSX or DOCX, checked by content; at most 20 MB)."""

    report = serializers.FileField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PhotoInput(serializers.Serializer):
    """A photo of the instrument (PNG or JPEG, checked by content; at most 5 MB, six per instrument)."""

    image = serializers.FileField()


class PhotoOutput(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument.code", read_only=True)

    class Meta:
        model = InstrumentPhoto
        fields = ["id", "instrument", "name", "content_type", "sha256", "created_at"]
