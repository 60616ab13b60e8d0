"""Structured match features: technology fields, TRL fit, budget fit, park and cluster.

Each feature returns ``None`` when it does not apply (a side lacks the data) or a value in ``[0, 1]`` with
a ``detail`` dict for the reason shown to users.  The combined feature score is the weighted mean over the
features that apply, so missing data neither helps nor hurts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .types import Document, QueryContext, Reason

__all__ = ["FeatureWeights", "Profile", "feature_reasons", "profile_of"]

# Kinds whose TRL is a *requirement* and whose budget is what they would pay.
_NEED_KINDS = frozenset({"demand", "challenge"})


@dataclass(frozen=True)
class Profile:
    """The structured side of a document or of a query context."""

    kind: str | None
    fields: tuple[str, ...]
    trl: int | None
    budget_min_fen: int | None
    budget_max_fen: int | None
    price_fen: int | None
    park: str | None
    cluster: str | None


@dataclass(frozen=True)
class FeatureWeights:
    """Relative weights of the structured features."""

    fields: float = 0.4
    trl: float = 0.2
    budget: float = 0.2
    park: float = 0.1
    cluster: float = 0.1


def profile_of(item: Document | QueryContext) -> Profile:
    """Extract the structured profile of a document or query context."""
    return Profile(
        kind=item.kind,
        fields=tuple(item.fields),
        trl=item.trl,
        budget_min_fen=item.budget_min_fen,
        budget_max_fen=item.budget_max_fen,
        price_fen=item.price_fen,
        park=item.park,
        cluster=item.cluster,
    )


def _field_related(a: str, b: str) -> bool:
    """Equal codes, or one is an ancestor of the other in a dotted/slashed code tree."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return long_.startswith(short) and long_[len(short)] in "./-_"


def field_fit(source: Profile, target: Profile) -> tuple[float, dict[str, Any]] | None:
    """Share of the source's fields that the target covers (exactly or via a parent/child code)."""
    if not source.fields or not target.fields:
        return None
    shared = [f for f in source.fields if f in target.fields]
    related = [
        f for f in source.fields if f not in shared and any(_field_related(f, g) for g in target.fields)
    ]
    value = (len(shared) + 0.5 * len(related)) / len(set(source.fields))
    return min(1.0, value), {
        "shared": shared,
        "related": related,
        "source": list(source.fields),
        "target": list(target.fields),
    }


def trl_fit(source: Profile, target: Profile) -> tuple[float, dict[str, Any]] | None:
    """How well the maturity of one side meets the other.

    When one side is a need (demand, challenge) its TRL is the required level: reaching it scores 1, each
    missing level costs 0.25.  Between two offers it is closeness: 1 minus an eighth per level apart.
    """
    if source.trl is None or target.trl is None:
        return None
    detail: dict[str, Any] = {"source_trl": source.trl, "target_trl": target.trl}
    if source.kind in _NEED_KINDS and target.kind not in _NEED_KINDS:
        required, offered = source.trl, target.trl
    elif target.kind in _NEED_KINDS and source.kind not in _NEED_KINDS:
        required, offered = target.trl, source.trl
    else:
        gap = abs(source.trl - target.trl)
        detail.update(mode="closeness", gap=gap)
        return max(0.0, 1.0 - gap / 8.0), detail
    gap = required - offered
    detail.update(mode="requirement", required=required, offered=offered, gap=max(0, gap))
    return (1.0 if gap <= 0 else max(0.0, 1.0 - 0.25 * gap)), detail


def _budget_pair(a: Profile, b: Profile) -> tuple[int | None, int | None, int] | None:
    if a.price_fen is not None and (b.budget_min_fen is not None or b.budget_max_fen is not None):
        return b.budget_min_fen, b.budget_max_fen, a.price_fen
    return None


def budget_fit(source: Profile, target: Profile) -> tuple[float, dict[str, Any]] | None:
    """Asking price of one side against the budget range of the other.

    Within or under the range scores 1; above the maximum scores ``max / price`` (so twice the budget
    scores 0.5).
    """
    pair = _budget_pair(target, source) or _budget_pair(source, target)
    if pair is None:
        return None
    low, high, price = pair
    detail: dict[str, Any] = {"budget_min_fen": low, "budget_max_fen": high, "price_fen": price}
    if high is not None and price > high:
        detail["fit"] = "above"
        return (high / price if price > 0 else 0.0), detail
    if low is not None and price < low:
        detail["fit"] = "below"
        return 1.0, detail
    detail["fit"] = "within"
    return 1.0, detail


def _same(attr: str, source: Profile, target: Profile) -> tuple[float, dict[str, Any]] | None:
    a, b = getattr(source, attr), getattr(target, attr)
    if not a or not b:
        return None
    return (1.0 if a == b else 0.0), {"source": a, "target": b, "same": a == b}


def feature_reasons(source: Profile, target: Profile, weights: FeatureWeights) -> tuple[float, list[Reason]]:
    """Combined feature score in ``[0, 1]`` and one reason per applicable feature.

    Each reason's ``weight`` is its contribution to the combined score (``value * w / sum(w applied)``).
    """
    parts: list[tuple[str, float, tuple[float, dict[str, Any]] | None]] = [
        ("fields", weights.fields, field_fit(source, target)),
        ("trl", weights.trl, trl_fit(source, target)),
        ("budget", weights.budget, budget_fit(source, target)),
        ("park", weights.park, _same("park", source, target)),
        ("cluster", weights.cluster, _same("cluster", source, target)),
    ]
    applied = [(code, w, res) for code, w, res in parts if res is not None and w > 0]
    total_w = sum(w for _, w, _ in applied)
    if total_w <= 0:
        return 0.0, []
    score = 0.0
    reasons: list[Reason] = []
    for code, w, res in applied:
        assert res is not None
        value, detail = res
        contribution = value * w / total_w
        score += contribution
        reasons.append(Reason(code=code, weight=contribution, detail={"value": value, **detail}))
    return score, reasons
