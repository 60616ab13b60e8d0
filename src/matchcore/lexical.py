"""BM25 inverted index with a main segment and a small delta segment.

Design (measured in README.md):

* Documents live in integer *slots* handed out by the engine.  For every slot the index keeps the
  document's distinct term ids and their frequencies, so the main segment can be rebuilt at any time.
* The **main segment** is a CSR matrix by term (``ptr``, ``slots``, ``weights``) whose weights are the
  BM25 term-frequency factor ``tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))`` computed when the segment
  was built.  Scoring a query term is one vectorised ``scores[slots] += idf * weights``.
* New or updated documents go to the **delta segment** (a dict of posting lists) and are searchable at
  once; their weights are computed at query time.  When the delta holds more than
  ``max(merge_min, merge_ratio * main)`` documents it is merged (the main segment is rebuilt with numpy
  in well under a second at 100k documents).
* Document frequencies, ``N`` and the average length are global and exact at all times, so scores from
  both segments are comparable.  Removed documents are masked at query time and dropped at the next merge.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["LexicalIndex"]

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]

_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)


class LexicalIndex:
    """An Okapi BM25 index over pre-tokenised documents (see the module docstring)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75, merge_min: int = 500, merge_ratio: float = 0.05):
        self.k1 = float(k1)
        self.b = float(b)
        self.merge_min = merge_min
        self.merge_ratio = merge_ratio
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []
        self._df = np.zeros(1024, dtype=np.int64)
        # per slot
        self._doc_tids: list[IntArray] = []
        self._doc_tfs: list[FloatArray] = []
        self._dl = np.zeros(1024, dtype=np.float32)
        self._alive = np.zeros(1024, dtype=bool)
        self.n_alive = 0
        self._total_len = 0.0
        # main segment (CSR by term id)
        self._m_ptr = np.zeros(1, dtype=np.int64)
        self._m_slots = _EMPTY_I
        self._m_w = _EMPTY_F
        self._main_docs = 0
        # delta segment
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_slots: set[int] = set()
        self.merges = 0

    # ------------------------------------------------------------------ bookkeeping
    @property
    def n_slots(self) -> int:
        """Number of slots ever handed to the index (alive or not)."""
        return len(self._doc_tids)

    @property
    def avgdl(self) -> float:
        """Average document length (in tokens) over alive documents."""
        return self._total_len / self.n_alive if self.n_alive else 1.0

    @property
    def delta_size(self) -> int:
        """Documents waiting in the delta segment."""
        return len(self._delta_slots)

    def _grow(self, n_slots: int) -> None:
        if n_slots > len(self._dl):
            cap = max(n_slots, 2 * len(self._dl))
            dl = np.zeros(cap, dtype=np.float32)
            dl[: len(self._dl)] = self._dl
            alive = np.zeros(cap, dtype=bool)
            alive[: len(self._alive)] = self._alive
            self._dl, self._alive = dl, alive
        while len(self._doc_tids) < n_slots:
            self._doc_tids.append(_EMPTY_I)
            self._doc_tfs.append(_EMPTY_F)

    def _tid(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = len(self.terms)
            self.vocab[term] = tid
            self.terms.append(term)
            if tid >= len(self._df):
                df = np.zeros(2 * len(self._df), dtype=np.int64)
                df[: len(self._df)] = self._df
                self._df = df
        return tid

    def df(self, tid: int) -> int:
        """Number of alive documents holding the term."""
        return int(self._df[tid])

    def idf(self, tid: int) -> float:
        """BM25 (Lucene) inverse document frequency of a term id."""
        n = float(self._df[tid])
        return math.log(1.0 + (self.n_alive - n + 0.5) / (n + 0.5))

    # ------------------------------------------------------------------ writes
    def add(self, slot: int, tokens: Sequence[str]) -> None:
        """Index ``tokens`` in ``slot`` (the slot must be new or removed first)."""
        self.add_many([slot], [tokens])

    def add_many(
        self, slots: Sequence[int], token_lists: Sequence[Sequence[str]], *, merge: bool = True
    ) -> None:
        """Index several documents; merges the delta segment when it has grown large.

        A large batch (more than ``merge_min`` documents, e.g. the initial load) is merged at once.
        With ``merge=False`` the caller promises to call :meth:`merge` after its last batch (the
        documents are not searchable until then): the delta segment is skipped entirely.
        """
        if not slots:
            return
        self._grow(max(slots) + 1)
        tid_of = self._tid
        # a batch that will be merged at once skips the delta segment: the merge rebuilds the main
        # segment from every document's own term arrays, so delta postings (millions of Python objects
        # for a first load of 100k listings) would only be built to be thrown away
        bulk = not merge or len(slots) > max(self.merge_min, self.merge_ratio * self._main_docs)
        for slot, tokens in zip(slots, token_lists, strict=True):
            if self._alive[slot]:
                raise ValueError(f"slot {slot} is already indexed")
            counts = Counter(tokens)
            tids = np.fromiter((tid_of(t) for t in counts), dtype=np.int32, count=len(counts))
            tfs = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            self._doc_tids[slot] = tids
            self._doc_tfs[slot] = tfs
            self._df[tids] += 1
            length = float(len(tokens))
            self._dl[slot] = length
            self._alive[slot] = True
            self.n_alive += 1
            self._total_len += length
            self._delta_slots.add(slot)
            if bulk:
                continue
            delta = self._delta
            for tid, tf in zip(tids.tolist(), tfs.tolist(), strict=True):
                postings = delta.get(tid)
                if postings is None:
                    delta[tid] = ([slot], [tf])
                else:
                    postings[0].append(slot)
                    postings[1].append(tf)
        if not merge:
            return
        if bulk:
            self.merge()
        else:
            self.maybe_merge()

    def remove(self, slot: int) -> None:
        """Remove the document in ``slot`` (no-op when the slot is not alive)."""
        if slot >= self.n_slots or not self._alive[slot]:
            return
        tids = self._doc_tids[slot]
        self._df[tids] -= 1
        self._alive[slot] = False
        self.n_alive -= 1
        self._total_len -= float(self._dl[slot])
        if slot in self._delta_slots:
            self._delta_slots.discard(slot)
            for tid in tids.tolist():
                postings = self._delta.get(tid)
                if postings is not None and slot in postings[0]:
                    pos = postings[0].index(slot)
                    del postings[0][pos]
                    del postings[1][pos]
                    if not postings[0]:
                        del self._delta[tid]
        self._doc_tids[slot] = _EMPTY_I
        self._doc_tfs[slot] = _EMPTY_F

    def maybe_merge(self) -> bool:
        """Merge the delta segment into the main one when it is larger than the threshold."""
        if self.delta_size > max(self.merge_min, self.merge_ratio * self._main_docs):
            self.merge()
            return True
        return False

    def merge(self, remap: IntArray | None = None) -> None:
        """Rebuild the main segment from every alive document and empty the delta segment.

        ``remap`` (old slot -> new slot, ``-1`` for dropped) renumbers slots, for compaction.
        """
        n = self.n_slots
        if remap is not None:
            new_n = int(remap.max()) + 1 if len(remap) else 0
            tids_list: list[IntArray] = [_EMPTY_I] * new_n
            tfs_list: list[FloatArray] = [_EMPTY_F] * new_n
            dl = np.zeros(max(new_n, 1024), dtype=np.float32)
            alive = np.zeros(max(new_n, 1024), dtype=bool)
            for old in range(n):
                new = int(remap[old])
                if new >= 0 and self._alive[old]:
                    tids_list[new] = self._doc_tids[old]
                    tfs_list[new] = self._doc_tfs[old]
                    dl[new] = self._dl[old]
                    alive[new] = True
            self._doc_tids, self._doc_tfs, self._dl, self._alive = tids_list, tfs_list, dl, alive
            n = new_n
        alive_slots = np.flatnonzero(self._alive[:n]).astype(np.int32)
        if len(alive_slots):
            lens = np.fromiter(
                (len(self._doc_tids[s]) for s in alive_slots), dtype=np.int64, count=len(alive_slots)
            )
            all_tids = np.concatenate([self._doc_tids[s] for s in alive_slots])
            all_tfs = np.concatenate([self._doc_tfs[s] for s in alive_slots])
            all_slots = np.repeat(alive_slots, lens)
        else:
            all_tids, all_tfs, all_slots = _EMPTY_I, _EMPTY_F, _EMPTY_I
        order = np.argsort(all_tids, kind="stable")
        sorted_tids = all_tids[order]
        slots_sorted = all_slots[order].astype(np.int32)
        tfs_sorted = all_tfs[order]
        dl = self._dl[slots_sorted]
        norm = self.k1 * (1.0 - self.b + self.b * dl / np.float32(self.avgdl))
        weights = (tfs_sorted * (self.k1 + 1.0) / (tfs_sorted + norm)).astype(np.float32)
        counts = (
            np.bincount(sorted_tids, minlength=len(self.terms))
            if len(sorted_tids)
            else np.zeros(len(self.terms), dtype=np.int64)
        )
        ptr = np.zeros(len(self.terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        self._m_ptr, self._m_slots, self._m_w = ptr, slots_sorted, weights
        self._main_docs = len(alive_slots)
        self._delta = {}
        self._delta_slots = set()
        self.merges += 1

    # ------------------------------------------------------------------ reads
    def term_ids(self, tokens: Sequence[str]) -> list[int]:
        """Distinct known term ids of ``tokens`` (unknown terms dropped), in first-seen order."""
        seen: dict[int, None] = {}
        for t in tokens:
            tid = self.vocab.get(t)
            if tid is not None and self._df[tid] > 0:
                seen.setdefault(tid, None)
        return list(seen)

    def _delta_postings(self, tid: int) -> tuple[IntArray, FloatArray] | None:
        """The delta segment's postings of ``tid`` with their BM25 tf factors (``None`` when it has none)."""
        delta = self._delta.get(tid)
        if delta is None:
            return None
        d_slots = np.array(delta[0], dtype=np.int32)
        d_tf = np.array(delta[1], dtype=np.float32)
        norm = self.k1 * (1.0 - self.b + self.b * self._dl[d_slots] / np.float32(self.avgdl))
        return d_slots, (d_tf * (self.k1 + 1.0) / (d_tf + norm)).astype(np.float32)

    def scores(self, tids: Sequence[int], n_slots: int) -> FloatArray:
        """BM25 scores of every slot (``0`` for documents without a query term or removed).

        Main and delta postings are added separately (they hold disjoint slots): concatenating a common
        term's long main posting list with a few delta postings would copy it on every query."""
        out = np.zeros(n_slots, dtype=np.float32)
        ptr = self._m_ptr
        for tid in tids:
            idf = np.float32(self.idf(tid))
            if tid + 1 < len(ptr):
                a, z = int(ptr[tid]), int(ptr[tid + 1])
                if z > a:
                    out[self._m_slots[a:z]] += idf * self._m_w[a:z]
            delta = self._delta_postings(tid)
            if delta is not None:
                out[delta[0]] += idf * delta[1]
        upto = min(n_slots, self.n_slots)
        out[:upto][~self._alive[:upto]] = 0.0
        return out

    def contributions(self, tids: Sequence[int], slot: int) -> dict[int, float]:
        """Per-term BM25 contribution to ``slot``'s score (only terms the document contains)."""
        out: dict[int, float] = {}
        if slot >= self.n_slots or not self._alive[slot]:
            return out
        doc_tids = self._doc_tids[slot]
        doc_tfs = self._doc_tfs[slot]
        norm = self.k1 * (1.0 - self.b + self.b * float(self._dl[slot]) / self.avgdl)
        for tid in tids:
            pos = np.flatnonzero(doc_tids == tid)
            if len(pos):
                tf = float(doc_tfs[pos[0]])
                out[tid] = self.idf(tid) * tf * (self.k1 + 1.0) / (tf + norm)
        return out

    def doc_has(self, slot: int, tids: Sequence[int]) -> list[int]:
        """The subset of ``tids`` that occur in ``slot``'s document."""
        if slot >= self.n_slots:
            return []
        present = set(self._doc_tids[slot].tolist())
        return [t for t in tids if t in present]
