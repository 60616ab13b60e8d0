"""The BEIR loader and evaluate() on a tiny folder written by the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matchcore import EngineConfig, HashingEmbedder
from matchcore.eval import evaluate, load_beir, main


@pytest.fixture
def beir(tmp_path: Path) -> Path:
    corpus = [
        {"_id": "d1", "title": "", "text": "飞秒激光器在玻璃上加工微孔"},
        {"_id": "d2", "title": "", "text": "无线温湿度传感器用于冷链仓库"},
        {"_id": "d3", "title": "", "text": "拟态防御网关抵御网络攻击"},
        {"_id": "d4", "title": "芯片", "text": "微流控生物芯片快速检测核酸"},
    ]
    queries = [
        {"_id": "q1", "text": "激光 微孔"},
        {"_id": "q2", "text": "仓库 传感器"},
        {"_id": "q3", "text": "网络 攻击 防御"},
        {"_id": "q4", "text": "不相关的问题"},
        {"_id": "q-unjudged", "text": "芯片"},
    ]
    (tmp_path / "corpus.jsonl").write_text(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in corpus), "utf-8"
    )
    (tmp_path / "queries.jsonl").write_text(
        "\n".join(json.dumps(q, ensure_ascii=False) for q in queries), "utf-8"
    )
    (tmp_path / "qrels.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\td3\t1\nq4\td4\t1\n", "utf-8"
    )
    return tmp_path


def test_load_beir_reads_corpus_queries_and_qrels(beir: Path) -> None:
    data = load_beir(beir)
    assert [d.id for d in data.corpus] == ["d1", "d2", "d3", "d4"]
    assert data.corpus[3].title == "芯片"
    assert data.queries["q1"] == "激光 微孔"
    assert data.qrels["q3"] == {"d3": 1}


def test_evaluate_reports_every_metric_for_judged_queries(beir: Path) -> None:
    config = EngineConfig.default().with_(embedder="hashing")
    result = evaluate(beir, k=3, config=config, embedder=HashingEmbedder())
    assert set(result) >= {
        "mrr@3",
        "recall@3",
        "ndcg@3",
        "query_ms_p50",
        "query_ms_p95",
        "index_seconds",
        "queries",
    }
    assert result["queries"] == 4
    # q1-q3 are found first; q4 shares no term and is found at most by chance
    assert result["mrr@3"] >= 0.75
    assert result["recall@3"] >= 0.75
    assert result["query_ms_p95"] >= result["query_ms_p50"] >= 0


def test_evaluate_with_vector_cache_reuses_vectors(beir: Path, tmp_path: Path) -> None:
    config = EngineConfig.default().with_(embedder="hashing")
    cache = tmp_path / "cache"
    first = evaluate(beir, config=config, cache_dir=cache)
    assert len(list(cache.iterdir())) == 1
    second = evaluate(beir, config=config, cache_dir=cache)
    assert first["mrr@10"] == second["mrr@10"]
    assert second["vectors_cached"] is True


def test_cli_prints_json(beir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(beir), "--queries", "queries.jsonl", "--k", "5", "--json", "--embedder", "hashing"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "mrr@5" in out and out["queries"] == 4


def test_evaluate_abstain_removes_each_querys_relevant_documents(beir: Path) -> None:
    """``--abstain`` (docs/adr/0020-calibrated-matching.md): the relevant documents are taken out for
    their query and put back afterwards, so the normal figures are unchanged."""
    config = EngineConfig.default().with_(embedder="hashing")
    plain = evaluate(beir, k=3, config=config, embedder=HashingEmbedder())
    result = evaluate(beir, k=3, config=config, embedder=HashingEmbedder(), abstain=True)
    assert 0.0 <= result["abstain_empty"] <= result["abstain_rate"] <= 1.0
    assert set(result["abstain_top_tier"]) == {"strong", "medium", "weak"}
    assert result["mrr@3"] == plain["mrr@3"] and result["recall@3"] == plain["recall@3"]
    assert result["mrr@3_unfloored"] >= result["mrr@3"] - 1e-9
