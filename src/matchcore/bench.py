"""Speed and memory benchmark on synthetic Chinese technology listings.

Usage::

    python -m matchcore.bench --docs 10000,100000 [--queries 200] [--dense-sample 500] [--json]

The listings come from a small grammar of hand-written word lists (IoT sensors, optics and lasers,
bio-semiconductors, cyber security, automotive manufacturing, software), seeded so every run sees the
same data.  Nothing is taken from the CSL benchmark.

For every size the benchmark reports, for :class:`matchcore.Engine` with ``EngineConfig.default()``:

* lexical indexing throughput (segmentation + BM25, documents/s, measured on the whole size);
* dense indexing throughput, **measured** by encoding ``--dense-sample`` documents with the real
  embedder; the remaining rows of the vector matrix are **synthesised** from the measured vectors (a
  measured vector plus small noise, renormalised) so the query test runs at full size;
* query latency p50/p95 in ms, one query at a time, **including the query's encoding**;
* single-document upsert latency (a listing becoming searchable);
* resident memory after indexing and the process's peak;

and the same numbers for a brute-force baseline measured in the same run: ``bm25s`` rebuilt over the
whole corpus (same tokens) plus a numpy dot product over all vectors and a z-score fusion, no engine.

Both systems encode the query with the same embedder, so their latency ratio has a floor: the ratio an
engine would reach if the encoding were its only work.  The baseline's queries time their encoding
separately, and the report gives it (``encode_ms_p50`` / ``encode_ms_p95``) with that floor
(``floor_ratio_query_p95_encoding_over_baseline``; docs/adr/0030-engine-at-city-scale.md, seventh pass).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .config import EngineConfig
from .embed import Embedder, load_embedder
from .engine import Engine
from .eval import percentile
from .store import no_huge_pages, release_free_memory
from .text import Segmenter
from .types import Document

__all__ = ["generate_listings", "generate_queries", "main", "run_bench"]

# ---------------------------------------------------------------------- grammar
_DOMAINS: dict[str, dict[str, list[str]]] = {
    "iot": {
        "object": [
            "温湿度传感器",
            "气体传感器",
            "压力传感器",
            "无线传感节点",
            "智能电表",
            "边缘网关",
            "振动监测终端",
            "低功耗蓝牙模组",
            "窄带物联网模组",
            "毫米波雷达",
            "MEMS加速度计",
            "红外热释电探测器",
        ],
        "method": [
            "低功耗无线组网",
            "MEMS微加工工艺",
            "自供能能量采集",
            "多传感器数据融合",
            "边缘计算推理",
            "LoRa远距离通信",
            "时间敏感网络",
            "异常检测算法",
            "自校准补偿算法",
        ],
        "scene": [
            "智慧仓储",
            "冷链物流",
            "工业设备预测性维护",
            "智慧农业大棚",
            "城市燃气管网",
            "楼宇能耗管理",
            "桥梁结构健康监测",
            "智慧社区安防",
        ],
        "metric": ["功耗", "测量精度", "通信距离", "电池寿命", "响应时间", "漂移量"],
    },
    "optics": {
        "object": [
            "飞秒激光器",
            "光纤激光器",
            "激光雷达",
            "衍射光学元件",
            "红外热像仪",
            "高功率半导体激光器",
            "光学相干层析系统",
            "超表面透镜",
            "激光清洗装备",
            "精密光学镀膜",
        ],
        "method": [
            "超快激光微加工",
            "自适应光学校正",
            "光纤放大技术",
            "相干合束",
            "非线性频率变换",
            "离子束抛光",
            "激光诱导击穿光谱",
            "计算成像重建",
        ],
        "scene": [
            "玻璃盖板微孔加工",
            "半导体晶圆切割",
            "自动驾驶环境感知",
            "文物表面清洗",
            "眼科诊断",
            "空间光通信",
            "航空发动机叶片打孔",
            "光伏电池划片",
        ],
        "metric": ["脉冲能量", "光束质量", "加工精度", "热影响区", "成像分辨率", "转换效率"],
    },
    "bio": {
        "object": [
            "微流控芯片",
            "生物传感芯片",
            "基因测序芯片",
            "器官芯片",
            "可穿戴汗液检测贴片",
            "数字PCR芯片",
            "细胞分选芯片",
            "植入式神经电极",
        ],
        "method": [
            "CMOS与生物兼容集成",
            "微纳加工工艺",
            "表面功能化修饰",
            "电化学阻抗检测",
            "荧光信号放大",
            "液滴微流控技术",
            "柔性电子封装",
        ],
        "scene": ["即时检验", "肿瘤早筛", "传染病快速检测", "新药筛选", "慢病管理", "食品安全检测"],
        "metric": ["检测灵敏度", "检测时间", "样本用量", "特异性", "批间差异"],
    },
    "security": {
        "object": [
            "拟态防御网关",
            "工控安全审计系统",
            "零信任访问平台",
            "可信计算模块",
            "数据脱敏系统",
            "威胁情报平台",
            "国密加密网关",
            "态势感知平台",
        ],
        "method": [
            "动态异构冗余架构",
            "国产密码算法",
            "行为基线建模",
            "流量深度检测",
            "可信启动度量",
            "联邦学习隐私计算",
            "漏洞挖掘模糊测试",
        ],
        "scene": ["工业控制网络", "政务云平台", "金融交易系统", "车联网平台", "医疗数据共享", "电力调度系统"],
        "metric": ["检出率", "误报率", "吞吐量", "时延", "防护覆盖率"],
    },
    "auto": {
        "object": [
            "一体化压铸件",
            "动力电池包",
            "电驱动总成",
            "线控制动系统",
            "车身焊装线",
            "智能座舱域控制器",
            "轻量化铝合金副车架",
            "热管理系统",
        ],
        "method": [
            "机器视觉缺陷检测",
            "数字孪生产线仿真",
            "激光焊接工艺",
            "柔性装配机器人",
            "大型压铸模具设计",
            "电池热失控预警",
            "碳纤维复合材料成型",
        ],
        "scene": ["新能源汽车制造", "整车总装", "零部件质量追溯", "智能工厂改造", "汽车轻量化"],
        "metric": ["良品率", "生产节拍", "能耗", "重量", "装配精度"],
    },
    "software": {
        "object": [
            "工业互联网平台",
            "低代码开发平台",
            "知识图谱系统",
            "大模型问答系统",
            "城市运行管理平台",
            "供应链协同系统",
            "科技成果评价系统",
            "智能排产软件",
        ],
        "method": [
            "微服务架构",
            "图数据库",
            "检索增强生成",
            "时序数据库",
            "多目标优化调度",
            "自然语言处理",
            "知识抽取",
            "云原生容器编排",
        ],
        "scene": ["制造企业数字化转型", "政务服务", "科技园区管理", "中小企业协同", "智慧城市治理"],
        "metric": ["响应时间", "并发用户数", "准确率", "部署成本", "开发效率"],
    },
}
_ACH_OPEN = ["本成果", "本项目", "该技术", "团队研制的", "本团队开发的"]
_PROBLEM = [
    "成本高、效率低",
    "依赖进口、供应不稳定",
    "精度不足、一致性差",
    "能耗高、维护难",
    "数据孤岛严重",
    "安全风险突出",
    "人工依赖度高",
]
_GAIN = ["提升", "提高", "改善", "优化"]
_DROP = ["降低", "减少", "缩短"]
_MODE = ["技术转让", "许可使用", "作价入股", "合作开发", "技术服务"]
_NEED_OPEN = ["我公司", "企业", "我单位", "园区企业"]
_PARKS = ["物联网研发中心科创园", "嘉唐智地BTIT科创产业园", "上海光机所菊园科创园", "拟态安全产业园", None]
_CLUSTERS = ["未来数字智能", "未来能源光源", "未来材料科技", "未来生命医学"]


def _listing(rng: random.Random, i: int) -> Document:
    domain = rng.choice(list(_DOMAINS))
    words = _DOMAINS[domain]
    obj, method, scene = rng.choice(words["object"]), rng.choice(words["method"]), rng.choice(words["scene"])
    metric, metric2 = rng.sample(words["metric"], 2)
    other = _DOMAINS[rng.choice(list(_DOMAINS))]
    is_demand = rng.random() < 0.3
    if is_demand:
        title = rng.choice([f"{scene}用{obj}技术需求", f"寻求{method}解决方案", f"{obj}{metric}提升需求"])
        text = (
            f"{rng.choice(_NEED_OPEN)}从事{scene}相关业务，现有方案存在{rng.choice(_PROBLEM)}等问题。"
            f"希望引进{method}，开发{obj}，使{metric}{rng.choice(_GAIN)}{rng.randint(10, 80)}%，"
            f"{metric2}{rng.choice(_DROP)}{rng.randint(5, 50)}%。可接受{rng.choice(_MODE)}方式，"
            f"并考虑结合{rng.choice(other['method'])}。"
        )
        low = rng.randint(5, 200) * 1_000_000
        budget: dict[str, Any] = {"budget_min_fen": low, "budget_max_fen": low * rng.randint(2, 5)}
    else:
        title = rng.choice([f"基于{method}的{obj}", f"{obj}关键技术及应用", f"面向{scene}的{obj}"])
        text = (
            f"{rng.choice(_ACH_OPEN)}采用{method}，研制了{obj}，解决了{scene}中{rng.choice(_PROBLEM)}的难题。"
            f"{metric}{rng.choice(_GAIN)}{rng.randint(10, 90)}%，"
            f"{metric2}{rng.choice(_DROP)}{rng.randint(5, 60)}%，"
            f"已申请发明专利{rng.randint(1, 12)}项。可应用于{scene}、{rng.choice(words['scene'])}等场景，"
            f"并可与{rng.choice(other['object'])}配套，转化方式为{rng.choice(_MODE)}。"
        )
        budget = {"price_fen": rng.randint(10, 2000) * 100_000}
    return Document(
        id=f"syn-{i}",
        kind="demand" if is_demand else "achievement",
        title=title,
        text=text,
        fields=(domain, f"{domain}.{words['object'].index(obj)}"),
        trl=rng.randint(2, 9),
        park=rng.choice(_PARKS),
        cluster=rng.choice(_CLUSTERS),
        **budget,
    )


def iter_listings(n: int, seed: int = 20240601) -> Iterator[Document]:
    """``n`` deterministic synthetic listings (about 30% demands, the rest achievements), one at a time."""
    rng = random.Random(seed)
    for i in range(n):
        yield _listing(rng, i)


def generate_listings(n: int, seed: int = 20240601) -> list[Document]:
    """The listings of :func:`iter_listings` in a list."""
    return list(iter_listings(n, seed))


def generate_queries(n: int, seed: int = 7) -> list[str]:
    """``n`` deterministic, distinct demand-style queries (no query repeats, so no cache can help)."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        words = _DOMAINS[rng.choice(list(_DOMAINS))]
        q = rng.choice(
            [
                f"{rng.choice(words['scene'])}需要{rng.choice(words['object'])}",
                f"{rng.choice(words['method'])} {rng.choice(words['object'])} {rng.choice(words['metric'])}",
                f"如何{rng.choice(_GAIN)}{rng.choice(words['object'])}的{rng.choice(words['metric'])}",
                f"{rng.choice(words['object'])}",
                f"面向{rng.choice(words['scene'])}的{rng.choice(words['method'])}方案，要求{rng.choice(words['metric'])}"
                f"{rng.choice(_GAIN)}{rng.randint(10, 60)}%",
            ]
        )
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


