"""The engine at city scale (docs/adr/0030-engine-at-city-scale.md): the coarse dense scan with an exact
re-score of the candidates, exact moments of the vectors, and results equal to the exact scan."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# ------------------------------------------------------------------ lexical top-k without a full scan
def _exhaustive_top(index, tids: list[int], k: int, n: int, mask=None):  # type: ignore[no-untyped-def]
    scores = index.scores(tids, n)
    ok = scores > 0
    if mask is not None:
        ok &= mask
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((idx, -scores[idx]))][:k]
    return order, scores[order]


def test_lexical_top_k_equals_exhaustive_scoring_on_the_benchmark_queries() -> None:
    eng = Engine(EngineConfig.default().with_(embedder="hashing"), embedder=HashingEmbedder(dim=32))
    eng.upsert_many(generate_listings(3000, seed=2))
    for d in generate_listings(40, seed=4):  # a delta segment too, and a removal
        eng.upsert(d.__class__(**{**d.__dict__, "id": f"late-{d.id}"}))
    eng.remove(eng.ids()[5])
    lex, n = eng._lex, len(eng._docs)
    assert lex.delta_size > 0
    rng = np.random.default_rng(1)
    mask = rng.random(n) < 0.7
    for q in generate_queries(200):
        tids = eng._query_terms(q, None)
        for k, m in ((10, None), (200, None), (10, mask)):
            want_slots, want_scores = _exhaustive_top(lex, tids, k, n, m)
            got_slots, got_scores = lex.top_k(tids, k, n, m)
            assert got_slots.tolist() == want_slots.tolist(), q
            assert np.array_equal(got_scores, want_scores), q


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=st.lists(
        st.lists(st.sampled_from("abcdefghijklmnop"), min_size=1, max_size=30), min_size=1, max_size=80
    ),
    query=st.lists(st.sampled_from("abcdefghijklmnopq"), min_size=1, max_size=8),
    k=st.integers(1, 12),
    removed=st.lists(st.integers(0, 79), max_size=5),
    split=st.integers(0, 80),
)
def test_lexical_top_k_equals_exhaustive_scoring_on_random_corpora(docs, query, k, removed, split) -> None:  # type: ignore[no-untyped-def]
    from matchcore.lexical import LexicalIndex

    index = LexicalIndex(k1=1.5, b=1.0, merge_min=10**6, sample_size=16)
    split = min(split, len(docs))
    index.add_many(list(range(split)), docs[:split], merge=False)
    index.merge()
    if split < len(docs):  # the rest stays in the delta segment
        index.add_many(list(range(split, len(docs))), docs[split:])
    for slot in removed:
        index.remove(slot)
    tids = index.term_ids(query)
    n = index.n_slots
    want_slots, want_scores = _exhaustive_top(index, tids, k, n)
    got_slots, got_scores = index.top_k(tids, k, n)
    assert got_slots.tolist() == want_slots.tolist()
    assert np.array_equal(got_scores, want_scores)
    # the statistics: exact over a catalogue no larger than the sample
    if index.n_alive and index._main_docs <= 16:
        scores = index.scores(tids, n)[index._alive[:n]]
        mean, std = index.stats(tids)
        assert abs(mean - float(scores.mean())) < 1e-4 and abs(std - float(scores.std())) < 1e-4


def test_candidate_path_agrees_with_the_full_scan() -> None:
    docs = generate_listings(800, seed=13)
    emb = HashingEmbedder(dim=96)
    vectors = emb.encode_passages([d.title + "\n" + d.text for d in docs])
    full = Engine(EngineConfig.default().with_(embedder="hashing", coarse_min=10**9), embedder=emb)
    cand = Engine(
        EngineConfig.default().with_(
            embedder="hashing", coarse_min=100, coarse_dims=48, candidate_path=True, lexical_sample=300
        ),
        embedder=emb,
    )
    for eng in (full, cand):
        eng.upsert_many(docs)
        eng.set_vectors([d.id for d in docs[:700]], vectors[:700])  # some documents without a vector yet
    assert cand._candidates_path() and not full._candidates_path()
    same = overlap = 0
    queries = generate_queries(40, seed=8)
    for q in queries:
        a = [h.id for h in full.search(q, k=10, floor=False)]
        b = [h.id for h in cand.search(q, k=10, floor=False, kinds=None)]
        same += a == b
        overlap += len(set(a) & set(b))
    assert overlap >= 0.9 * 10 * len(queries)
    # filters still apply before the cut
    allowed = {d.id for d in docs[::3]}
    for q in queries[:10]:
        hits = cand.search(q, k=10, floor=False, allowed=allowed, kinds=["demand"])
        assert all(h.id in allowed and h.kind == "demand" for h in hits)
        want = [h.id for h in full.search(q, k=10, floor=False, allowed=allowed, kinds=["demand"])]
        assert len(set(want) & {h.id for h in hits}) >= 7
