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


def _sample_rule(slots: npt.NDArray[np.int64] | IntArray, n_docs: int, size: int) -> npt.NDArray[np.bool_]:
    """Whether each slot belongs to the statistics sample: a fixed hash of the slot (every slot when the
    catalogue holds at most ``size`` documents)."""
    if n_docs <= size:
        return np.ones(len(slots), dtype=bool)
    mod = 1 << 20
    keep = int(mod * size / n_docs)
    return (np.asarray(slots, dtype=np.uint64) * np.uint64(2654435761) % np.uint64(mod)) < np.uint64(keep)


def _sampled(slots: IntArray, n_docs: int, size: int) -> npt.NDArray[np.bool_] | None:
    """The sample mask over postings (``None``: every posting is in the sample)."""
    if n_docs <= size:
        return None
    return _sample_rule(slots, n_docs, size)


def _kth_floor(values: FloatArray, k: int) -> float:
    """A lower bound of the ``k``-th largest of ``values`` (at least ``k`` values are >= it), from a
    1024-bin histogram: ``np.partition`` degrades badly on the many equal scores of BM25."""
    if len(values) < k or k <= 0:
        return 0.0
    top = float(values.max())
    if top <= 0.0:
        return 0.0
    bins = 1024
    codes = np.minimum((values * np.float32(bins / top)).astype(np.int64), bins - 1)
    counts = np.bincount(codes[codes >= 0], minlength=bins)
    above = np.cumsum(counts[::-1])  # values in bin >= bins-1-i
    i = int(np.searchsorted(above, k))
    edge = (bins - 1 - i) * top / bins
    return max(0.0, edge * (1 - 1e-6))