# ---------------------------------------------------------------------- helpers
def _rss_mb() -> float:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:  # pragma: no cover - non-Linux
        return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pss_mb(pid: int) -> float:
    """Proportional set size of a process (``/proc/PID/smaps_rollup``): shared pages count once in total
    over the processes that share them, unlike RSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # pragma: no cover - non-Linux
        pass
    return float("nan")


def _serve(
    n: int,
    seed: int,
    sample_vectors: npt.NDArray[np.float32],
    queries: list[str],
    embedder: Embedder | None,
    config: EngineConfig,
    workers: int,
    out: Any,
) -> None:
    """A server in one process tree, started as a fresh interpreter like ``kechuang serve``'s gunicorn
    master (not forked from the driver, whose heap holds its own 1M-listing run): build the engine,
    streaming the generated listings into :meth:`Engine.load` (the platform's build reads them from the
    database in chunks), repack it (:meth:`Engine.repack`), freeze the heap (``gc.freeze``: the
    collector would otherwise write to every object and copy the shared pages), fork ``workers``
    processes that each answer every query, and report the sum of the PSS of the master and its
    workers while they are all alive (docs/adr/0030-engine-at-city-scale.md)."""
    import os

    from .threads import fork_friendly_openmp

    fork_friendly_openmp()  # as the gunicorn master does before it builds and forks
    no_huge_pages()  # likewise: no huge pages for the workers to fault in (store.no_huge_pages)
    vectors = np.vstack(
        [
            sample_vectors[: min(n, len(sample_vectors))],
            _synth_vectors(sample_vectors, max(0, n - len(sample_vectors)), seed + n),
        ]
    )
    engine = Engine(config, embedder=embedder)
    t = time.perf_counter()
    engine.load(iter_listings(n, seed=seed))
    load_s = time.perf_counter() - t
    engine.set_vectors(engine.ids(), vectors)  # the slots follow the listings' order
    del vectors
    gc.collect()
    engine.repack()  # the build's leftovers in the small-object allocator back to the system
    # the query encoder loaded once, here, on one OpenMP thread: the workers share its pages instead
    # of each loading a copy of its own
    engine.embedder.encode_queries(queries[:1])
    gc.collect()
    release_free_memory()  # the build's freed temporaries: not shared with (and copied by) the workers
    gc.freeze()
    master_pss_alone = _pss_mb(os.getpid())
    pids: list[int] = []
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker: answer every query once (as a serving worker would), then wait
            status = b"0"
            try:
                os.close(ready_r)
                os.close(go_w)
                for q in queries:
                    engine.search(q, k=10)
                status = b"1"
            except BaseException:  # reported to the master, which must not wait forever
                import traceback

                traceback.print_exc()
            finally:
                try:
                    os.write(ready_w, status)
                    os.read(go_r, 1)
                finally:
                    os._exit(0)
        pids.append(pid)
    os.close(ready_w)
    os.close(go_r)
    answered = sum(os.read(ready_r, 1) == b"1" for _ in range(workers))
    per_worker = [_pss_mb(p) for p in pids]
    master = _pss_mb(os.getpid())
    os.write(go_w, b"x" * workers)
    for p in pids:
        os.waitpid(p, 0)
    out.send(
        {
            "workers": workers,
            "workers_answered": answered,
            "load_s": round(load_s, 2),
            "master_pss_mb": round(master, 1),
            "master_pss_mb_before_fork": round(master_pss_alone, 1),
            "worker_pss_mb": [round(x, 1) for x in per_worker],
            "server_pss_mb": round(master + sum(per_worker), 1),
        }
    )


def _bench_server(
    n: int,
    seed: int,
    sample_vectors: npt.NDArray[np.float32],
    queries: list[str],
    embedder: Embedder | None,
    config: EngineConfig,
    workers: int,
) -> dict[str, Any]:
    """Resident memory of a whole server with ``workers`` workers sharing one index (see :func:`_serve`).
    ``embedder`` None: the server loads the config's own."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(
        target=_serve, args=(n, seed, sample_vectors, queries, embedder, config, workers, send), daemon=False
    )
    proc.start()
    send.close()  # so a server that dies before answering ends the wait below
    try:
        result: dict[str, Any] = recv.recv()
    except EOFError:
        result = {"workers": workers, "error": f"the server process exited with {proc.exitcode}"}
    proc.join()
    return result


