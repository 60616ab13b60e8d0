"""The split vector scan gives exactly the serial product, and the engine ranks the same with it."""

import numpy as np
import pytest

from matchcore import Engine
from matchcore.config import EngineConfig
from matchcore.embed import HashingEmbedder
from matchcore.threads import parallel_matvec
from matchcore.types import Document


@pytest.mark.parametrize("rows", [1, 2, 3, 7, 1000, 20_011])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_parallel_matvec_equals_serial(rows: int, threads: int) -> None:
    rng = np.random.default_rng(rows * 10 + threads)
    matrix = rng.normal(size=(rows, 48)).astype(np.float32)
    vector = rng.normal(size=48).astype(np.float32)
    got = parallel_matvec(matrix, vector, threads)
    assert got.shape == (rows,)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, matrix @ vector, rtol=1e-5, atol=1e-5)


def test_engine_ranks_identically_with_split_scan() -> None:
    words = ["激光", "传感器", "芯片", "安全", "汽车", "软件", "检测", "光纤", "算法", "平台"]
    docs = [
        Document(
            id=f"d{i}",
            kind="achievement",
            title=f"{words[i % 10]}{words[(i * 3) % 10]}系统{i}",
            text=f"{words[(i * 7) % 10]}与{words[(i * 5) % 10]}的应用",
        )
        for i in range(400)
    ]
    results = []
    for split_min in (10**9, 1):  # never split / always split
        engine = Engine(EngineConfig.default().with_(dense_split_min=split_min), embedder=HashingEmbedder())
        engine.upsert_many(docs)
        engine.embed_missing()
        results.append([(h.id, round(h.score, 5)) for h in engine.search("激光传感器检测", k=20)])
    assert results[0] == results[1]
    assert len(results[0]) == 20


def test_scan_pool_is_rebuilt_after_fork() -> None:
    import os

    rng = np.random.default_rng(5)
    matrix = rng.normal(size=(64, 8)).astype(np.float32)
    vector = rng.normal(size=8).astype(np.float32)
    parallel_matvec(matrix, vector, 2)  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # child: the parent's worker thread is gone; a stale pool would hang here
        import signal

        signal.alarm(20)  # ... so a hang kills the child, and the test fails instead of hanging
        ok = np.allclose(parallel_matvec(matrix, vector, 2), matrix @ vector, atol=1e-5)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
