"""Reads of the IP module, each starting from a visibility queryset (kechuang.ip.permissions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from kechuang.core.registry import district_profile

from .choices import AssetKind, LegalStatus, OpenLicenceStatus, TransactionKind
from .models import IpAsset, IpTransaction, OpenLicence
from .permissions import asset_visible_to, open_licence_visible_to, reads_claims, transaction_visible_to
from .rules import REASON_LABELS

HIGH_VALUE_PATENTS = Q(kind=AssetKind.INVENTION, legal_status=LegalStatus.GRANTED, high_value=True)


def asset_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[IpAsset]:
    """Assets the actor may see, filtered by holder, kind, legal status, high value and a text query."""
    filters = filters or {}
    qs = asset_visible_to(actor).select_related("holder")
    holder = str(filters.get("holder") or "")
    if holder.isdigit() and len(holder) <= 12:
        qs = qs.filter(holder_id=int(holder))
    if filters.get("kind") in AssetKind.values:
        qs = qs.filter(kind=filters["kind"])
    if filters.get("legal_status") in LegalStatus.values:
        qs = qs.filter(legal_status=filters["legal_status"])
    if filters.get("high_value"):
        qs = qs.filter(high_value=True)
    query = str(filters.get("q") or "").strip()[:60]
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(number__icontains=query.replace(" ", "")))
    return qs.order_by("-filed_on", "-pk")


def asset_get(*, actor: Any, number: str) -> IpAsset | None:
    return asset_visible_to(actor).select_related("holder", "achievement").filter(number=number).first()


def claims_for(actor: Any, asset: IpAsset) -> tuple[str, str]:
    """(abstract, claims) for the actor: empty for an unpublished application of another organization."""
    if reads_claims(actor, asset):
        return asset.abstract, asset.claims
    return "", ""


def reason_labels(asset: IpAsset) -> list[str]:
    return [str(REASON_LABELS[r]) for r in asset.high_value_reasons if r in REASON_LABELS]


def open_licence_list(*, actor: Any, published_only: bool = True) -> QuerySet[OpenLicence]:
    qs = open_licence_visible_to(actor).select_related("asset__holder")
    if published_only:
        qs = qs.filter(status=OpenLicenceStatus.PUBLISHED)
    return qs.order_by("-published_at", "-pk")


def transaction_list(*, actor: Any, kind: str = "") -> QuerySet[IpTransaction]:
    qs = transaction_visible_to(actor).select_related("asset__holder", "counterparty", "contract", "deal")
    if kind in TransactionKind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("-signed_on", "-pk")


# --- the district's figures ------------------------------------------------------------------------


def population_basis() -> tuple[int, str]:
    """The denominator of 每万人高价值发明专利拥有量 (docs/adr/0028, "KPI"): the profile's ``population``
    figure when it has one, otherwise its researchers (各类科研技术人员)."""
    figures = district_profile().get("figures") or {}
    for key in ("population", "researchers"):
        entry = figures.get(key)
        value = entry.get("value") if isinstance(entry, dict) else entry
        if isinstance(value, int) and value > 0:
            label = entry.get("label", key) if isinstance(entry, dict) else key
            return value, str(label)
    return 0, ""


def high_value_count() -> int:
    return int(IpAsset.objects.filter(HIGH_VALUE_PATENTS).count())


def per_ten_thousand(count: int, basis: int) -> Decimal | None:
    if basis <= 0:
        return None
    return (Decimal(count) * Decimal(10_000) / Decimal(basis)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass
class InstituteRow:
    holder_id: int
    name: str
    total: int
    granted_inventions: int
    high_value: int
    open_licences: int = 0


@dataclass
class DistrictFigures:
    total: int
    granted_inventions: int
    high_value: int
    basis: int
    basis_label: str
    per_ten_thousand: Decimal | None
    trade_fen: int
    pledge_fen: int
    open_licences: int
    by_reason: dict[str, int] = field(default_factory=dict)
    institutes: list[InstituteRow] = field(default_factory=list)


def district_figures() -> dict[str, Any]:
    """Every organization's counts and the district's IP figures (the operator's overview)."""
    from kechuang.directory.choices import OrganizationKind

    basis, label = population_basis()
    rows = (
        IpAsset.objects.values("holder_id", "holder__name", "holder__kind")
        .annotate(
            total=Count("pk"),
            granted=Count("pk", filter=Q(kind=AssetKind.INVENTION, legal_status=LegalStatus.GRANTED)),
            hv=Count("pk", filter=HIGH_VALUE_PATENTS),
        )
        .order_by("-hv", "-granted", "holder__name")
    )
    licences = dict(
        OpenLicence.objects.filter(status=OpenLicenceStatus.PUBLISHED)
        .values_list("asset__holder_id")
        .annotate(n=Count("pk"))
    )
    institutes = [
        InstituteRow(
            r["holder_id"],
            r["holder__name"],
            r["total"],
            r["granted"],
            r["hv"],
            licences.get(r["holder_id"], 0),
        )
        for r in rows
        if r["holder__kind"] == OrganizationKind.INSTITUTE
    ]
    hv = high_value_count()
    money = IpTransaction.objects.aggregate(
        trade=Sum(
            "amount_fen",
            filter=Q(kind__in=[k.value for k in TransactionKind if k != TransactionKind.PLEDGE]),
            default=0,
        ),
        pledge=Sum("amount_fen", filter=Q(kind=TransactionKind.PLEDGE), default=0),
    )
    by_reason: dict[str, int] = {}
    for reasons in IpAsset.objects.filter(HIGH_VALUE_PATENTS).values_list("high_value_reasons", flat=True):
        for reason in reasons:
            by_reason[reason] = by_reason.get(reason, 0) + 1
    figures = DistrictFigures(
        total=IpAsset.objects.count(),
        granted_inventions=IpAsset.objects.filter(
            kind=AssetKind.INVENTION, legal_status=LegalStatus.GRANTED
        ).count(),
        high_value=hv,
        basis=basis,
        basis_label=label,
        per_ten_thousand=per_ten_thousand(hv, basis),
        trade_fen=int(money["trade"]),
        pledge_fen=int(money["pledge"]),
        open_licences=sum(licences.values()),
        by_reason={str(REASON_LABELS[k]): v for k, v in by_reason.items() if k in REASON_LABELS},
        institutes=institutes,
    )
    return {"figures": figures}


# --- a demand finds patents ------------------------------------------------------------------------


@dataclass
class PatentMatch:
    asset: IpAsset
    score: float
    claim_number: int
    claim: str
    terms: list[str]
    reasons: list[Any]


def demand_patents(*, actor: Any, demand: Any, k: int = 5) -> list[PatentMatch]:
    """The patents that fit a demand, best first, each with the claim that matched (the claim sharing
    most with the demand's words) as the reason. Only published, living patents are in the index."""
    from kechuang.transfer import matching as index
    from kechuang.transfer.selectors import MatchContext, materialize

    from .matching import best_claim

    if index.index_source(IpAsset.KIND) is None:
        return []
    ctx = MatchContext.load()
    doc = index.document_for(demand, ctx.taxonomy)
    hits = index.recommend(ctx.engine, doc, k=k + 5, kinds=(IpAsset.KIND,), allowed=index.allowed_for(actor))
    source = f"{doc.title}\n{doc.text}\n{' '.join(doc.tags)}"
    matches = materialize(actor, hits, source_text=source, ctx=ctx)
    found: list[PatentMatch] = []
    for match in matches:
        asset = match.obj
        if asset.holder_id == demand.organization_id or not reads_claims(actor, asset):
            continue
        number, claim = best_claim(asset.claims, source, match.matched_terms)
        found.append(PatentMatch(asset, match.score, number, claim, list(match.matched_terms), match.reasons))
    return found[:k]
