"""IP API shapes: separate input and output serializers; money in fen; assets by number, transactions
and open licences by code. An unpublished application's abstract and claims are empty for anyone but
its holder (docs/adr/0028)."""

from __future__ import annotations

from rest_framework import serializers

from kechuang.api import fields as bounded
from kechuang.core.money import fen_serializer_field
from kechuang.core.text import CleanTextMixin

from ..choices import AssetKind, LegalStatus, NationalAward, TransactionKind
from ..models import IpAsset, IpTransaction, OpenLicence
from ..permissions import reads_claims
from ..rules import REASON_LABELS


class AssetOutput(serializers.ModelSerializer):
    holder = serializers.CharField(source="holder.name", read_only=True)
    abstract = serializers.SerializerMethodField()
    claims = serializers.SerializerMethodField()
    family = serializers.SerializerMethodField()
    technology_fields = serializers.SerializerMethodField()
    high_value_reasons = serializers.SerializerMethodField()
    achievement = serializers.SerializerMethodField()

    class Meta:
        model = IpAsset
        fields = [
            "number",
            "kind",
            "title",
            "holder",
            "applicant_names",
            "inventor_names",
            "filed_on",
            "published_on",
            "granted_on",
            "publication_number",
            "legal_status",
            "annuity_due_on",
            "expires_on",
            "ipc_codes",
            "technology_fields",
            "family",
            "national_award",
            "high_value",
            "high_value_reasons",
            "achievement",
            "abstract",
            "claims",
        ]

    def _reads(self, obj: IpAsset) -> bool:
        return reads_claims(self.context["request"].user, obj)

    def get_abstract(self, obj: IpAsset) -> str:
        return obj.abstract if self._reads(obj) else ""

    def get_claims(self, obj: IpAsset) -> str:
        return obj.claims if self._reads(obj) else ""

    def get_family(self, obj: IpAsset) -> list[str]:
        return [m.number for m in obj.family.all()]

    def get_technology_fields(self, obj: IpAsset) -> list[str]:
        return [f.code for f in obj.fields.all()]

    def get_high_value_reasons(self, obj: IpAsset) -> list[dict[str, str]]:
        return [{"code": r, "label": str(REASON_LABELS.get(r, r))} for r in obj.high_value_reasons]

    def get_achievement(self, obj: IpAsset) -> str | None:
        return obj.achievement.code if obj.achievement_id and obj.achievement else None


class AssetInput(CleanTextMixin, serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices)
    number = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=200)
    filed_on = bounded.DateField()
    published_on = bounded.DateField(required=False, allow_null=True)
    granted_on = bounded.DateField(required=False, allow_null=True)
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices, default=LegalStatus.FILED)
    ipc_codes = serializers.ListField(
        child=serializers.CharField(max_length=30), max_length=30, required=False
    )
    family = serializers.ListField(child=serializers.CharField(max_length=40), max_length=50, required=False)
    abstract = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    claims = serializers.CharField(max_length=50000, required=False, allow_blank=True)
    inventor_names = serializers.CharField(max_length=500, required=False, allow_blank=True)
    national_award = serializers.ChoiceField(choices=NationalAward.choices, required=False, allow_blank=True)
    achievement = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="成果编号（本单位的）"
    )


class LicenceOutput(serializers.ModelSerializer):
    asset = serializers.CharField(source="asset.number", read_only=True)
    title = serializers.CharField(source="asset.title", read_only=True)
    holder = serializers.CharField(source="asset.holder.name", read_only=True)

    class Meta:
        model = OpenLicence
        fields = [
            "code",
            "asset",
            "title",
            "holder",
            "fee_fen",
            "royalty_permille",
            "term_years",
            "terms",
            "status",
            "published_at",
        ]


class LicenceInput(CleanTextMixin, serializers.Serializer):
    fee_fen = fen_serializer_field(min_value=0)
    royalty_permille = serializers.IntegerField(min_value=0, max_value=500, default=0)
    term_years = serializers.IntegerField(min_value=1, max_value=20, default=3)
    terms = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TransactionOutput(serializers.ModelSerializer):
    asset = serializers.CharField(source="asset.number", read_only=True)
    open_licence = serializers.SerializerMethodField()
    deal = serializers.SerializerMethodField()
    contract = serializers.SerializerMethodField()

    class Meta:
        model = IpTransaction
        fields = [
            "code",
            "asset",
            "kind",
            "counterparty_name",
            "amount_fen",
            "signed_on",
            "term_start",
            "term_end",
            "contract_number",
            "open_licence",
            "deal",
            "contract",
        ]

    def get_open_licence(self, obj: IpTransaction) -> str | None:
        return obj.open_licence.code if obj.open_licence_id and obj.open_licence else None

    def get_deal(self, obj: IpTransaction) -> str | None:
        return obj.deal.code if obj.deal_id and obj.deal else None

    def get_contract(self, obj: IpTransaction) -> str | None:
        return obj.contract.registration_number if obj.contract_id and obj.contract else None


class TransactionInput(CleanTextMixin, serializers.Serializer):
    asset = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(
        choices=[c for c in TransactionKind.choices if c[0] != TransactionKind.LICENCE_OPEN]
    )
    counterparty_name = serializers.CharField(max_length=120)
    amount_fen = fen_serializer_field(min_value=0)
    signed_on = bounded.DateField()
    term_start = bounded.DateField(required=False, allow_null=True)
    term_end = bounded.DateField(required=False, allow_null=True)
    contract_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
