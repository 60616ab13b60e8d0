"""Engine behaviour: writes, immediate searchability, filters, reasons, vectors, explanations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matchcore_testdata import CATALOGUE, make_doc

from matchcore import Engine, EngineConfig, HashingEmbedder, QueryContext

ALL_IDS = [d.id for d in CATALOGUE]


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.id for h in hits]


# ------------------------------------------------------------------ writes
def test_new_document_is_lexically_searchable_immediately(engine: Engine) -> None:
    engine.upsert(make_doc("a-new", title="钙钛矿太阳能电池", text="柔性钙钛矿薄膜光伏组件"))
    assert "a-new" in engine
    assert engine.missing_vectors() == ["a-new"]
    assert ids(engine.search("钙钛矿电池", k=3))[0] == "a-new"


def test_update_replaces_the_old_text(engine: Engine) -> None:
    engine.upsert(make_doc("a-sensor", title="石墨烯散热膜", text="高导热石墨烯薄膜"))
    assert len(engine) == len(CATALOGUE)
    assert "a-sensor" in ids(engine.search("石墨烯导热"))
    assert "a-sensor" not in ids(engine.search("温湿度传感器"))


def test_update_with_same_passage_keeps_vector_and_changed_passage_drops_it(engine: Engine) -> None:
    laser = engine.get("a-laser")
    assert laser is not None
    engine.upsert(make_doc("a-laser", title=laser.title, text=laser.text, trl=9))
    assert "a-laser" not in engine.missing_vectors()
    engine.upsert(make_doc("a-laser", title=laser.title, text="全新的描述"))
    assert "a-laser" in engine.missing_vectors()


def test_remove_makes_document_unfindable_and_reports_presence(engine: Engine) -> None:
    assert engine.remove("a-laser") is True
    assert engine.remove("a-laser") is False
    assert "a-laser" not in engine
    assert "a-laser" not in ids(engine.search("激光加工", k=20))
    assert len(engine) == len(CATALOGUE) - 1


def test_index_version_increases_on_every_change(engine: Engine) -> None:
    v0 = engine.index_version
    engine.upsert(make_doc("x", text="测试"))
    v1 = engine.index_version
    engine.set_vectors(["x"], np.ones((1, 128)))
    v2 = engine.index_version
    engine.remove("x")
    assert v0 < v1 < v2 < engine.index_version


def test_identical_upsert_is_a_no_op(engine: Engine) -> None:
    version = engine.index_version
    engine.upsert(CATALOGUE[0])
    assert engine.index_version == version


def test_delta_merge_and_compaction_do_not_change_scores() -> None:
    config = EngineConfig.default().with_(merge_min=5, merge_ratio=0.0)
    docs = [make_doc(f"d{i}", text=f"激光器 传感器 样品{i} " + "芯片 " * (i % 4)) for i in range(40)]
    eng = Engine(config, embedder=HashingEmbedder())
    eng.upsert_many(docs[:3])
    before = {h.id: h.lexical_score for h in eng.search("激光 芯片", k=50)}
    for d in docs[3:]:
        eng.upsert(d)
    for d in docs[3:]:
        eng.remove(d.id)
    assert eng.stats()["merges"] > 0
    eng.compact()
    after = {h.id: h.lexical_score for h in eng.search("激光 芯片", k=50)}
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] == pytest.approx(value, rel=1e-5)


def test_many_removals_trigger_compaction_and_keep_ids_consistent() -> None:
    eng = Engine(EngineConfig.default().with_(use_dense=False), embedder=HashingEmbedder())
    eng.upsert_many(make_doc(f"d{i}", text=f"编号{i} 激光") for i in range(3000))
    for i in range(0, 3000, 2):
        eng.remove(f"d{i}")
    assert eng.stats()["slots"] < 3000
    assert len(eng) == 1500
    assert {h.id for h in eng.search("激光", k=3000)} == {f"d{i}" for i in range(1, 3000, 2)}


# ------------------------------------------------------------------ filters
def test_kinds_filter_returns_only_those_kinds(engine: Engine) -> None:
    hits = engine.search("激光加工", kinds=["demand"])
    assert hits and all(h.kind == "demand" for h in hits)


def test_allowed_set_filters_before_truncation(engine: Engine) -> None:
    # the best laser hit is hidden; the next visible ones must fill the page
    hits = engine.search("激光加工", k=2, allowed={"d-laser", "e-optics", "a-sensor"})
    assert len(hits) == 2
    assert set(ids(hits)) <= {"d-laser", "e-optics", "a-sensor"}


def test_allowed_callable_is_respected(engine: Engine) -> None:
    hits = engine.search("激光", k=10, allowed=lambda doc_id: doc_id.startswith("d-"))
    assert hits and all(h.id.startswith("d-") for h in hits)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    allowed=st.sets(st.sampled_from([*ALL_IDS, "ghost"])),
    query=st.sampled_from(["激光加工", "传感器", "网络安全", "芯片检测", "仓库", "专家", "玻璃微孔"]),
    k=st.integers(min_value=1, max_value=8),
    as_callable=st.booleans(),
)
def test_allowed_never_leaks(
    engine: Engine, allowed: set[str], query: str, k: int, as_callable: bool
) -> None:
    filt = (lambda doc_id: doc_id in allowed) if as_callable else allowed
    hits = engine.search(query, k=k, allowed=filt)
    assert all(h.id in allowed for h in hits)
    assert len(hits) <= k
    rec = engine.recommend("d-laser", k=k, allowed=filt)
    assert all(h.id in allowed for h in rec)


# ------------------------------------------------------------------ reasons and features
def test_search_hit_has_terms_and_semantic_reasons(engine: Engine) -> None:
    hit = engine.search("飞秒激光微孔加工")[0]
    assert hit.id == "a-laser"
    codes = {r.code for r in hit.reasons}
    assert {"terms", "semantic"} <= codes
    assert "激光" in hit.matched_terms
    terms = next(r for r in hit.reasons if r.code == "terms")
    assert terms.detail["terms"] == hit.matched_terms
    assert hit.dense_score is not None and hit.lexical_score > 0


def test_lexical_only_hit_has_no_semantic_reason(lexical_engine: Engine) -> None:
    hit = lexical_engine.search("激光加工")[0]
    assert hit.dense_score is None
    assert "semantic" not in {r.code for r in hit.reasons}


def test_recommend_for_demand_returns_counterpart_kinds_with_feature_reasons(engine: Engine) -> None:
    hits = engine.recommend("d-laser", k=5)
    assert hits[0].id == "a-laser"
    assert all(h.kind in {"achievement", "expert", "organization"} for h in hits)
    assert "d-laser" not in ids(hits)
    reasons = {r.code: r for r in hits[0].reasons}
    assert reasons["fields"].detail["shared"] == ["optics.laser"]
    assert reasons["trl"].detail == {
        "value": 1.0,
        "source_trl": 6,
        "target_trl": 7,
        "mode": "requirement",
        "required": 6,
        "offered": 7,
        "gap": 0,
    }
    assert reasons["budget"].detail["fit"] == "within"
    assert reasons["budget"].detail["price_fen"] == 50_000_000
    assert reasons["park"].detail["same"] is True
    assert hits[0].feature_score == pytest.approx(1.0)


def test_budget_above_maximum_scores_ratio_and_trl_gap_is_penalised(engine: Engine) -> None:
    hit = next(h for h in engine.recommend("d-sensor", k=10) if h.id == "a-sensor")
    reasons = {r.code: r for r in hit.reasons}
    assert reasons["budget"].detail["fit"] == "above"
    assert reasons["budget"].detail["value"] == pytest.approx(1_000_000 / 2_000_000)
    assert reasons["trl"].detail["value"] == 1.0
    biochip = next(h for h in engine.recommend("d-laser", k=10) if h.id == "a-biochip")
    trl = next(r for r in biochip.reasons if r.code == "trl")
    assert trl.detail["gap"] == 2 and trl.detail["value"] == pytest.approx(0.5)
    assert (
        "fields" not in {r.code for r in biochip.reasons}
        or next(r for r in biochip.reasons if r.code == "fields").detail["shared"] == []
    )


def test_field_overlap_counts_parent_codes_as_related(engine: Engine) -> None:
    hit = next(h for h in engine.recommend("a-laser", kinds=["expert"], k=3) if h.id == "e-optics")
    fields = next(r for r in hit.reasons if r.code == "fields")
    assert fields.detail["shared"] == ["optics"]
    assert fields.detail["related"] == ["optics.laser"]
    assert fields.detail["value"] == pytest.approx(0.75)


def test_search_with_context_adds_feature_score(engine: Engine) -> None:
    ctx = QueryContext(kind="demand", fields=("iot",), trl=5, budget_max_fen=3_000_000)
    hits = engine.search("传感器", context=ctx)
    top = hits[0]
    assert top.id == "a-sensor"
    assert top.feature_score > 0
    assert {"fields", "trl", "budget"} <= {r.code for r in top.reasons}


def test_recommend_accepts_an_unsaved_document(engine: Engine) -> None:
    draft = make_doc("draft", kind="demand", title="激光微孔加工", text="玻璃盖板打孔", fields=("optics",))
    hits = engine.recommend(draft, k=3)
    assert hits and hits[0].id == "a-laser"


def test_recommend_unknown_id_raises(engine: Engine) -> None:
    with pytest.raises(KeyError):
        engine.recommend("nope")


# ------------------------------------------------------------------ vectors
def test_set_vectors_validates_shape_and_skips_unknown_ids(lexical_engine: Engine) -> None:
    with pytest.raises(ValueError):
        lexical_engine.set_vectors(["a-laser"], np.ones((2, 128)))
    assert lexical_engine.set_vectors(["a-laser", "ghost"], np.ones((2, 128))) == 1
    assert "a-laser" not in lexical_engine.missing_vectors()


def test_set_vectors_with_stale_digest_is_ignored(lexical_engine: Engine) -> None:
    doc = lexical_engine.get("a-laser")
    assert doc is not None
    digest = lexical_engine.passage_digest(doc)
    vec = lexical_engine.embed_passage_texts([doc])
    lexical_engine.upsert(make_doc("a-laser", title=doc.title, text="改过的文字"))
    assert lexical_engine.set_vectors(["a-laser"], vec, digests=[digest]) == 0
    assert "a-laser" in lexical_engine.missing_vectors()


def test_embed_missing_fills_every_vector(lexical_engine: Engine) -> None:
    assert len(lexical_engine.missing_vectors()) == len(CATALOGUE)
    assert lexical_engine.embed_missing(batch_size=3) == len(CATALOGUE)
    assert lexical_engine.missing_vectors() == []


def test_document_without_vector_still_ranks_by_lexical_score(engine: Engine) -> None:
    engine.upsert(make_doc("a-new", title="量子点显示材料", text="量子点发光材料"))
    assert engine.search("量子点材料")[0].id == "a-new"


# ------------------------------------------------------------------ explain and highlight
def test_explain_reports_term_contributions_and_rank(engine: Engine) -> None:
    exp = engine.explain("激光微孔", "a-laser")
    assert exp.rank == 1 and exp.hit is not None
    assert exp.term_contributions["激光"] > 0
    assert sum(exp.term_contributions.values()) == pytest.approx(exp.hit.lexical_score, rel=1e-4)


def test_explain_for_a_source_document(engine: Engine) -> None:
    demand = engine.get("d-laser")
    assert demand is not None
    exp = engine.explain(demand, "a-laser")
    assert exp.hit is not None and exp.hit.feature_score > 0


def test_highlight_on_engine_marks_matched_terms(engine: Engine) -> None:
    hit = engine.search("激光加工")[0]
    doc = engine.get(hit.id)
    assert doc is not None
    segments = engine.highlight(doc.title, hit.matched_terms)
    assert any(is_match for _, is_match in segments)
    assert "".join(s for s, _ in segments) == doc.title


def test_empty_query_returns_nothing(engine: Engine) -> None:
    assert engine.search("的") == []


# --- calibrated relevance and informative reasons (docs/adr/0020-calibrated-matching.md) ---------------


def test_every_hit_has_a_calibrated_relevance_and_a_tier(engine: Engine) -> None:
    hits = engine.search("激光", k=10, floor=False)
    assert hits
    for hit in hits:
        assert 0.0 <= hit.relevance <= 1.0
        assert hit.tier == engine.tier(hit.relevance)
    assert engine.tier(0.99) == "strong" and engine.tier(0.3) == "medium" and engine.tier(0.01) == "weak"


def test_calibration_rises_with_the_evidence(engine: Engine) -> None:
    low = engine.calibrated_relevance(1.0, 1.0, 0.2)
    assert engine.calibrated_relevance(4.0, 1.0, 0.2) > low
    assert engine.calibrated_relevance(1.0, 1.0, 0.9) > low
    assert engine.calibrated_relevance(None, 3.0, 1.0) > engine.calibrated_relevance(None, 3.0, 0.1)
    # a hit holding (nearly) every term of the query is at least 中
    assert engine.tier(engine.calibrated_relevance(0.0, 0.5, 1.0)) in ("medium", "strong")


def test_the_floor_drops_weak_hits_only_when_calibrated(engine: Engine) -> None:
    everything = engine.search("激光", k=50, floor=False)
    assert not engine.calibrated  # the hashing embedder: nothing is dropped
    assert [h.id for h in engine.search("激光", k=50)] == [h.id for h in everything]
    config = engine.config.with_(calibrated_for="hashing", relevance_floor=0.3)
    calibrated = Engine(config, embedder=engine.embedder)
    calibrated.upsert_many([d for d in (engine.get(i) for i in engine.ids()) if d is not None])
    calibrated.embed_missing()
    assert calibrated.calibrated
    kept = calibrated.search("激光", k=50)
    assert [h.id for h in kept] == [
        h.id for h in calibrated.search("激光", k=50, floor=False) if h.relevance >= 0.3
    ]
    strict = Engine(config.with_(relevance_floor=1.0), embedder=engine.embedder)
    strict.upsert_many([d for d in (engine.get(i) for i in engine.ids()) if d is not None])
    strict.embed_missing()
    assert strict.search("激光", k=50) == []


def test_reasons_name_no_filler_words() -> None:
    from matchcore import Document, HashingEmbedder
    from matchcore.text import REASON_STOPWORDS

    eng = Engine(EngineConfig.default(), embedder=HashingEmbedder(dim=64))
    eng.upsert_many(
        [
            Document(
                id="a", kind="achievement", title="激光焊接质量提升技术", text="焊缝强度不足、质量下降的问题"
            ),
            Document(id="b", kind="achievement", title="压力传感器", text="测量精度"),
        ]
    )
    hits = eng.search("激光焊接 质量 技术 不足 下降", k=5, floor=False)
    assert hits and hits[0].id == "a"
    assert {"激光", "焊接"} <= set(hits[0].matched_terms)
    assert not set(hits[0].matched_terms) & {"技术", "质量", "不足", "下降"}
    assert {"技术", "质量", "不足", "下降"} <= REASON_STOPWORDS


def test_reasons_skip_terms_common_in_the_catalogue() -> None:
    from matchcore import Document, HashingEmbedder

    eng = Engine(EngineConfig.default(), embedder=HashingEmbedder(dim=64))
    docs = [
        Document(id=f"d{i}", kind="achievement", title=f"储能电站第{i}号", text="储能") for i in range(30)
    ]
    docs.append(Document(id="x", kind="achievement", title="储能电站液冷热管理", text="液冷板"))
    eng.upsert_many(docs)
    hit = next(h for h in eng.search("储能电站 液冷", k=40, floor=False) if h.id == "x")
    assert "液冷" in hit.matched_terms and "储能" not in hit.matched_terms