def _synth_vectors(sample: npt.NDArray[np.float32], n: int, seed: int) -> npt.NDArray[np.float32]:
    """``n`` unit vectors shaped like the measured ones: a measured vector plus small Gaussian noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, sample.shape[1]), dtype=np.float32)
    step = 20_000
    for start in range(0, n, step):
        m = min(step, n - start)
        base = sample[rng.integers(0, len(sample), size=m)]
        block = base + rng.normal(0.0, 0.02, size=base.shape).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + m] = block
    return out


def _bench_engine(
    docs: list[Document],
    vectors: npt.NDArray[np.float32],
    queries: list[str],
    embedder: Embedder,
    config: EngineConfig,
) -> dict[str, Any]:
    gc.collect()
    rss0 = _rss_mb()
    engine = Engine(config, embedder=embedder)
    t = time.perf_counter()
    engine.upsert_many(docs)
    lexical_s = time.perf_counter() - t
    engine.set_vectors([d.id for d in docs], vectors)
    # single upserts: each becomes searchable before the call returns
    extra = generate_listings(50, seed=99)
    upsert_ms = []
    for d in extra:
        t = time.perf_counter()
        engine.upsert(Document(**{**d.__dict__, "id": f"new-{d.id}"}))
        upsert_ms.append((time.perf_counter() - t) * 1000)
    times = []
    for q in queries:
        t = time.perf_counter()
        engine.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    rss = _rss_mb() - rss0
    del engine
    return {
        "lexical_index_s": round(lexical_s, 2),
        "lexical_docs_per_s": round(len(docs) / lexical_s, 1),
        "upsert_ms_p50": round(percentile(upsert_ms, 50), 2),
        "upsert_ms_p95": round(percentile(upsert_ms, 95), 2),
        "query_ms_p50": round(percentile(times, 50), 2),
        "query_ms_p95": round(percentile(times, 95), 2),
        "rss_mb": round(rss, 1),
    }


def _bench_baseline(
    docs: list[Document],
    vectors: npt.NDArray[np.float32],
    queries: list[str],
    embedder: Embedder,
    config: EngineConfig,
) -> dict[str, Any]:
    import bm25s

    gc.collect()
    rss0 = _rss_mb()
    seg = Segmenter(mode=config.segment_mode)
    t = time.perf_counter()
    corpus_tokens = [seg.tokens("\n".join([d.title, d.title, d.text])) for d in docs]
    retriever = bm25s.BM25(k1=config.bm25_k1, b=config.bm25_b)
    retriever.index(corpus_tokens, show_progress=False)
    lexical_s = time.perf_counter() - t
    vocab = retriever.vocab_dict
    matrix = np.ascontiguousarray(vectors)
    w = config.lexical_weight
    times = []
    encode_times = []  # the encoding inside each timed query: the share both systems pay
    for q in queries:
        t = time.perf_counter()
        qv = embedder.encode_queries([q])[0]
        encode_times.append((time.perf_counter() - t) * 1000)
        qt = [tok for tok in seg.tokens(q) if tok in vocab]
        lex = retriever.get_scores(qt) if qt else np.zeros(len(docs), dtype=np.float32)
        dense = matrix @ qv
        fused = w * (lex - lex.mean()) / (lex.std() + 1e-9) + (1 - w) * (dense - dense.mean()) / (
            dense.std() + 1e-9
        )
        top = np.argpartition(-fused, 10)[:10]
        top[np.argsort(-fused[top])]
        times.append((time.perf_counter() - t) * 1000)
    rss = _rss_mb() - rss0
    del retriever
    return {
        "lexical_index_s": round(lexical_s, 2),
        "lexical_docs_per_s": round(len(docs) / lexical_s, 1),
        "upsert_ms_p50": round(lexical_s * 1000, 1),  # a new listing needs a full rebuild
        "upsert_ms_p95": round(lexical_s * 1000, 1),
        "query_ms_p50": round(percentile(times, 50), 2),
        "query_ms_p95": round(percentile(times, 95), 2),
        "encode_ms_p50": round(percentile(encode_times, 50), 2),
        "encode_ms_p95": round(percentile(encode_times, 95), 2),
        "rss_mb": round(rss, 1),
    }


_NO_BASELINE: dict[str, Any] = {
    k: float("nan")
    for k in (
        "lexical_index_s",
        "lexical_docs_per_s",
        "upsert_ms_p50",
        "upsert_ms_p95",
        "query_ms_p50",
        "query_ms_p95",
        "encode_ms_p50",
        "encode_ms_p95",
        "rss_mb",
    )
}


def run_bench(
    sizes: Sequence[int] = (10_000, 100_000),
    queries: int = 200,
    dense_sample: int = 500,
    embedder: Embedder | None = None,
    config: EngineConfig | None = None,
    seed: int = 20240601,
    workers: int = 0,
    baseline: bool = True,
) -> dict[str, Any]:
    """Run the benchmark for each size (see the module docstring); returns a JSON-ready dict.

    ``workers`` > 0 also measures a whole server: the index built once, ``workers`` forked workers
    answering the queries, the sum of their PSS (see :func:`_serve`)."""
    cfg = config or EngineConfig.default()
    emb = embedder or load_embedder(cfg.embedder)
    all_docs = generate_listings(max(sizes), seed=seed)
    qs = generate_queries(queries)
    engine_for_text = Engine(cfg, embedder=emb)
    sample_docs = all_docs[:dense_sample]
    emb.encode_passages([engine_for_text.passage_text(sample_docs[0])])  # load the model
    t = time.perf_counter()
    sample_vectors = engine_for_text.embed_passage_texts(sample_docs)
    dense_s = time.perf_counter() - t
    dense_rate = len(sample_docs) / dense_s
    emb.encode_queries(qs[:1])
    t = time.perf_counter()
    for q in qs[:50]:
        emb.encode_queries([q])
    query_encode_ms = (time.perf_counter() - t) * 1000 / min(50, len(qs))
    results: dict[str, Any] = {
        "config": "EngineConfig.default()",
        "embedder": emb.name,
        "dense_sample_docs": len(sample_docs),
        "dense_docs_per_s_measured": round(dense_rate, 2),
        "query_encode_ms_mean": round(query_encode_ms, 2),
        "queries": len(qs),
        "sizes": {},
    }
    for n in sorted(sizes):
        docs = all_docs[:n]
        vectors = np.vstack(
            [
                sample_vectors[: min(n, len(sample_vectors))],
                _synth_vectors(sample_vectors, max(0, n - len(sample_vectors)), seed + n),
            ]
        )
        eng = _bench_engine(docs, vectors, qs, emb, cfg)
        base = _bench_baseline(docs, vectors, qs, emb, cfg) if baseline else _NO_BASELINE
        results["sizes"][str(n)] = {
            "server": None,
            "engine": eng,
            "baseline": base,
            "dense_index_s_extrapolated": round(n / dense_rate, 1),
            "vectors_measured": min(n, len(sample_vectors)),
            "vectors_synthesised": max(0, n - len(sample_vectors)),
            "ratio_query_p95_engine_over_baseline": round(eng["query_ms_p95"] / base["query_ms_p95"], 3),
            "ratio_query_p50_engine_over_baseline": round(eng["query_ms_p50"] / base["query_ms_p50"], 3),
            # the ratio an engine doing no work of its own besides the encoding would reach: its floor
            "floor_ratio_query_p95_encoding_over_baseline": round(
                base["encode_ms_p95"] / base["query_ms_p95"], 3
            ),
            "floor_ratio_query_p50_encoding_over_baseline": round(
                base["encode_ms_p50"] / base["query_ms_p50"], 3
            ),
            "ratio_lexical_throughput_engine_over_baseline": round(
                eng["lexical_docs_per_s"] / base["lexical_docs_per_s"], 3
            ),
            "ratio_upsert_latency_engine_over_baseline": round(
                eng["upsert_ms_p95"] / base["upsert_ms_p95"], 5
            ),
            "peak_rss_mb_so_far": round(_peak_rss_mb(), 1),
        }
    if workers > 0:
        # the server measurements run after the listings above are dropped: the forked server shares no
        # data with this process but the embedder (its PSS is reported with the driver's)
        del all_docs, docs, vectors
        gc.collect()
        release_free_memory()  # the forked server would otherwise count its share of this heap
        for n in sorted(sizes):
            server = _bench_server(n, seed, sample_vectors, qs, embedder, cfg, workers)
            server["driver_pss_mb"] = round(_pss_mb(os.getpid()), 1)
            results["sizes"][str(n)]["server"] = server
    return results


def _table(res: dict[str, Any]) -> str:
    lines = [
        f"embedder {res['embedder']}: dense encoding measured on {res['dense_sample_docs']} docs = "
        f"{res['dense_docs_per_s_measured']} docs/s; query encoding {res['query_encode_ms_mean']} ms mean",
        "| size | system | lexical index docs/s | dense index (extrapolated) s | upsert p95 ms | "
        "query p50 ms | query p95 ms | RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, r in res["sizes"].items():
        for name in ("engine", "baseline"):
            x = r[name]
            lines.append(
                f"| {n} | {name} | {x['lexical_docs_per_s']} | {r['dense_index_s_extrapolated']} | "
                f"{x['upsert_ms_p95']} | {x['query_ms_p50']} | {x['query_ms_p95']} | {x['rss_mb']} |"
            )
        lines.append(
            f"| {n} | ratio engine/baseline | {r['ratio_lexical_throughput_engine_over_baseline']} | | "
            f"{r['ratio_upsert_latency_engine_over_baseline']} | "
            f"{r['ratio_query_p50_engine_over_baseline']} | "
            f"{r['ratio_query_p95_engine_over_baseline']} | |"
        )
        b = r["baseline"]
        lines.append(
            f"| {n} | the query's encoding alone (inside the baseline's queries; floor of the ratio) | | | | "
            f"{b['encode_ms_p50']} ({r['floor_ratio_query_p50_encoding_over_baseline']}) | "
            f"{b['encode_ms_p95']} ({r['floor_ratio_query_p95_encoding_over_baseline']}) | |"
        )
    for n, r in res["sizes"].items():
        sv = r.get("server")
        if sv:
            lines.append(
                f"{n}: server with {sv['workers']} workers sharing one index: PSS {sv['server_pss_mb']} MB in all "
                f"(master {sv['master_pss_mb']} MB, workers {sv['worker_pss_mb']} MB; the bench driver, which "
                f"shares the embedder with it, {sv['driver_pss_mb']} MB)"
            )
    lines.append(f"peak RSS of the process: {max(r['peak_rss_mb_so_far'] for r in res['sizes'].values())} MB")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m matchcore.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--docs", default="10000,100000", help="comma-separated catalogue sizes")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dense-sample", type=int, default=500)
    parser.add_argument("--embedder", default=None, help="embedder spec (default: the config's)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--workers", type=int, default=0, help="also measure a server with N workers (PSS)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the brute-force baseline")
    args = parser.parse_args(argv)
    cfg = EngineConfig.default()
    if args.embedder:
        cfg = cfg.with_(embedder=args.embedder)
    sizes = [int(x) for x in args.docs.split(",") if x.strip()]
    res = run_bench(
        sizes,
        queries=args.queries,
        dense_sample=args.dense_sample,
        config=cfg,
        workers=args.workers,
        baseline=not args.no_baseline,
    )
    print(json.dumps(res, ensure_ascii=False, indent=1) if args.json else _table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
