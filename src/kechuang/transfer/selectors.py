"""Reads of the transfer platform. Lists start from the ``*_visible_to`` querysets; search and
recommendations go through the engine with an ``allowed`` predicate and are re-checked against the
querysets before anything is returned (docs/reliability.md B5)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Park, TechnologyField
from kechuang.directory.permissions import organization_visible_to, person_visible_to

from . import matching
from .choices import AchievementStatus, DealStage, DemandStatus, InterestStatus
from .models import Achievement, Deal, Demand, Interest
from .permissions import (
    achievement_visible_to,
    contract_visible_to,
    deal_visible_to,
    demand_visible_to,
    interest_visible_to,
)
from .presenters import highlighted, reason_list, snippet, tier_label
from .workflow import ACHIEVEMENT_PUBLIC_STATUSES, DEAL_TRANSITIONS, DEMAND_PUBLIC_STATUSES

LISTING_RELATED = ("organization",)


def achievement_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Achievement]:
    from .filters import AchievementFilter

    qs = achievement_visible_to(actor).select_related(*LISTING_RELATED).prefetch_related("fields")
    if filters:
        fs = AchievementFilter(filters, queryset=qs, request=None)
        qs = fs.qs if fs.is_valid() else qs.none()
    return qs


def demand_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Demand]:
    from .filters import DemandFilter

    qs = demand_visible_to(actor).select_related(*LISTING_RELATED).prefetch_related("fields")
    if filters:
        fs = DemandFilter(filters, queryset=qs, request=None)
        qs = fs.qs if fs.is_valid() else qs.none()
    return qs


def interest_list(*, actor: Any) -> QuerySet[Interest]:
    return interest_visible_to(actor).select_related(
        "organization", "achievement__organization", "demand__organization", "created_by", "deal"
    )


def deal_list(*, actor: Any) -> QuerySet[Deal]:
    return deal_visible_to(actor).select_related("supplier", "buyer", "owner", "achievement", "demand")


def contract_list(*, actor: Any) -> QuerySet[Any]:
    return contract_visible_to(actor).select_related("seller", "buyer", "deal", "registered_by")


REVIEW_QUEUE_SHOWN = 30
REVIEW_QUEUE_MAX = 500


def review_queue(*, limit: int = REVIEW_QUEUE_SHOWN) -> dict[str, Any]:
    """Listings awaiting review, oldest submission first: the first ``limit`` of each kind and the totals
    (two queries per kind, however long the queue)."""
    achievements = Achievement.objects.filter(status=AchievementStatus.SUBMITTED)
    demands = Demand.objects.filter(status=DemandStatus.SUBMITTED)
    return {
        "achievements": list(
            achievements.select_related("organization").order_by("submitted_at", "id")[:limit]
        ),
        "demands": list(demands.select_related("organization").order_by("submitted_at", "id")[:limit]),
        "achievement_total": achievements.count(),
        "demand_total": demands.count(),
    }


BOARD_COLUMN_CARDS = 12
BOARD_COLUMN_MAX = 600
BOARD_CARD_FIELDS = (
    "code",
    "title",
    "stage",
    "stage_changed_at",
    "next_step",
    "next_step_due",
    "supplier_id",
    "buyer_id",
    "owner_id",
    "supplier__name",
    "supplier__short_name",
    "buyer__name",
    "buyer__short_name",
    "owner__username",
    "owner__display_name",
)


def deal_board(
    *, actor: Any, filters: dict[str, Any] | None = None, expand: str | None = None
) -> list[dict[str, Any]]:
    """Columns of the pipeline with their deals (terminated deals in a last column).

    Each column shows its ``BOARD_COLUMN_CARDS`` most recently moved deals and its full count; the
    column named by ``expand`` shows up to ``BOARD_COLUMN_MAX``. Two queries (three with ``expand``),
    whatever the number of deals."""
    qs = deal_visible_to(actor)
    if filters and filters.get("mine") and getattr(actor, "pk", None):
        qs = qs.filter(owner=actor)
    counts = dict(qs.order_by().values_list("stage").annotate(n=Count("id")))
    # a card shows the deal's title, parties, next step and owner: nothing else is read, and the
    # newest BOARD_COLUMN_CARDS of every column come in one query (a row number per stage)
    cards = qs.select_related("supplier", "buyer", "owner").only(*BOARD_CARD_FIELDS)
    ranked = cards.annotate(
        position=Window(
            RowNumber(), partition_by=[F("stage")], order_by=[F("stage_changed_at").desc(), F("id").desc()]
        )
    )
    by_stage: dict[str, list[Deal]] = {}
    for deal in ranked.filter(position__lte=BOARD_COLUMN_CARDS).order_by("stage", "position"):
        by_stage.setdefault(str(deal.stage), []).append(deal)
    if expand is not None and expand in counts and counts[expand] > BOARD_COLUMN_CARDS:
        by_stage[expand] = list(
            cards.filter(stage=expand).order_by("-stage_changed_at", "-id")[:BOARD_COLUMN_MAX]
        )
    columns = []
    for stage, label in DealStage.choices:
        total = counts.get(stage, 0)
        items = by_stage.get(stage, [])
        columns.append(
            {
                "stage": stage,
                "label": label,
                "deals": items,
                "total": total,
                "more": total - len(items),
                "forward": next(
                    (
                        t.target
                        for (s, _t), t in DEAL_TRANSITIONS.items()
                        if s == stage and t.action == "advance"
                    ),
                    None,
                ),
                "back": next(
                    (
                        t.target
                        for (s, _t), t in DEAL_TRANSITIONS.items()
                        if s == stage and t.action == "revert"
                    ),
                    None,
                ),
            }
        )
    return columns


# --- search and recommendations ----------------------------------------------------------------------


@dataclass
class Match:
    """One result: the object (re-read from the database under the user's visibility), the engine's
    scores, and the reasons in Chinese."""

    kind: str
    obj: Any
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)
    title_html: str = ""
    snippet_html: str = ""
    via: list[Any] = field(default_factory=list)  # e.g. the achievements behind an institute
    # calibrated relevance (docs/adr/0020-calibrated-matching.md): "strong", "medium" or "weak"
    tier: str = ""
    relevance: float = 0.0

    @property
    def score_percent(self) -> int:
        return max(0, min(100, round(self.score * 100)))

    @property
    def tier_label(self) -> str:
        return tier_label(self.tier)


@dataclass
class MatchContext:
    """Per-request lookups shared by several recommendation calls (one matching board, one page)."""

    field_names: dict[str, str]
    park_names: dict[str, str]
    taxonomy: Any
    engine: Any = None  # the process's engine, brought up to date once for the whole request

    @classmethod
    def load(cls) -> MatchContext:
        engine = matching.get_engine()
        return cls(
            dict(TechnologyField.objects.values_list("code", "name")),
            dict(Park.objects.values_list("code", "name")),
            matching.current_taxonomy(),
            engine,
        )


def _visible_objects(actor: Any, kind: str, pks: list[int]) -> dict[int, Any]:
    if not pks:
        return {}
    # a match shows the listing's title, owner and a few figures; its reasons come from the engine, so
    # the listing's fields are not loaded
    if kind == "achievement":
        qs: Any = achievement_visible_to(actor).filter(status__in=ACHIEVEMENT_PUBLIC_STATUSES)
        qs = qs.select_related("organization")
    elif kind == "demand":
        qs = demand_visible_to(actor).filter(status__in=DEMAND_PUBLIC_STATUSES)
        qs = qs.select_related("organization")
    elif kind == "organization":
        qs = organization_visible_to(actor).select_related("park")
    elif kind == "expert":
        qs = person_visible_to(actor).filter(is_expert=True).select_related("organization")
    else:
        source = matching.index_source(kind)
        if source is None:
            return {}
        qs = source.visible(actor).filter(source.public)
    return {obj.pk: obj for obj in qs.filter(pk__in=pks)}


def _visible_hit_objects(actor: Any, hits: Iterable[Any]) -> dict[str, dict[int, Any]]:
    """The objects behind ``hits`` that ``actor`` may see, by kind and primary key (one query per kind)."""
    by_kind: dict[str, list[int]] = {}
    for hit in hits:
        try:
            kind, pk = matching.parse_doc_id(hit.id)
        except ValueError:
            continue
        by_kind.setdefault(kind, []).append(pk)
    return {kind: _visible_objects(actor, kind, pks) for kind, pks in by_kind.items()}


def _display_terms(source_text: str, engine: Any = None) -> frozenset[str]:
    """Terms a person would recognise in the query or source text (jieba's default cut plus the
    taxonomy's words), used to keep full-mode fragments such as “接气” out of the shown reasons."""
    if not source_text:
        return frozenset()
    engine = engine or matching.get_engine()
    words = set(engine.segmenter.display_terms(source_text))
    from matchcore import normalize

    norm = normalize(source_text)
    words |= {w for w in engine.segmenter.added_words if w in norm}
    return frozenset(words)


def _clean_terms(terms: list[str], display: frozenset[str]) -> list[str]:
    kept = [t for t in terms if len(t) > 1 and not (t.isascii() and len(t) < 3)]
    if display:
        preferred = [t for t in kept if t in display]
        kept = preferred or kept
    return kept


def materialize(
    actor: Any,
    hits: list[Any],
    *,
    highlight_terms: bool = False,
    exclude_orgs: frozenset[int] = frozenset(),
    source_text: str = "",
    ctx: MatchContext | None = None,
    objects: dict[str, dict[int, Any]] | None = None,
) -> list[Match]:
    """Hits → matches, dropping anything the user may not see (re-checked in the database).

    ``objects`` (from :func:`_visible_hit_objects`) lets a caller with many hit lists load them at once.
    """
    if objects is None:
        objects = _visible_hit_objects(actor, hits)
    if not hits:
        return []
    ctx = ctx or MatchContext.load()
    field_names, park_names = ctx.field_names, ctx.park_names
    display = _display_terms(source_text, ctx.engine)
    out: list[Match] = []
    for hit in hits:
        kind, pk = matching.parse_doc_id(hit.id)
        obj = objects.get(kind, {}).get(pk)
        if obj is None:
            continue
        terms = _clean_terms(list(hit.matched_terms), display)
        hit.matched_terms = terms
        for reason in hit.reasons:
            if reason.code == "terms":
                reason.detail["terms"] = terms
        owner = getattr(obj, "organization_id", None) if kind in ("achievement", "demand") else None
        if owner is not None and owner in exclude_orgs:
            continue
        match = Match(
            kind=kind,
            obj=obj,
            score=float(hit.score),
            matched_terms=list(hit.matched_terms),
            reasons=reason_list(hit.reasons, field_names=field_names, park_names=park_names),
            tier=getattr(hit, "tier", ""),
            relevance=float(getattr(hit, "relevance", 0.0)),
        )
        if highlight_terms:
            title = str(getattr(obj, "title", None) or getattr(obj, "name", ""))
            body = (
                getattr(obj, "summary", None)
                or getattr(obj, "description", None)
                or getattr(obj, "expertise", None)
                or getattr(obj, "problem", None)
                or ""
            )
            match.title_html = highlighted(title, hit.matched_terms)
            match.snippet_html = highlighted(snippet(body, hit.matched_terms), hit.matched_terms)
        out.append(match)
    return out


SEARCH_KINDS: dict[str, Any] = {
    "achievement": _("科技成果"),
    "demand": _("技术需求"),
    "organization": _("机构"),
    "expert": _("专家"),
}


def search_kinds() -> dict[str, Any]:
    """What the search covers: the transfer platform's kinds and every registered index source."""
    return {**SEARCH_KINDS, **{src.kind: src.label for src in matching.index_sources()}}


def search(*, actor: Any, query: str, kinds: list[str] | None = None, k: int = 30) -> list[Match]:
    """Free text across everything the user may see, best first, with highlighted terms; only hits
    over the engine's relevance floor (docs/adr/0020-calibrated-matching.md)."""
    query = (query or "").replace("\x00", "").strip()[:200]
    if not query:
        return []
    hits = _search_hits(actor, query, kinds, k)
    return materialize(actor, hits, highlight_terms=True, source_text=query)


SEARCH_PAGE_SIZE = 30
SEARCH_MAX_RESULTS = 300  # ten pages; past that, a narrower query serves better


def _search_hits(actor: Any, query: str, kinds: list[str] | None, k: int) -> list[Any]:
    known = search_kinds()
    kinds = [kd for kd in (kinds or known) if kd in known]
    engine = matching.get_engine()
    return list(engine.search(query, k=k, kinds=kinds, allowed=matching.allowed_for(actor)))


@dataclass
class SearchPage:
    """One page of a search: the matches shown, the page (a Django ``Page`` over every hit that
    passed the floor), and, when no hit is of tier 强 or 中, suggestions of narrower queries."""

    query: str
    matches: list[Match]
    page: Any
    total: int
    suggestions: list[str] = field(default_factory=list)
    confident: bool = False  # some hit is of tier 强 or 中

    @property
    def nothing_relevant(self) -> bool:
        """No hit reached 中: the page says "nothing strong enough" (weak hits, if any, follow)."""
        return bool(self.query) and not self.confident


def search_page(*, actor: Any, query: str, kinds: list[str] | None = None, page: Any = 1) -> SearchPage:
    """A page of :func:`search` (``SEARCH_PAGE_SIZE`` per page, up to ``SEARCH_MAX_RESULTS``): the
    engine ranks once, only the page's hits are loaded and highlighted."""
    from django.core.paginator import Paginator

    query = (query or "").replace("\x00", "").strip()[:200]
    if not query:
        return SearchPage(query="", matches=[], page=None, total=0)
    hits = _search_hits(actor, query, kinds, SEARCH_MAX_RESULTS)
    paginator = Paginator(hits, SEARCH_PAGE_SIZE)
    current = paginator.get_page(page)
    matches = materialize(actor, list(current.object_list), highlight_terms=True, source_text=query)
    confident = any(h.tier in ("strong", "medium") for h in hits)
    suggestions = [] if confident else search_suggestions(query)
    return SearchPage(
        query=query,
        matches=matches,
        page=current,
        total=len(hits),
        suggestions=suggestions,
        confident=confident,
    )


def search_suggestions(query: str, limit: int = 5) -> list[str]:
    """Narrower queries to try when nothing was relevant enough: the query's own words (as a person
    would cut them) that the catalogue knows, most specific first."""
    engine = matching.get_engine()
    words = _display_terms(query, engine)
    known = [w for w in words if w != query and len(w) > 1 and engine.term_document_count(w) > 0]
    known.sort(key=lambda w: engine.term_document_count(w))
    return known[:limit]


def _substantive(match: Match) -> bool:
    """An absolute floor for suggestions drawn from a small pool (a few open challenges), where the top
    of the ranking need not be relevant at all: two shared words, or one domain term of three or more
    characters (激光雷达, 动力电池), numbers and Latin fragments not counted."""
    terms = [t for t in match.matched_terms if len(t) >= 2 and not t.isascii()]
    return len(terms) >= 2 or any(len(t) >= 3 for t in terms)


@dataclass
class Recommendations:
    primary: list[Match]
    organizations: list[Match]
    experts: list[Match]
    challenges: list[Match] = field(default_factory=list)  # open challenges (揭榜中) the listing may answer
    instruments: list[Match] = field(default_factory=list)  # shared instruments that fit a demand (ADR 0024)


def demand_recommendations(
    *, actor: Any, demand: Demand, k: int = 8, people: bool = True, ctx: MatchContext | None = None
) -> Recommendations:
    """For a demand: the best achievements, the institutes behind them, and experts; with reasons."""
    ctx = ctx or MatchContext.load()
    engine = ctx.engine
    doc = matching.document_for(demand, ctx.taxonomy)
    allowed = matching.allowed_for(actor)
    own = frozenset({demand.organization_id})
    hits = matching.recommend(engine, doc, k=k + 5, kinds=("achievement",), allowed=allowed)
    source = f"{doc.title}\n{doc.text}\n{' '.join(doc.tags)}"
    achievements = materialize(actor, hits, exclude_orgs=own, source_text=source, ctx=ctx)[:k]
    if not people:
        return Recommendations(primary=achievements, organizations=[], experts=[])
    institutes: dict[int, Match] = {}
    for match in achievements:
        org = match.obj.organization
        if org.pk in institutes:
            institutes[org.pk].via.append(match.obj)
            continue
        institutes[org.pk] = Match(
            kind="organization", obj=org, score=match.score, reasons=[], via=[match.obj]
        )
    # hide organizations the user may not see in the directory
    visible_orgs = set(
        organization_visible_to(actor).filter(pk__in=list(institutes)).values_list("pk", flat=True)
    )
    organizations = [m for pk, m in institutes.items() if pk in visible_orgs][:5]
    expert_hits = matching.recommend(engine, doc, k=5, kinds=("expert",), allowed=allowed)
    experts = materialize(actor, expert_hits, source_text=source, ctx=ctx)
    instruments: list[Match] = []
    if matching.index_source("instrument") is not None:  # registered by the instruments module
        instrument_hits = matching.recommend(engine, doc, k=6, kinds=("instrument",), allowed=allowed)
        instruments = [
            m for m in materialize(actor, instrument_hits, source_text=source, ctx=ctx) if _substantive(m)
        ][:3]
    return Recommendations(
        primary=achievements, organizations=organizations, experts=experts, instruments=instruments
    )


RECOMMENDATION_PAGE_SIZE = 30
RECOMMENDATION_MAX = 90


def demand_recommendation_page(*, actor: Any, demand: Demand, page: Any = 1) -> Any:
    """Every recommended achievement for a demand beyond the detail page's first eight, 30 a page
    (up to ``RECOMMENDATION_MAX``), with tiers and reasons; a Django ``Page`` of matches."""
    from django.core.paginator import Paginator

    ctx = MatchContext.load()
    doc = matching.document_for(demand, ctx.taxonomy)
    allowed = matching.allowed_for(actor)
    hits = matching.recommend(ctx.engine, doc, k=RECOMMENDATION_MAX, kinds=("achievement",), allowed=allowed)
    source = f"{doc.title}\n{doc.text}\n{' '.join(doc.tags)}"
    matches = materialize(
        actor, hits, exclude_orgs=frozenset({demand.organization_id}), source_text=source, ctx=ctx
    )
    return Paginator(matches, RECOMMENDATION_PAGE_SIZE).get_page(page)


def achievement_recommendations(*, actor: Any, achievement: Achievement, k: int = 8) -> Recommendations:
    """For an achievement: enterprises most likely to want it — those with related demands first, then
    enterprises whose fields and profile fit."""
    ctx = MatchContext.load()
    engine = ctx.engine
    doc = matching.document_for(achievement, ctx.taxonomy)
    allowed = matching.allowed_for(actor)
    own = frozenset({achievement.organization_id})
    demand_hits = matching.recommend(engine, doc, k=k + 5, kinds=("demand",), allowed=allowed)
    source = f"{doc.title}\n{doc.text}\n{' '.join(doc.tags)}"
    demands = materialize(actor, demand_hits, exclude_orgs=own, source_text=source, ctx=ctx)[:k]
    enterprises: dict[int, Match] = {}
    for match in demands:
        org = match.obj.organization
        if org.pk in enterprises:
            enterprises[org.pk].via.append(match.obj)
        else:
            enterprises[org.pk] = Match(
                kind="organization", obj=org, score=match.score, reasons=match.reasons, via=[match.obj]
            )
    org_hits = matching.recommend(engine, doc, k=20, kinds=("organization",), allowed=allowed)
    for match in materialize(actor, org_hits, source_text=source, ctx=ctx):
        org = match.obj
        if org.kind != OrganizationKind.ENTERPRISE or org.pk in enterprises or org.pk in own:
            continue
        enterprises[org.pk] = match
    visible_orgs = set(
        organization_visible_to(actor).filter(pk__in=list(enterprises)).values_list("pk", flat=True)
    )
    organizations = [m for pk, m in enterprises.items() if pk in visible_orgs][:k]
    challenges: list[Match] = []
    if matching.index_source("challenge") is not None:
        challenge_hits = matching.recommend(engine, doc, k=8, kinds=("challenge",), allowed=allowed)
        challenges = [
            m
            for m in materialize(actor, challenge_hits, source_text=source, ctx=ctx)
            # 揭榜中 (still taking applications), not one's own, and about the same thing
            if m.obj.status == "published" and m.obj.issuer_id not in own and _substantive(m)
        ][:3]
    return Recommendations(primary=demands, organizations=organizations, experts=[], challenges=challenges)


BOARD_PAGE = 10  # demands per page of the matching board, three candidates each


def matching_board_demands(*, actor: Any, days: int = 30) -> Any:
    """The board's demands: published recently (or awaiting review), newest first."""
    since = timezone.now() - timedelta(days=days)
    return demand_visible_to(actor).filter(
        Q(status__in=[DemandStatus.PUBLISHED, DemandStatus.SUBMITTED, DemandStatus.NEGOTIATING])
        & (Q(published_at__gte=since) | Q(published_at__isnull=True))
    )


def matching_board(
    *, actor: Any, days: int = 30, limit: int = BOARD_PAGE, offset: int = 0, per: int = 3
) -> list[dict[str, Any]]:
    """For operators: demands published recently (or awaiting review) with their best candidates, a page
    of ``limit`` from ``offset``."""
    demands = list(
        matching_board_demands(actor=actor, days=days)
        .select_related("organization__park")
        .prefetch_related("fields")
        .annotate(
            n_interests=Count(
                "interests", filter=Q(interests__status__in=[InterestStatus.PENDING, InterestStatus.ACCEPTED])
            )
        )
        .order_by("-published_at", "-id")[offset : offset + limit]
    )
    ctx = MatchContext.load()
    engine = ctx.engine
    allowed = matching.allowed_for(actor)
    plans = []
    for demand in demands:
        doc = matching.document_for(demand, ctx.taxonomy)
        # a few spare candidates: the demand's own organization's achievements are dropped below
        hits = matching.recommend(engine, doc, k=per + 3, kinds=("achievement",), allowed=allowed)
        plans.append((demand, doc, hits))
    # the candidates of every demand on the board, loaded (and visibility re-checked) in one query
    objects = _visible_hit_objects(actor, [hit for _, _, hits in plans for hit in hits])
    rows = []
    for demand, doc, hits in plans:
        candidates = materialize(
            actor,
            hits,
            exclude_orgs=frozenset({demand.organization_id}),
            source_text=f"{doc.title}\n{doc.text}\n{' '.join(doc.tags)}",
            ctx=ctx,
            objects=objects,
        )[:per]
        rows.append({"demand": demand, "candidates": candidates})
    return rows


def prefetch_notes(qs: QuerySet[Deal]) -> QuerySet[Deal]:
    from .models import DealNote

    return qs.prefetch_related(Prefetch("notes", queryset=DealNote.objects.select_related("author")))
