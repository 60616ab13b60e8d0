"""Chinese text normalisation, segmentation and highlighting.

The segmenter is the lexical leg's tokenizer.  It uses ``rjieba`` (the Rust port of jieba) and falls back
to the pure-Python ``jieba`` when rjieba cannot be imported.  Text is normalised character by character
(NFKC, so full-width letters, digits and punctuation become half-width; then lower case) so that offsets
in the normalised text are the offsets in the original text, which ``highlight`` relies on.

The default mode is jieba's *full* mode (``cut_all``): every dictionary word found anywhere in the text,
overlapping words included, plus the single characters no word covers.  On the CSL-match dev set it beat
the default and search modes by 4 points of MRR because a demand's terms seldom occur verbatim in an
achievement's text but their parts do (see README.md).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

__all__ = [
    "REASON_STOPWORDS",
    "STOPWORDS",
    "SegmentMode",
    "Segmenter",
    "clear_caches",
    "highlight",
    "normalize",
]

SegmentMode = Literal["all", "search", "default"]

# Generic Chinese function words and boilerplate verbs of technical writing.  Written by hand from
# general knowledge of the language (not derived from any benchmark): particles, conjunctions,
# prepositions, pronouns, and a few academic filler words that carry no topic.
_STOPWORD_TEXT = """
的 了 着 过 和 与 及 或 而 且 并 并且 以及 或者 还是 在 是 为 对 于 以 把
被 将 从 由 向 到 给 让 使 其 之 也 又 则 就 都 还 只 即 若 如 因 因为
所以 因此 但 但是 然而 而且 虽然 如果 那么 这 那 该 此 这些 那些 这种 那种 这个
那个 这样 那样 什么 怎么 如何 哪 谁 各 每 某 个 一 一种 一个 一些 一定 我们
我 你 他 她 它 他们 它们 本 本文 本研究 文中 其中 之一 有 有的 没有 无 不 没
很 较 更 最 非常 已 已经 曾 正在 将要 能 能够 可 可以 可能 会 应 应该 需 需要
要 得 地 所 等 等等 上 下 中 内 外 间 后 前 里 通过 进行 采用 利用 基于 根据
按照 关于 对于 针对 随着 作为 以及 具有 存在 达到 实现 提出 表明 结果 方法 研究
分析 发现 认为 说明 给出 得到 得出 显示 主要 相关 相应 不同 各种 方面 问题 情况
过程 条件 方式 目的 意义 影响 作用 同时 此外 另外 其次 首先 最后 然后 以上 以下
及其
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

# Words that may help ranking but tell a reader nothing about *why* two listings match: generic nouns,
# verbs and qualities of technical writing (written by hand, like the list above; not derived from any
# benchmark). They are never named as a shared keyword in a reason (docs/adr/0020-calibrated-matching.md).
_REASON_STOPWORD_TEXT = """
技术 技术领域 质量 不足 下降 上升 提高 提升 降低 增加 减少 改善 改进 优化 加强 增强 扩大 缩短
系统 方法 装置 设备 产品 应用 研究 开发 研发 设计 制造 生产 工艺 材料 结构 性能 效率 成本
效果 能力 水平 程度 规模 数量 指标 参数 精度 要求 需求 问题 难题 方案 措施 手段 模式 方式
项目 成果 团队 企业 公司 单位 机构 平台 服务 管理 领域 行业 市场 用户 客户 国内 国外 国际
进口 国产 新型 新的 高效 先进 传统 现有 关键 核心 重要 主要 基本 一般 整体 综合 全面 有效
实际 具体 相关 可以 能够 用于 适用 适用于 解决 满足 达到 实现 完成 形成 具备 支持 提供
使用 采用 利用 应用于 场景 阶段 过程 时间 部分 情况 因素 特点 特征 优势 目标 任务
"""
REASON_STOPWORDS: frozenset[str] = frozenset(_REASON_STOPWORD_TEXT.split())

_TOKEN_OK = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _norm_char(ch: str) -> str:
    """Normalise one character; keep it when NFKC would change the text length."""
    n = unicodedata.normalize("NFKC", ch).lower()
    if len(n) == 1:
        return n
    low = ch.lower()
    return low if len(low) == 1 else ch


_NORM_CACHE: dict[str, str] = {}


def clear_caches() -> None:
    """Forget the characters :func:`normalize` remembered (refilled on use)."""
    _NORM_CACHE.clear()


