"""Value types of the matching engine: documents in, hits and explanations out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Document", "Explanation", "Hit", "QueryContext", "Reason"]


@dataclass(frozen=True)
class Document:
    """One matchable item: an achievement, a demand, an organization, an expert, a challenge, ...

    Money is integer fen.  ``budget_min_fen``/``budget_max_fen`` is what the owner would pay (a demand's or
    a challenge's budget); ``price_fen`` is what the owner asks (an achievement's asking terms).  ``trl`` is
    the technology readiness level (1-9): reached for an achievement, required for a demand.
    """

    id: str
    kind: str
    title: str
    text: str
    fields: tuple[str, ...] = ()
    trl: int | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    price_fen: int | None = None
    park: str | None = None
    cluster: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryContext:
    """Structured facts about whoever searches (e.g. the enterprise's own demand profile).

    When given to :meth:`matchcore.Engine.search`, hits also earn the structured feature score, exactly as
    a recommendation from a document with these attributes would.
    """

    kind: str | None = None
    fields: tuple[str, ...] = ()
    trl: int | None = None
    budget_min_fen: int | None = None
    budget_max_fen: int | None = None
    price_fen: int | None = None
    park: str | None = None
    cluster: str | None = None


@dataclass(frozen=True)
class Reason:
    """One reason for a match.  ``detail`` is data (never prose); the web side renders sentences from it.

    Codes: ``terms`` (shared terms), ``semantic`` (embedding similarity), ``fields``, ``trl``, ``budget``,
    ``park``, ``cluster``.  ``weight`` is the reason's contribution to the final score.
    """

    code: str
    weight: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hit:
    """One ranked result.  ``score`` = fused relevance (+ structured features when a context applies);
    ``relevance`` = the calibrated estimate that the hit is relevant, ``tier`` its label."""

    id: str
    score: float
    lexical_score: float
    dense_score: float | None
    feature_score: float
    matched_terms: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    kind: str = ""
    rank: int = 0
    # calibrated relevance in [0, 1] (an estimate that the hit is what the query is about, fitted on the
    # CSL-match dev set; docs/adr/0020-calibrated-matching.md) and its tier: "strong", "medium", "weak"
    relevance: float = 0.0
    tier: str = ""


@dataclass
class Explanation:
    """Why (or why not) one document matches one query or source document."""

    doc_id: str
    query: str
    query_terms: list[str]
    term_contributions: dict[str, float]
    hit: Hit | None
    rank: int | None
    candidates: int
