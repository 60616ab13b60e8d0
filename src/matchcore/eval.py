"""Evaluate the engine on a BEIR-format folder (corpus.jsonl, a queries file, qrels.tsv).

Usage::

    python -m matchcore.eval FOLDER --queries queries-keywords.jsonl [--k 10] [--json] [--cache DIR]

Reported: MRR@k, Recall@k, nDCG@k, query latency p50/p95 in ms (one query at a time, including the
query's encoding) and the index time in seconds (segmentation, BM25 and the dense encoding of every
passage).  ``--cache DIR`` reuses passage vectors keyed by embedder name and text hash, which makes
repeated runs fast but the reported index time then excludes encoding (the output says so).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import EngineConfig
from .embed import Embedder
from .engine import Engine
from .types import Document

__all__ = [
    "BeirData",
    "evaluate",
    "load_beir",
    "main",
    "mrr_at_k",
    "ndcg_at_k",
    "percentile",
    "recall_at_k",
]


@dataclass
class BeirData:
    """A loaded BEIR folder: documents, queries and graded relevance judgements."""

    corpus: list[Document]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_beir(
    folder: str | Path, queries_file: str = "queries.jsonl", qrels_file: str = "qrels.tsv"
) -> BeirData:
    """Load ``corpus.jsonl``, the queries file and ``qrels.tsv`` (header line optional) from ``folder``."""
    root = Path(folder)
    corpus = [
        Document(
            id=str(row["_id"]),
            kind="achievement",
            title=str(row.get("title") or ""),
            text=str(row.get("text") or ""),
        )
        for row in _read_jsonl(root / "corpus.jsonl")
    ]
    queries = {str(row["_id"]): str(row["text"]) for row in _read_jsonl(root / queries_file)}
    qrels: dict[str, dict[str, int]] = {}
    qpath = root / qrels_file
    if not qpath.exists():
        qpath = root / "qrels" / "test.tsv"
    with qpath.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0] == "query-id":
                continue
            try:
                score = int(float(parts[2]))
            except ValueError:
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = score
    return BeirData(corpus=corpus, queries=queries, qrels=qrels)


# ---------------------------------------------------------------------- metrics
def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top ``k`` (0 if none)."""
    for i, doc_id in enumerate(ranked[:k], start=1):
        if relevant.get(doc_id, 0) > 0:
            return 1.0 / i
    return 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top ``k``."""
    rel = {d for d, s in relevant.items() if s > 0}
    if not rel:
        return 0.0
    return len(rel.intersection(ranked[:k])) / len(rel)


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """nDCG with linear gains (the BEIR/pytrec_eval convention): ``sum rel_i / log2(i + 1)``."""
    dcg = sum(relevant.get(d, 0) / math.log2(i + 1) for i, d in enumerate(ranked[:k], start=1))
    ideal = sorted((s for s in relevant.values() if s > 0), reverse=True)[:k]
    idcg = sum(s / math.log2(i + 1) for i, s in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100, linear interpolation) of ``values``."""
    if not values:
        return 0.0
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


# ---------------------------------------------------------------------- evaluation
def _cached_vectors(engine: Engine, docs: list[Document], cache_dir: Path) -> None:
    texts = [engine.passage_text(d) for d in docs]
    h = hashlib.blake2b(digest_size=16)
    h.update(engine.embedder_name.encode("utf-8"))
    for t in texts:
        h.update(b"\0")
        h.update(t.encode("utf-8"))
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in engine.embedder_name)
    path = cache_dir / f"{safe}-{h.hexdigest()}.npy"
    if path.exists():
        matrix = np.load(path)
    else:
        matrix = engine.embed_passage_texts(docs)
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, matrix)
    engine.set_vectors([d.id for d in docs], matrix)


def _abstention(engine: Engine, data: BeirData, judged: list[tuple[str, str]], k: int) -> dict[str, Any]:
    """Each judged query again with its relevant documents removed from the corpus: the share answered
    "nothing strong enough" (no hit of tier medium or strong; ``abstain_rate``), the share with no hit
    over the floor at all (``abstain_empty``) and the tier of the best hit.  The documents are put back
    (with their vectors) after each query."""
    by_id = {d.id: d for d in data.corpus}
    abstained = empty = 0
    tiers: dict[str, int] = {"strong": 0, "medium": 0, "weak": 0}
    for qid, text in judged:
        removed: list[tuple[Document, Any]] = []
        for doc_id in data.qrels[qid]:
            doc = by_id.get(doc_id)
            if doc is None or doc_id not in engine:
                continue
            removed.append((doc, engine.vector_of(doc_id)))
            engine.remove(doc_id)
        hits = engine.search(text, k=k)
        if not hits:
            empty += 1
        else:
            tiers[hits[0].tier] = tiers.get(hits[0].tier, 0) + 1
        if not any(h.tier in ("strong", "medium") for h in hits):
            abstained += 1
        for doc, vector in removed:
            engine.upsert(doc)
            if vector is not None:
                engine.set_vectors([doc.id], vector[None, :])
    n = max(len(judged), 1)
    return {
        "abstain_rate": round(abstained / n, 4),
        "abstain_empty": round(empty / n, 4),
        "abstain_top_tier": {key: round(v / n, 4) for key, v in tiers.items()},
    }


