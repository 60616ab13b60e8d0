"""Shared test data for the matchcore tests (a tiny, hand-written technology catalogue)."""

from __future__ import annotations

from matchcore import Document


def make_doc(
    doc_id: str, kind: str = "achievement", title: str = "", text: str = "", **extra: object
) -> Document:
    """A document with sensible empty defaults."""
    return Document(id=doc_id, kind=kind, title=title, text=text, **extra)  # type: ignore[arg-type]


CATALOGUE = [
    make_doc(
        "a-laser",
        title="超快激光精密加工装备",
        text="飞秒激光器用于玻璃和蓝宝石的微孔加工，精度达到微米级。",
        fields=("optics", "optics.laser"),
        trl=7,
        price_fen=50_000_000,
        park="光机所科创园",
    ),
    make_doc(
        "a-sensor",
        title="低功耗物联网温湿度传感器",
        text="基于MEMS工艺的无线传感节点，电池寿命五年，适合仓储监测。",
        fields=("iot", "iot.sensor"),
        trl=6,
        price_fen=2_000_000,
        park="物联网科创园",
    ),
    make_doc(
        "a-crypto",
        title="拟态防御网络安全网关",
        text="动态异构冗余架构抵御未知漏洞攻击，适用于工控网络。",
        fields=("security",),
        trl=8,
        price_fen=30_000_000,
    ),
    make_doc(
        "a-biochip",
        title="生物芯片微流控检测平台",
        text="集成电路与生物传感结合，实现快速核酸检测。",
        fields=("bio", "bio.chip"),
        trl=4,
        price_fen=80_000_000,
    ),
    make_doc(
        "d-laser",
        kind="demand",
        title="需要玻璃激光打孔工艺",
        text="手机盖板玻璃需要高精度微孔加工，要求良率高。",
        fields=("optics.laser",),
        trl=6,
        budget_min_fen=10_000_000,
        budget_max_fen=60_000_000,
        park="光机所科创园",
    ),
    make_doc(
        "d-sensor",
        kind="demand",
        title="仓库环境监测传感器",
        text="冷链仓库需要无线温湿度监测方案。",
        fields=("iot",),
        trl=5,
        budget_min_fen=500_000,
        budget_max_fen=1_000_000,
    ),
    make_doc(
        "e-optics",
        kind="expert",
        title="激光加工专家",
        text="长期从事超快激光与材料相互作用研究。",
        fields=("optics",),
    ),
]
