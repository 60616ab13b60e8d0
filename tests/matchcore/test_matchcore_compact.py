"""Compact structures for the engine at city scale (docs/adr/0030-engine-at-city-scale.md): the lexical
main segment in 16-bit shards with quantised weights and an exact re-score, the exact vectors in a
privately mapped file, the documents in compressed blocks.  Each must return what the exact in-memory
engine returns."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchcore import Document, Engine, EngineConfig, HashingEmbedder, lexical
from matchcore.bench import generate_listings, generate_queries
from matchcore.lexical import LexicalIndex
from matchcore.store import DocStore, FileRows


@contextmanager
def _small_shards(bits: int) -> Iterator[None]:
    """Shards of ``2**bits`` slots, so a small catalogue spans many of them."""
    old = lexical.SHARD_BITS, lexical.SHARD
    lexical.SHARD_BITS, lexical.SHARD = bits, 1 << bits
    try:
        yield
    finally:
        lexical.SHARD_BITS, lexical.SHARD = old


def _brute_bm25(docs: dict[int, list[str]], query: list[str], k1: float, b: float) -> dict[int, float]:
    """BM25 from its definition (float64), for the documents in ``docs``."""
    n = len(docs)
    avgdl = sum(len(t) for t in docs.values()) / n if n else 1.0
    out: dict[int, float] = {}
    terms = list(dict.fromkeys(query))
    for slot, toks in docs.items():
        score = 0.0
        for t in terms:
            tf = toks.count(t)
            if tf:
                df = sum(1 for x in docs.values() if t in x)
                idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(toks) / avgdl))
        out[slot] = score
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=st.lists(
        st.lists(st.sampled_from("abcdefghijklmnop"), min_size=1, max_size=30), min_size=1, max_size=80
    ),
    query=st.lists(st.sampled_from("abcdefghijklmnopq"), min_size=1, max_size=8),
    k=st.integers(1, 12),
    removed=st.lists(st.integers(0, 79), max_size=5),
    split=st.integers(0, 80),
    bits=st.integers(2, 6),
)
def test_quantised_sharded_index_scores_exactly_on_random_corpora(
    docs, query, k, removed, split, bits
) -> None:  # type: ignore[no-untyped-def]
    with _small_shards(bits):
        exact = LexicalIndex(k1=1.5, b=1.0, merge_min=10**6, quantise_min=10**9)
        quant = LexicalIndex(k1=1.5, b=1.0, merge_min=10**6, quantise_min=1)
        split = min(split, len(docs))
        for index in (exact, quant):
            index.add_many(list(range(split)), docs[:split], merge=False)
            index.merge()
            if split < len(docs):  # the rest stays in the delta segment
                index.add_many(list(range(split, len(docs))), docs[split:])
            for slot in removed:
                index.remove(slot)
        assert quant.quantised == (split > 0 and quant._main_docs >= 1)
        n = exact.n_slots
        tids = exact.term_ids(query)
        assert quant.term_ids(query) == tids
        all_slots = np.arange(n, dtype=np.int64)
        # the exact scores: the unquantised index's full scan, the quantised index's scores_of, BM25
        want = exact.scores(tids, n)
        assert np.array_equal(quant.scores_of(tids, all_slots), want)
        assert np.array_equal(exact.scores_of(tids, all_slots), want)
        alive = {s: list(d) for s, d in enumerate(docs) if s not in set(removed)}
        # the quantised full scan stays within its stated error
        approx = quant.scores(tids, n)
        assert float(np.abs(approx - want).max(initial=0.0)) <= quant.quantisation_error(tids)
        # the top k is the exact one, ties by slot
        got_slots, got_scores = quant.top_k(tids, k, n)
        ok = want > 0
        idx = np.flatnonzero(ok)
        order = idx[np.lexsort((idx, -want[idx]))][:k]
        assert got_slots.tolist() == order.tolist()
        assert np.array_equal(got_scores, want[order])
        # a document's terms and contributions are found in its shard
        every = list(range(len(quant.terms)))
        held_by = quant.presence(every, all_slots)
        for s in range(n):
            assert [t for t in every if held_by[s, t]] == quant.doc_has(s, every) == exact.doc_has(s, every)
        for s in list(alive)[:5]:
            held = sorted(set(exact.term_ids(alive[s])))
            assert sorted(quant.doc_has(s, list(range(len(quant.terms))))) == held
            assert quant.contributions(tids, s) == exact.contributions(tids, s)
        # a second merge (some shards unchanged, some that lost a document) keeps everything exact
        for index in (exact, quant):
            index.remove(len(docs) - 1)
            index.merge()
        want = exact.scores(tids, n)
        assert np.array_equal(quant.scores_of(tids, all_slots), want)
        assert float(np.abs(quant.scores(tids, n) - want).max(initial=0.0)) <= quant.quantisation_error(tids)
        # everything merged: the scores are BM25's own (the main segment's weights use the average
        # length of their merge)
        alive.pop(len(docs) - 1, None)
        for s, v in _brute_bm25(alive, query, 1.5, 1.0).items():
            assert abs(float(want[s]) - v) < 1e-4 * max(1.0, v)


def _pair(n: int, **changes: object) -> tuple[Engine, Engine, list[Document]]:
    docs = generate_listings(n, seed=21)
    emb = HashingEmbedder(dim=64)
    exact = Engine(EngineConfig.default().with_(embedder="hashing", coarse_min=10**9), embedder=emb)
    other = Engine(EngineConfig.default().with_(embedder="hashing", **changes), embedder=emb)
    vectors = emb.encode_passages([d.title + "\n" + d.text for d in docs])
    for eng in (exact, other):
        eng.upsert_many(docs)
        eng.set_vectors([d.id for d in docs[: n - 50]], vectors[: n - 50])  # 50 without a vector yet
        for d in generate_listings(30, seed=22):  # a delta segment
            eng.upsert(Document(**{**d.__dict__, "id": f"late-{d.id}"}))
        eng.remove(docs[7].id)
    return exact, other, docs


def test_quantised_engine_returns_the_exact_top_k() -> None:
    with _small_shards(9):  # 512-slot shards: the catalogue spans several
        exact, quant, docs = _pair(2500, lexical_quantise_min=100)
        assert quant._lex.quantised and not exact._lex.quantised
        assert len(quant._lex._shards) >= 5
        for q in generate_queries(60, seed=5):
            a = exact.search(q, k=10, floor=False)
            b = quant.search(q, k=10, floor=False)
            assert [h.id for h in a] == [h.id for h in b], q
            for x, y in zip(a, b, strict=True):
                assert x.lexical_score == y.lexical_score  # re-scored exactly
                assert x.dense_score == y.dense_score
                assert abs(x.score - y.score) < 1e-4
                assert x.matched_terms == y.matched_terms
        rec_a = exact.recommend(docs[3].id, k=10)
        rec_b = quant.recommend(docs[3].id, k=10)
        assert [h.id for h in rec_a] == [h.id for h in rec_b]
        ex_a = exact.explain("激光雷达", docs[11].id)
        ex_b = quant.explain("激光雷达", docs[11].id)
        assert ex_a.term_contributions == ex_b.term_contributions and ex_a.rank == ex_b.rank


def test_vectors_in_a_file_return_what_vectors_in_memory_return() -> None:
    exact, mapped, docs = _pair(1200, vector_file_min=100, coarse_min=10**9)
    assert mapped._vec_file and isinstance(mapped._vectors, FileRows)
    assert not exact._vec_file
    for q in generate_queries(30, seed=6):
        a = exact.search(q, k=10, floor=False)
        b = mapped.search(q, k=10, floor=False)
        assert [(h.id, h.score, h.dense_score) for h in a] == [(h.id, h.score, h.dense_score) for h in b]
    # growing, writing more rows, and compaction keep the map consistent
    extra = generate_listings(1100, seed=23)
    emb = mapped.embedder
    for eng in (exact, mapped):
        eng.upsert_many([Document(**{**d.__dict__, "id": f"x-{d.id}"}) for d in extra])
        assert eng.embed_missing() > 0
        for d in docs[100:1100]:
            eng.remove(d.id)  # enough to compact
    assert mapped.stats()["slots"] < 2000  # compacted
    assert mapped._vec_file
    q = generate_queries(1, seed=9)[0]
    a = exact.search(q, k=10, floor=False)
    b = mapped.search(q, k=10, floor=False)
    assert [(h.id, h.score) for h in a] == [(h.id, h.score) for h in b]
    v = mapped.vector_of(f"x-{extra[0].id}")
    assert v is not None
    np.testing.assert_allclose(v, emb.encode_passages([extra[0].title + "\n" + extra[0].text])[0], atol=1e-6)


def test_documents_in_compressed_blocks_come_back_equal() -> None:
    store = DocStore(block=4)
    docs = generate_listings(30, seed=1)
    for d in docs:
        store.append(d)
    store.remove(2)
    store.remove(29)
    assert [store.get(i) for i in range(30)] == [None if i in (2, 29) else d for i, d in enumerate(docs)]
    assert store.get(30) is None and store.get(-1) is None
    compact = store.compacted(np.array([5, 0, 28], dtype=np.int64))
    assert [compact.get(i) for i in range(3)] == [docs[5], docs[0], docs[28]]
    # the engine hands them back unchanged, and an unchanged upsert is recognised
    eng = Engine(EngineConfig.default().with_(embedder="hashing"), embedder=HashingEmbedder(dim=32))
    eng.upsert_many(docs)
    version = eng.index_version
    eng.upsert(docs[4])
    assert eng.index_version == version
    assert eng.get(docs[4].id) == docs[4]
    assert [h.kind for h in eng.search(docs[9].title, k=5, floor=False)]


def test_top_superset_keeps_every_one_of_the_best() -> None:
    rng = np.random.default_rng(4)
    for n, want in ((200_000, 10), (200_000, 1000), (70_000, 200), (70_000, 5000)):
        scores = rng.normal(size=n).astype(np.float32)
        scores[rng.integers(0, n, size=50)] = 3.0  # ties
        mask = rng.random(n) < 0.6
        idx = Engine._top_superset(scores, mask, want)
        assert bool(mask[idx].all())
        full = np.flatnonzero(mask)
        kth = np.sort(scores[full])[::-1][want - 1]
        best = set(full[scores[full] >= kth].tolist())
        assert best <= set(idx.tolist())
        assert len(idx) < len(full) or want * 128 > n  # it did cut where it can
    # a mask with fewer entries than wanted: every one of them
    mask = np.zeros(100_000, dtype=bool)
    mask[:5] = True
    assert Engine._top_superset(np.ones(100_000, dtype=np.float32), mask, 10).tolist() == [0, 1, 2, 3, 4]


def test_id_map_is_a_mapping_of_the_alive_slots() -> None:
    from matchcore.store import IdMap

    ids = IdMap()
    model: dict[str, int] = {}
    rng = np.random.default_rng(3)
    names = [f"doc-{i}" for i in range(6000)] + ["长文档-é", ""]
    for step in range(9000):
        name = names[int(rng.integers(0, len(names)))]
        if name in model and rng.random() < 0.4:
            ids.remove_slot(model.pop(name))
            continue
        if name in model:
            ids.remove_slot(model[name])
        model[name] = ids.append(name)
        if step % 2500 == 0:
            ids.fold()
    assert len(ids) == len(model)
    for name in names:
        assert ids.get(name) == model.get(name)
        assert (name in ids) == (name in model)
    assert dict(ids.items()) == model and sorted(ids) == sorted(model)
    for name, slot in model.items():
        assert ids.id_of(slot) == name
    compact = ids.compacted(ids.slots())
    assert sorted(compact) == sorted(model) and compact.get(next(iter(model))) is not None


def test_file_rows_read_and_write_like_an_array() -> None:
    rng = np.random.default_rng(2)
    arr = rng.normal(size=(300, 7)).astype(np.float32)
    rows = FileRows(arr, 320)
    model = np.zeros((320, 7), dtype=np.float32)
    model[:300] = arr
    assert len(rows) == 320 and rows.shape == (320, 7)
    rows[5] = np.ones(7)
    rows[np.array([7, 310])] = np.full((2, 7), 2.0)
    model[5], model[[7, 310]] = 1.0, 2.0
    assert rows.private_rows == 3
    for key in (0, 5, 319, -1, slice(3, 9), slice(None), np.array([310, 7, 8, 9, 10, 2, 2]), model[:, 0] > 0):
        np.testing.assert_array_equal(rows[key], model[key])
    again = FileRows(rows)  # a new file from the old one, overlay included
    assert again.private_rows == 0
    np.testing.assert_array_equal(again[:], model)


def _answers(eng: Engine, docs: list[Document]) -> list[list[str]]:
    out = [[repr(h) for h in eng.search(q, k=10, floor=False)] for q in generate_queries(40, seed=31)]
    out.append([repr(h) for h in eng.recommend(docs[3].id, k=10)])
    out.append([repr(eng.explain("激光雷达", docs[11].id))])
    return out


def test_a_streamed_load_builds_the_index_upsert_many_builds(monkeypatch) -> None:
    from matchcore import engine as engine_module
    from matchcore.bench import iter_listings

    monkeypatch.setattr(engine_module, "_TOKEN_CHUNK", 256)  # several chunks
    with _small_shards(9):
        emb = HashingEmbedder(dim=64)
        config = EngineConfig.default().with_(embedder="hashing", lexical_quantise_min=100, coarse_min=200)
        docs = generate_listings(1500, seed=21)
        vectors = emb.encode_passages([d.title + "\n" + d.text for d in docs])
        listed, streamed = Engine(config, embedder=emb), Engine(config, embedder=emb)
        listed.upsert_many(docs)
        streamed.load(iter_listings(1500, seed=21))
        assert streamed.ids() == listed.ids()
        for eng in (listed, streamed):
            eng.set_vectors([d.id for d in docs], vectors)
        assert _answers(streamed, docs) == _answers(listed, docs)
        # a later duplicate in the stream replaces the earlier listing
        again = Engine(config, embedder=emb)
        again.load([*docs[:300], Document(**{**docs[5].__dict__, "title": "替换后的标题"})])
        assert len(again) == 300 and again.get(docs[5].id).title == "替换后的标题"


def test_repack_keeps_every_answer_and_the_engine_writable() -> None:
    with _small_shards(9):
        changes = {"lexical_quantise_min": 100, "coarse_min": 200, "vector_file_min": 100}
        _, twin, _ = _pair(1500, **changes)
        _, packed, docs = _pair(1500, **changes)
        before = _answers(packed, docs)
        assert before == _answers(twin, docs)
        lex, docs_store, vectors = packed._lex, packed._docs, packed._vectors
        packed.repack()
        assert packed._lex is lex and packed._docs is not docs_store  # re-created, the arrays shared
        assert packed._vectors is vectors and isinstance(vectors, FileRows)
        assert _answers(packed, docs) == before
        for eng in (twin, packed):  # writes after the repack
            eng.upsert(Document(**{**docs[20].__dict__, "id": "after-repack", "title": "激光雷达新品"}))
            eng.remove(docs[30].id)
            assert eng.embed_missing() > 0
        assert _answers(packed, docs) == _answers(twin, docs)


def test_repack_moves_the_vectors_set_after_the_file_into_a_new_file() -> None:
    """docs/adr/0030-engine-at-city-scale.md, "The vectors' overlay": a build that sets its vectors a
    chunk at a time leaves the later ones in the file's per-process overlay; repack writes them to a new
    file, and the answers are those of vectors held in memory."""
    docs = generate_listings(600, seed=21)
    emb = HashingEmbedder(dim=64)
    config = EngineConfig.default().with_(embedder="hashing", coarse_min=10**9)
    exact = Engine(config, embedder=emb)
    chunked = Engine(config.with_(vector_file_min=100), embedder=emb)
    vectors = np.asarray(emb.encode_passages([exact.passage_text(d) for d in docs]))
    exact.upsert_many(docs)
    exact.set_vectors([d.id for d in docs], vectors)
    # the platform's build: the listings first, then their stored vectors in chunks
    chunked.upsert_many(docs)
    for start in range(0, len(docs), 50):
        chunked.set_vectors([d.id for d in docs[start : start + 50]], vectors[start : start + 50])
    assert chunked._vec_file and chunked._vectors.private_rows == 500  # all but the first file's 100
    queries = generate_queries(20, seed=4)

    def answers(engine: Engine) -> list[list[tuple[str, float, float | None]]]:
        return [
            [(h.id, h.score, h.dense_score) for h in engine.search(q, k=10, floor=False)] for q in queries
        ]

    before = answers(chunked)
    chunked.repack()
    assert chunked._vec_file and chunked._vectors.private_rows == 0
    assert answers(chunked) == before == answers(exact)
    np.testing.assert_allclose(chunked.vector_of(docs[599].id), exact.vector_of(docs[599].id), atol=0)
