"""The engine at city scale (docs/adr/0030-engine-at-city-scale.md): the coarse dense scan with an exact
re-score of the candidates, exact moments of the vectors, and results equal to the exact scan."""

from __future__ import annotations

import numpy as np

from matchcore import Engine, EngineConfig, HashingEmbedder
from matchcore.bench import generate_listings, generate_queries


def _engines(n: int) -> tuple[Engine, Engine]:
    docs = generate_listings(n, seed=11)
    emb = HashingEmbedder(dim=96)
    exact = Engine(EngineConfig.default().with_(embedder="hashing", coarse_min=10**9), embedder=emb)
    coarse = Engine(
        EngineConfig.default().with_(
            embedder="hashing", coarse_min=100, coarse_dims=48, coarse_candidates=50
        ),
        embedder=emb,
    )
    vectors = emb.encode_passages([d.title + "\n" + d.text for d in docs])
    for eng in (exact, coarse):
        eng.upsert_many(docs)
        eng.set_vectors([d.id for d in docs], vectors)
    return exact, coarse


def test_coarse_scan_matches_the_exact_scan_on_the_top_hits() -> None:
    exact, coarse = _engines(600)
    assert coarse._coarse is not None and exact._coarse is None
    same = 0
    queries = generate_queries(30, seed=3)
    for q in queries:
        a = exact.search(q, k=10, floor=False)
        b = coarse.search(q, k=10, floor=False)
        same += [h.id for h in a] == [h.id for h in b]
        # the hits both return carry the same exact scores (the exact vectors re-score the candidates)
        by_id = {h.id: h for h in a}
        for h in b:
            if h.id in by_id:
                assert h.dense_score is not None
                assert abs(h.dense_score - by_id[h.id].dense_score) < 1e-5  # type: ignore[operator]
                assert abs(h.score - by_id[h.id].score) < 1e-3
    assert same >= 0.9 * len(queries)


def test_moments_stay_exact_through_updates_and_removals() -> None:
    _, coarse = _engines(300)
    docs = generate_listings(40, seed=5)
    coarse.remove(coarse.ids()[0])
    coarse.upsert_many([d.__class__(**{**d.__dict__, "id": f"n{d.id}"}) for d in docs])
    coarse.embed_missing()
    coarse.remove(coarse.ids()[3])
    n = len(coarse._docs)
    mask = coarse._has_vec[:n] & coarse._alive[:n]
    vectors = coarse._vectors[:n][mask]  # type: ignore[index]
    q = vectors[7]
    mean, std = coarse._dense_stats(q)
    cos = vectors @ q
    assert abs(mean - float(cos.mean())) < 1e-5
    assert abs(std - float(cos.std())) < 1e-5
    np.testing.assert_allclose(coarse._vsum, vectors.astype(np.float64).sum(axis=0), atol=1e-6)  # type: ignore[arg-type]