def evaluate(
    folder: str | Path,
    queries_file: str = "queries.jsonl",
    k: int = 10,
    config: EngineConfig | None = None,
    embedder: Embedder | None = None,
    cache_dir: str | Path | None = None,
    abstain: bool = False,
) -> dict[str, Any]:
    """Index the folder's corpus with a fresh engine and score every judged query.

    Returns ``mrr@k``, ``recall@k``, ``ndcg@k`` (of the answers the engine gives, after its relevance
    floor), the same three without the floor (``*_unfloored``: the ranking alone), ``answered`` (share
    of queries with a hit of tier medium or strong), ``query_ms_p50``, ``query_ms_p95``, ``index_seconds``,
    ``queries``, plus ``embedder`` and ``vectors_cached``.  With ``abstain``, also ``abstain_rate``:
    the share of queries answered "nothing strong enough" once their relevant documents are removed
    from the corpus (docs/adr/0020-calibrated-matching.md).
    """
    data = load_beir(folder, queries_file)
    cfg = config or EngineConfig.default()
    engine = Engine(cfg, embedder=embedder)
    t0 = time.perf_counter()
    engine.upsert_many(data.corpus)
    if cfg.use_dense:
        if cache_dir is not None:
            _cached_vectors(engine, data.corpus, Path(cache_dir))
        else:
            engine.embed_missing()
    index_seconds = time.perf_counter() - t0
    judged = [(qid, text) for qid, text in data.queries.items() if qid in data.qrels]
    if cfg.use_dense and judged:
        engine.embedder.encode_queries([judged[0][1]])  # load the model outside the timed loop
    mrr = rec = ndcg = 0.0
    raw_mrr = raw_rec = raw_ndcg = 0.0
    answered = 0
    times: list[float] = []
    for qid, text in judged:
        t = time.perf_counter()
        hits = engine.search(text, k=k, floor=False)
        times.append((time.perf_counter() - t) * 1000.0)
        rel = data.qrels[qid]
        raw = [h.id for h in hits]
        raw_mrr += mrr_at_k(raw, rel, k)
        raw_rec += recall_at_k(raw, rel, k)
        raw_ndcg += ndcg_at_k(raw, rel, k)
        # what a reader is shown: the same ranking, hits under the relevance floor dropped
        floor = cfg.relevance_floor if engine.calibrated else 0.0
        ranked = [h.id for h in hits if h.relevance >= floor]
        answered += any(h.tier in ("strong", "medium") for h in hits if h.relevance >= floor)
        mrr += mrr_at_k(ranked, rel, k)
        rec += recall_at_k(ranked, rel, k)
        ndcg += ndcg_at_k(ranked, rel, k)
    n = max(len(judged), 1)
    extra = _abstention(engine, data, judged, k) if abstain else {}
    return {
        f"mrr@{k}": round(mrr / n, 4),
        f"recall@{k}": round(rec / n, 4),
        f"ndcg@{k}": round(ndcg / n, 4),
        f"mrr@{k}_unfloored": round(raw_mrr / n, 4),
        f"recall@{k}_unfloored": round(raw_rec / n, 4),
        f"ndcg@{k}_unfloored": round(raw_ndcg / n, 4),
        "answered": round(answered / n, 4),
        **extra,
        "relevance_floor": cfg.relevance_floor if engine.calibrated else None,
        "tiers": {"strong": cfg.tier_strong, "medium": cfg.tier_medium},
        "query_ms_p50": round(percentile(times, 50), 2),
        "query_ms_p95": round(percentile(times, 95), 2),
        "index_seconds": round(index_seconds, 2),
        "queries": len(judged),
        "documents": len(data.corpus),
        "embedder": engine.embedder_name if cfg.use_dense else None,
        "vectors_cached": cache_dir is not None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m matchcore.eval", description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--queries", default="queries.jsonl", help="queries file inside FOLDER")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cache", default=None, help="directory to cache passage vectors in")
    parser.add_argument("--embedder", default=None, help="embedder spec (default: the config's)")
    parser.add_argument(
        "--abstain", action="store_true", help="also measure abstention with the relevant documents removed"
    )
    args = parser.parse_args(argv)
    cfg = EngineConfig.default()
    if args.embedder:
        cfg = cfg.with_(embedder=args.embedder)
    result = evaluate(
        args.folder, args.queries, k=args.k, config=cfg, cache_dir=args.cache, abstain=args.abstain
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