def normalize(text: str) -> str:
    """Return ``text`` with full-width forms folded (NFKC per character) and letters lower-cased.

    The result always has the same length as the input, so offsets can be shared.
    """
    if text.isascii():
        return text.lower()
    out = []
    cache = _NORM_CACHE
    for ch in text:
        n = cache.get(ch)
        if n is None:
            n = _norm_char(ch)
            if len(cache) < 100_000:
                cache[ch] = n
        out.append(n)
    return "".join(out)


class _Backend:
    """A thin adapter over rjieba or jieba, each with its own dictionary instance."""

    def __init__(self) -> None:
        self.name: str
        self._impl: Any
        try:
            import rjieba

            self._impl = rjieba.Jieba()
            self.name = "rjieba"
        except ImportError:  # pragma: no cover - exercised only without rjieba
            import jieba

            self._impl = jieba.Tokenizer()
            self.name = "jieba"

    def cut(self, text: str, mode: SegmentMode) -> list[str]:
        if mode == "all":
            if self.name == "rjieba":
                return list(self._impl.cut_all(text))
            return list(self._impl.cut(text, cut_all=True))
        if mode == "search":
            return list(self._impl.cut_for_search(text))
        return list(self._impl.cut(text))

    def add_word(self, word: str) -> None:
        if self.name == "rjieba":
            self._impl.add_word(word, None, None)
        else:  # pragma: no cover
            self._impl.add_word(word)


class Segmenter:
    """Segment Chinese (and mixed Latin) text into index terms.

    ``mode`` selects jieba's cut: ``"all"`` (full mode, the default), ``"search"`` or ``"default"``.
    Stop-words and punctuation are dropped; Latin words and numbers are kept whole, lower-cased.
    """

    def __init__(
        self,
        mode: SegmentMode = "all",
        stopwords: Iterable[str] | None = None,
        words: Iterable[str] = (),
    ) -> None:
        self.mode: SegmentMode = mode
        self.stopwords: frozenset[str] = frozenset(STOPWORDS if stopwords is None else stopwords)
        self._backend = _Backend()
        self._lock = threading.Lock()
        self.added_words: set[str] = set()
        self.add_words(words)

    @property
    def backend(self) -> str:
        """Name of the segmentation library in use (``rjieba`` or ``jieba``)."""
        return self._backend.name

    def add_words(self, words: Iterable[str]) -> int:
        """Add domain words (e.g. taxonomy names) to this segmenter's dictionary; return how many were new."""
        added = 0
        with self._lock:
            for word in words:
                w = normalize(word.strip())
                if not w or w in self.added_words or any(c.isspace() for c in w):
                    continue
                self._backend.add_word(w)
                self.added_words.add(w)
                added += 1
        return added

    def tokens(self, text: str) -> list[str]:
        """Return the index terms of ``text`` in order (duplicates kept)."""
        norm = normalize(text)
        stop = self.stopwords
        return [
            t
            for t in (w.strip() for w in self._backend.cut(norm, self.mode))
            if t and t not in stop and _TOKEN_OK.search(t) is not None
        ]

    def display_terms(self, text: str) -> list[str]:
        """Return distinct, human-meaningful terms of ``text`` (default cut, no single CJK characters)."""
        norm = normalize(text)
        seen: dict[str, None] = {}
        for w in self._backend.cut(norm, "default"):
            t = w.strip()
            if not t or t in self.stopwords or _TOKEN_OK.search(t) is None:
                continue
            if len(t) == 1 and _CJK_RUN.fullmatch(t):
                continue
            seen.setdefault(t, None)
        return list(seen)


def highlight(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into ``(segment, is_match)`` pieces marking every occurrence of any of ``terms``.

    Matching is on normalised text (full-width and case folded); the returned segments are slices of the
    original text and concatenate back to it.  Longer terms win over shorter ones at the same position.
    """
    wanted = sorted({normalize(t) for t in terms if t and t.strip()}, key=len, reverse=True)
    if not text:
        return []
    if not wanted:
        return [(text, False)]
    norm = normalize(text)
    pattern = re.compile("|".join(re.escape(t) for t in wanted))
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(norm):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((text[m.start() : m.end()], True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    # merge adjacent matched segments
    merged: list[tuple[str, bool]] = []
    for seg, hit in out:
        if merged and merged[-1][1] == hit:
            merged[-1] = (merged[-1][0] + seg, hit)
        else:
            merged.append((seg, hit))
    return merged