class LexicalIndex:
    """An Okapi BM25 index over pre-tokenised documents (see the module docstring)."""

    def __init__(
        self,
        k1: float = 1.2,
        b: float = 0.75,
        merge_min: int = 500,
        merge_ratio: float = 0.05,
        sample_size: int = 32_768,
    ):
        self.k1 = float(k1)
        self.sample_size = sample_size
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
        self._m_max = _EMPTY_F  # per term: its largest tf factor in the main segment (top_k's bound)
        # the statistics sample: the main segment restricted to sampled slots (see stats())
        self._s_ptr = np.zeros(1, dtype=np.int64)
        self._s_slots = _EMPTY_I
        self._s_w = _EMPTY_F
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
        m_max = np.zeros(len(self.terms), dtype=np.float32)
        nonempty = counts > 0
        if len(weights):
            m_max[nonempty] = np.maximum.reduceat(weights, ptr[:-1][nonempty])
        self._m_max = m_max
        sampled = _sampled(slots_sorted, self._main_docs, self.sample_size)
        if sampled is None:
            self._s_ptr, self._s_slots, self._s_w = ptr, slots_sorted, weights
        else:
            s_counts = np.bincount(sorted_tids[sampled], minlength=len(self.terms))
            s_ptr = np.zeros(len(self.terms) + 1, dtype=np.int64)
            np.cumsum(s_counts, out=s_ptr[1:])
            self._s_ptr, self._s_slots, self._s_w = s_ptr, slots_sorted[sampled], weights[sampled]
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
        if not self._delta:
            return None
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

    def _idf_array(self, tids: Sequence[int]) -> npt.NDArray[np.float64]:
        return np.array([self.idf(t) for t in tids], dtype=np.float64)

    def stats(self, tids: Sequence[int]) -> tuple[float, float]:
        """Mean and standard deviation of the BM25 scores of ``tids`` over the alive documents.

        Exact up to ``sample_size`` documents in the main segment; above, measured on a fixed hash sample
        of the slots (about ``sample_size`` documents) so the z-score needs no full scan
        (docs/adr/0030-engine-at-city-scale.md).  Delta documents are in the sample by the same rule."""
        if self.n_alive == 0:
            return 0.0, 0.0
        main = self._main_docs
        sample_all = main <= self.sample_size
        delta = np.fromiter(self._delta_slots, dtype=np.int64, count=len(self._delta_slots))
        if not sample_all and len(delta):
            delta = delta[_sample_rule(delta, main, self.sample_size)]
        if sample_all:
            members = np.flatnonzero(self._alive[: self.n_slots])
        else:
            # main-segment sample members that are alive, plus the sampled delta documents
            cand = np.flatnonzero(self._alive[: self.n_slots])
            members = cand[_sample_rule(cand, main, self.sample_size)]
        if len(members) == 0:
            return 0.0, 0.0
        pos = np.full(self.n_slots, -1, dtype=np.int64)
        pos[members] = np.arange(len(members))
        acc = np.zeros(len(members), dtype=np.float64)
        ptr = self._s_ptr
        for tid in tids:
            idf = self.idf(tid)
            if tid + 1 < len(ptr):
                a, z = int(ptr[tid]), int(ptr[tid + 1])
                if z > a:
                    p = pos[self._s_slots[a:z]]
                    ok = p >= 0
                    acc[p[ok]] += idf * self._s_w[a:z][ok]
            d = self._delta_postings(tid)
            if d is not None:
                p = pos[d[0]]
                ok = p >= 0
                acc[p[ok]] += idf * d[1][ok]
        return float(acc.mean()), float(acc.std())

    def _postings(self, tid: int) -> tuple[IntArray, FloatArray, IntArray | None, FloatArray | None]:
        """Main postings (slot-sorted) and delta postings of a term."""
        ptr = self._m_ptr
        if tid + 1 < len(ptr):
            a, z = int(ptr[tid]), int(ptr[tid + 1])
            m_slots, m_w = self._m_slots[a:z], self._m_w[a:z]
        else:
            m_slots, m_w = _EMPTY_I, _EMPTY_F
        d = self._delta_postings(tid)
        return m_slots, m_w, (d[0] if d else None), (d[1] if d else None)

    def _bound(self, tid: int) -> float:
        """Largest contribution the term can make to one document's score."""
        best = float(self._m_max[tid]) if tid < len(self._m_max) else 0.0
        d = self._delta_postings(tid)
        if d is not None and len(d[1]):
            best = max(best, float(d[1].max()))
        return self.idf(tid) * best

    def scores_of(self, tids: Sequence[int], slots: npt.NDArray[np.int64]) -> FloatArray:
        """BM25 scores of just ``slots`` (each term's slot-sorted postings searched, no full scan)."""
        slots = np.asarray(slots, dtype=np.int64)
        out = np.zeros(len(slots), dtype=np.float32)
        if len(slots) == 0:
            return out
        posmap: npt.NDArray[np.int64] | None = None
        for tid in tids:
            idf = np.float32(self.idf(tid))
            m_slots, m_w, d_slots, d_w = self._postings(tid)
            if len(m_slots) > 32 * len(slots):
                # a long posting list: binary search for each wanted slot
                i = np.minimum(np.searchsorted(m_slots, slots), len(m_slots) - 1)
                hit = m_slots[i] == slots
                out[hit] += idf * m_w[i[hit]]
            elif len(m_slots):
                # otherwise read the list once through a slot -> position map
                if posmap is None:
                    posmap = np.full(max(self.n_slots, int(slots.max()) + 1), -1, dtype=np.int64)
                    posmap[slots] = np.arange(len(slots))
                p = posmap[m_slots]
                hit = p >= 0
                out[p[hit]] += idf * m_w[hit]
            if d_slots is not None and d_w is not None and len(d_slots):
                order = np.argsort(d_slots)
                ds, dw = d_slots[order], d_w[order]
                i = np.minimum(np.searchsorted(ds, slots), len(ds) - 1)
                hit = ds[i] == slots
                out[hit] += idf * dw[i[hit]]
        alive = self._alive[np.minimum(slots, len(self._alive) - 1)] & (slots < self.n_slots)
        out[~alive] = 0.0
        return out

    def top_k(
        self, tids: Sequence[int], k: int, n_slots: int, mask: npt.NDArray[np.bool_] | None = None
    ) -> tuple[npt.NDArray[np.int64], FloatArray]:
        """The ``k`` best slots by BM25 among ``mask`` (alive documents holding a query term), best first,
        ties by ascending slot: the same list as ranking :meth:`scores` exhaustively, without scoring
        every posting of the common terms (MaxScore, docs/adr/0030-engine-at-city-scale.md).

        Terms are scored whole from the largest bound down; once the bounds of the terms left sum to
        less than the k-th best score so far, a document none of the scored terms holds cannot enter
        the top k, the remaining terms are only looked up for the documents that still can, by binary
        search in their slot-sorted postings."""
        tids = list(dict.fromkeys(tids))
        empty = (np.zeros(0, dtype=np.int64), _EMPTY_F)
        if k <= 0 or not tids:
            return empty
        bounds = {t: self._bound(t) for t in tids}
        order = sorted(tids, key=lambda t: -bounds[t])
        acc = np.zeros(n_slots, dtype=np.float32)
        touched = np.zeros(n_slots, dtype=bool)
        upto = min(n_slots, self.n_slots)
        ok = np.zeros(n_slots, dtype=bool)
        ok[:upto] = self._alive[:upto]
        if mask is not None:
            ok &= mask[:n_slots]
        remaining = sum(bounds.values())
        scored = 0.0
        done = 0
        theta = 0.0
        for tid in order:
            # a stop needs the bounds left under the k-th best partial score, which is at most the sum
            # of the bounds scored so far: the k-th best is only looked for when that can hold
            if done and remaining * (1 + 1e-5) + 1e-6 < scored:
                theta = _kth_floor(acc[touched & ok], k)
                if remaining * (1 + 1e-5) + 1e-6 < theta:
                    break
            idf = np.float32(self.idf(tid))
            m_slots, m_w, d_slots, d_w = self._postings(tid)
            if len(m_slots):
                acc[m_slots] += idf * m_w
                touched[m_slots] = True
            if d_slots is not None and d_w is not None:
                acc[d_slots] += idf * d_w
                touched[d_slots] = True
            remaining -= bounds[tid]
            scored += bounds[tid]
            done += 1
        rest = order[done:]
        cand = np.flatnonzero(touched & ok)
        if rest and len(cand):
            # a candidate whose score plus every bound left stays under the k-th best cannot make it
            slack = sum(bounds[t] for t in rest) * (1 + 1e-5) + 1e-6
            cand = cand[acc[cand] + slack >= theta * (1 - 1e-5)]
            approx = acc[cand] + self.scores_of(rest, cand)
        else:
            approx = acc[cand]
        if len(cand) > k:
            kth = _kth_floor(approx, k)
            cand = cand[approx >= kth * (1 - 1e-4) - 1e-5]
        # the final scores are summed term by term in the query's order, as scores() does, so they are
        # bit for bit the exhaustive ones
        acc_c = self.scores_of(tids, cand)
        pos = acc_c > 0
        cand, acc_c = cand[pos], acc_c[pos]
        if len(cand) > k:
            part = np.argpartition(-acc_c, k - 1)[:k]
            # ties at the cut: the exhaustive ranking keeps the lowest slots
            cut = acc_c[part].min()
            tie_in = np.flatnonzero(acc_c > cut)
            ties = np.flatnonzero(acc_c == cut)
            chosen = np.concatenate([tie_in, ties[np.argsort(cand[ties], kind="stable")][: k - len(tie_in)]])
        else:
            chosen = np.arange(len(cand))
        sel = chosen[np.lexsort((cand[chosen], -acc_c[chosen]))]
        return cand[sel].astype(np.int64), acc_c[sel].astype(np.float32)

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
