"""BM25 inverted index with a main segment and a small delta segment.

Design (measured in README.md and docs/adr/0030-engine-at-city-scale.md):

* Documents live in integer *slots* handed out by the engine.
* The **main segment** is cut into shards of 65,536 consecutive slots.  Each shard is a CSR matrix by
  term (``ptr``) whose postings hold the slot's low 16 bits (``uint16``), the term frequency (``uint8``,
  ``uint16`` when a count exceeds 255) and the BM25 term-frequency factor
  ``tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl))`` computed when the segment was built: ``float32``
  while the main segment is small, **quantised to ``uint16``** from ``quantise_min`` documents on.  The
  exact factor of any posting is recomputed from its term frequency and the document length
  (:meth:`LexicalIndex.scores_of`), so the engine re-scores its candidates exactly.  There is no
  per-document term list: the shard's postings are the only copy (5 bytes per posting when quantised,
  against 16 bytes for a float32 CSR plus per-document arrays); a document's terms are found by a scan
  of its shard when it is removed.
* New or updated documents go to the **delta segment** (a dict of posting lists, and each document's own
  term arrays) and are searchable at once; their weights are computed at query time.  When the delta
  holds more than ``max(merge_min, merge_ratio * main)`` documents it is merged.
* Document frequencies, ``N`` and the average length are global and exact at all times, so scores from
  both segments are comparable.  Removed documents are masked at query time and dropped at the next merge.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["LexicalIndex"]

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)
_EMPTY_L = np.zeros(0, dtype=np.int64)

SHARD_BITS = 16
SHARD = 1 << SHARD_BITS
_QMAX = 65535


def _sample_rule(slots: npt.NDArray[np.int64] | IntArray, n_docs: int, size: int) -> npt.NDArray[np.bool_]:
    """Whether each slot belongs to the statistics sample: a fixed hash of the slot (every slot when the
    catalogue holds at most ``size`` documents)."""
    if n_docs <= size:
        return np.ones(len(slots), dtype=bool)
    mod = 1 << 20
    keep = int(mod * size / n_docs)
    return (np.asarray(slots, dtype=np.uint64) * np.uint64(2654435761) % np.uint64(mod)) < np.uint64(keep)


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


class _Shard:
    """The main segment's postings of slots ``[base, base + SHARD)``, CSR by term id."""

    __slots__ = ("base", "lo", "ptr", "tf", "w")

    def __init__(
        self,
        base: int,
        ptr: npt.NDArray[np.int64],
        lo: npt.NDArray[np.uint16],
        tf: npt.NDArray[np.uint8] | npt.NDArray[np.uint16],
        w: FloatArray | npt.NDArray[np.uint16],
    ) -> None:
        self.base, self.ptr, self.lo, self.tf, self.w = base, ptr, lo, tf, w

    def span(self, tid: int) -> tuple[int, int]:
        if tid + 1 < len(self.ptr):
            return int(self.ptr[tid]), int(self.ptr[tid + 1])
        return 0, 0

    def triples(self) -> tuple[IntArray, I64, npt.NDArray[np.uint16]]:
        """Every posting as (term id, global slot, tf), ordered by term then slot."""
        counts = np.diff(self.ptr)
        tids = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        return tids, self.lo.astype(np.int64) + self.base, self.tf.astype(np.uint16)

    @property
    def nbytes(self) -> int:
        return int(self.ptr.nbytes + self.lo.nbytes + self.tf.nbytes + self.w.nbytes)


class LexicalIndex:
    """An Okapi BM25 index over pre-tokenised documents (see the module docstring)."""

    def __init__(
        self,
        k1: float = 1.2,
        b: float = 0.75,
        merge_min: int = 500,
        merge_ratio: float = 0.05,
        sample_size: int = 32_768,
        quantise_min: int = 20_000,
    ):
        self.k1 = float(k1)
        self.sample_size = sample_size
        self.b = float(b)
        self.merge_min = merge_min
        self.merge_ratio = merge_ratio
        self.quantise_min = quantise_min
        self.vocab: dict[str, int] = {}
        self.terms: list[str] = []
        self._df = np.zeros(1024, dtype=np.int64)
        # per slot
        self._n_slots = 0
        self._dl = np.zeros(1024, dtype=np.float32)
        self._alive = np.zeros(1024, dtype=bool)
        self.n_alive = 0
        self._total_len = 0.0
        # main segment: shards of SHARD slots
        self._shards: list[_Shard] = []
        self._main_docs = 0
        self._m_avgdl = 1.0  # the average length the main segment's weights were computed with
        self._q_scale = 0.0  # weight = code * scale when the weights are quantised (0: float32 weights)
        self._m_max = _EMPTY_F  # per term: its largest tf factor in the main segment (top_k's bound)
        self._in_main = np.zeros(1024, dtype=bool)  # slots whose postings are in the main segment
        self._dirty: set[int] = set()  # shards that lost a document since the last merge
        # delta segment: searchable at once
        self._delta: dict[int, tuple[list[int], list[float]]] = {}
        self._delta_docs: dict[int, tuple[IntArray, FloatArray]] = {}
        # documents added with merge=False, waiting for merge() (chunks: slots, offsets, tids, tfs)
        self._pending: list[tuple[I64, I64, IntArray, FloatArray]] = []
        self._pending_docs = 0
        self.merges = 0

    # ------------------------------------------------------------------ bookkeeping
    @property
    def n_slots(self) -> int:
        """Number of slots ever handed to the index (alive or not)."""
        return self._n_slots

    @property
    def avgdl(self) -> float:
        """Average document length (in tokens) over alive documents."""
        return self._total_len / self.n_alive if self.n_alive else 1.0

    @property
    def delta_size(self) -> int:
        """Documents waiting in the delta segment."""
        return len(self._delta_docs) + self._pending_docs

    @property
    def quantised(self) -> bool:
        """Whether the main segment's weights are quantised (scores() is then approximate)."""
        return self._q_scale > 0.0

    @property
    def nbytes(self) -> int:
        """Bytes held by the main segment's arrays."""
        return sum(s.nbytes for s in self._shards)

    def _grow(self, n_slots: int) -> None:
        if n_slots > len(self._dl):
            cap = max(n_slots, 2 * len(self._dl))
            for name in ("_dl", "_alive", "_in_main"):
                old = getattr(self, name)
                arr = np.zeros(cap, dtype=old.dtype)
                arr[: len(old)] = old
                setattr(self, name, arr)
        self._n_slots = max(self._n_slots, n_slots)

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

    def _weights(self, tf: FloatArray, dl: FloatArray, avgdl: float) -> FloatArray:
        """BM25 tf factors (float32; the same expression everywhere, so equal inputs give equal bits)."""
        norm = self.k1 * (1.0 - self.b + self.b * dl / np.float32(avgdl))
        return (tf * (self.k1 + 1.0) / (tf + norm)).astype(np.float32)

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
        bulk = not merge or len(slots) > max(self.merge_min, self.merge_ratio * self._main_docs)
        c_tids: list[IntArray] = []
        c_tfs: list[FloatArray] = []
        for slot, tokens in zip(slots, token_lists, strict=True):
            if self._alive[slot]:
                raise ValueError(f"slot {slot} is already indexed")
            counts = Counter(tokens)
            tids = np.fromiter((tid_of(t) for t in counts), dtype=np.int32, count=len(counts))
            tfs = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            self._df[tids] += 1
            length = float(len(tokens))
            self._dl[slot] = length
            self._alive[slot] = True
            self._in_main[slot] = False
            self.n_alive += 1
            self._total_len += length
            if bulk:
                c_tids.append(tids)
                c_tfs.append(tfs)
                continue
            self._delta_docs[slot] = (tids, tfs)
            delta = self._delta
            for tid, tf in zip(tids.tolist(), tfs.tolist(), strict=True):
                postings = delta.get(tid)
                if postings is None:
                    delta[tid] = ([slot], [tf])
                else:
                    postings[0].append(slot)
                    postings[1].append(tf)
        if bulk:
            lens = np.fromiter((len(t) for t in c_tids), dtype=np.int64, count=len(c_tids))
            offs = np.zeros(len(lens) + 1, dtype=np.int64)
            np.cumsum(lens, out=offs[1:])
            self._pending.append(
                (
                    np.asarray(slots, dtype=np.int64),
                    offs,
                    np.concatenate(c_tids) if c_tids else _EMPTY_I,
                    np.concatenate(c_tfs) if c_tfs else _EMPTY_F,
                )
            )
            self._pending_docs += len(slots)
        if not merge:
            return
        if bulk:
            self.merge()
        else:
            self.maybe_merge()

    def _main_terms(self, slot: int) -> tuple[IntArray, npt.NDArray[np.int64]]:
        """Term ids of a main-segment document and their posting positions in its shard (a shard scan)."""
        h = slot >> SHARD_BITS
        if h >= len(self._shards):
            return _EMPTY_I, _EMPTY_L
        sh = self._shards[h]
        pos = np.flatnonzero(sh.lo == np.uint16(slot - sh.base))
        tids = (np.searchsorted(sh.ptr, pos, side="right") - 1).astype(np.int32)
        return tids, pos

    def _pending_doc(self, slot: int) -> tuple[IntArray, FloatArray] | None:
        for c_slots, offs, tids, tfs in self._pending:
            i = int(np.searchsorted(c_slots, slot))
            if i < len(c_slots) and c_slots[i] == slot:
                return tids[offs[i] : offs[i + 1]], tfs[offs[i] : offs[i + 1]]
        return None

    def doc_terms(self, slot: int) -> tuple[IntArray, FloatArray]:
        """A document's distinct term ids and their frequencies (empty when the slot is not alive)."""
        if slot >= self._n_slots or not self._alive[slot]:
            return _EMPTY_I, _EMPTY_F
        if slot in self._delta_docs:
            return self._delta_docs[slot]
        if self._in_main[slot]:
            tids, pos = self._main_terms(slot)
            sh = self._shards[slot >> SHARD_BITS]
            return tids, sh.tf[pos].astype(np.float32)
        got = self._pending_doc(slot)
        return got if got is not None else (_EMPTY_I, _EMPTY_F)

    def remove(self, slot: int) -> None:
        """Remove the document in ``slot`` (no-op when the slot is not alive)."""
        if slot >= self.n_slots or not self._alive[slot]:
            return
        tids, _ = self.doc_terms(slot)
        self._df[tids] -= 1
        self._alive[slot] = False
        self.n_alive -= 1
        self._total_len -= float(self._dl[slot])
        if slot in self._delta_docs:
            del self._delta_docs[slot]
            for tid in tids.tolist():
                postings = self._delta.get(tid)
                if postings is not None and slot in postings[0]:
                    pos = postings[0].index(slot)
                    del postings[0][pos]
                    del postings[1][pos]
                    if not postings[0]:
                        del self._delta[tid]
        elif self._in_main[slot]:
            self._in_main[slot] = False  # its postings stay in the shard until the next merge
            self._dirty.add(slot >> SHARD_BITS)
        elif self._pending_doc(slot) is not None:
            self._pending_docs -= 1  # its postings stay in the chunk; merge() drops dead slots

    def maybe_merge(self) -> bool:
        """Merge the delta segment into the main one when it is larger than the threshold."""
        if self.delta_size > max(self.merge_min, self.merge_ratio * self._main_docs):
            self.merge()
            return True
        return False

    def _new_postings(self) -> tuple[IntArray, I64, FloatArray]:
        """The delta and pending documents' postings (term id, slot, tf), ordered by slot."""
        parts_t: list[IntArray] = []
        parts_s: list[I64] = []
        parts_f: list[FloatArray] = []
        for c_slots, offs, tids, tfs in self._pending:
            parts_t.append(tids)
            parts_s.append(np.repeat(c_slots, np.diff(offs)))
            parts_f.append(tfs)
        for slot in sorted(self._delta_docs):
            tids, tfs = self._delta_docs[slot]
            parts_t.append(tids)
            parts_s.append(np.full(len(tids), slot, dtype=np.int64))
            parts_f.append(tfs)
        if not parts_t:
            return _EMPTY_I, _EMPTY_L, _EMPTY_F
        tids_a, slots_a, tfs_a = np.concatenate(parts_t), np.concatenate(parts_s), np.concatenate(parts_f)
        if len(slots_a) > 1 and not bool(np.all(slots_a[1:] >= slots_a[:-1])):
            order = np.argsort(slots_a, kind="stable")
            tids_a, slots_a, tfs_a = tids_a[order], slots_a[order], tfs_a[order]
        keep = self._alive[slots_a]
        if not bool(keep.all()):
            tids_a, slots_a, tfs_a = tids_a[keep], slots_a[keep], tfs_a[keep]
        return tids_a, slots_a, tfs_a

    def merge(self, remap: IntArray | None = None) -> None:
        """Rebuild the main segment from every alive document and empty the delta segment.

        ``remap`` (old slot -> new slot, ``-1`` for dropped) renumbers slots, for compaction.  Without it,
        a shard that neither lost nor gained a document only has its weights recomputed."""
        n_terms = len(self.terms)
        new_t, new_s, new_f = self._new_postings()
        if remap is not None:
            parts = [sh.triples() for sh in self._shards]
            all_t = np.concatenate([p[0] for p in parts] + [new_t])
            all_s = np.concatenate([p[1] for p in parts] + [new_s])
            all_f = np.concatenate([p[2].astype(np.float32) for p in parts] + [new_f])
            keep = self._alive[all_s]
            all_t, all_s, all_f = all_t[keep], remap[all_s[keep]].astype(np.int64), all_f[keep]
            keep = all_s >= 0
            all_t, all_s, all_f = all_t[keep], all_s[keep], all_f[keep]
            order = np.argsort(all_s, kind="stable")
            new_t, new_s, new_f = all_t[order], all_s[order], all_f[order]
            new_n = int(remap.max()) + 1 if len(remap) else 0
            cap = max(new_n, 1024)
            dl = np.zeros(cap, dtype=np.float32)
            alive = np.zeros(cap, dtype=bool)
            old = np.flatnonzero((remap >= 0) & self._alive[: len(remap)])
            dl[remap[old]] = self._dl[old]
            alive[remap[old]] = True
            self._dl, self._alive, self._in_main = dl, alive, np.zeros(cap, dtype=bool)
            self._n_slots = new_n
            old_shards: list[_Shard] = []
        else:
            old_shards = self._shards
        n = self._n_slots
        n_shards = (n + SHARD - 1) // SHARD
        main_docs = int(self._alive[:n].sum())
        avgdl = self.avgdl
        quantise = main_docs >= self.quantise_min
        scale = (self.k1 + 1.0) / _QMAX
        m_max = np.zeros(n_terms, dtype=np.float32)
        bounds = np.searchsorted(new_s, np.arange(n_shards + 1, dtype=np.int64) * SHARD)
        shards: list[_Shard] = []
        for h in range(n_shards):
            base = h * SHARD
            a, z = int(bounds[h]), int(bounds[h + 1])
            old_sh = old_shards[h] if h < len(old_shards) else None
            if old_sh is not None:
                o_slots = old_sh.lo.astype(np.int64) + base
                if z == a and h not in self._dirty:
                    # nothing changed in this shard: recompute its weights only (the average length moved)
                    w = self._weights(old_sh.tf.astype(np.float32), self._dl[o_slots], avgdl)
                    del o_slots
                    ptr = old_sh.ptr
                    if len(ptr) < n_terms + 1:  # terms new since the last merge: empty in this shard
                        ptr = np.concatenate([ptr, np.full(n_terms + 1 - len(ptr), ptr[-1], dtype=ptr.dtype)])
                    shards.append(
                        self._finish_shard(base, ptr, old_sh.lo, old_sh.tf, w, m_max, quantise, scale)
                    )
                    continue
                o_alive = self._alive[o_slots] & self._in_main[o_slots]
                o_t, _, o_f = old_sh.triples()
                t = np.concatenate([o_t[o_alive], new_t[a:z]])
                s = np.concatenate([o_slots[o_alive], new_s[a:z]])
                f = np.concatenate([o_f[o_alive].astype(np.float32), new_f[a:z]])
                del o_t, o_f, o_slots, o_alive
            else:
                t, s, f = new_t[a:z], new_s[a:z], new_f[a:z]
            # postings arrive ordered by slot: a stable sort by term keeps the slots ascending in each term
            order = np.argsort(t, kind="stable")
            t, s, f = t[order], s[order], f[order]
            del order
            counts = np.bincount(t, minlength=n_terms) if len(t) else np.zeros(n_terms, dtype=np.int64)
            ptr = np.zeros(n_terms + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            lo = (s - base).astype(np.uint16)
            tf: npt.NDArray[np.uint8] | npt.NDArray[np.uint16] = (
                f.astype(np.uint8) if (len(f) == 0 or float(f.max()) <= 255) else f.astype(np.uint16)
            )
            w = self._weights(f, self._dl[s], avgdl)
            shards.append(self._finish_shard(base, ptr, lo, tf, w, m_max, quantise, scale))
            del t, s, f
        self._shards = shards
        self._dirty = set()
        self._in_main[:n] = self._alive[:n]
        self._main_docs = main_docs
        self._m_avgdl = avgdl
        self._q_scale = scale if quantise else 0.0
        self._m_max = m_max
        self._delta = {}
        self._delta_docs = {}
        self._pending = []
        self._pending_docs = 0
        self.merges += 1

    @staticmethod
    def _finish_shard(
        base: int,
        ptr: npt.NDArray[np.int64],
        lo: npt.NDArray[np.uint16],
        tf: npt.NDArray[np.uint8] | npt.NDArray[np.uint16],
        w: FloatArray,
        m_max: FloatArray,
        quantise: bool,
        scale: float,
    ) -> _Shard:
        counts = np.diff(ptr)
        nonempty = np.flatnonzero(counts > 0)
        if len(nonempty):
            np.maximum.at(m_max, nonempty, np.maximum.reduceat(w, ptr[:-1][nonempty]))
        stored: FloatArray | npt.NDArray[np.uint16] = w
        if quantise:
            stored = np.clip(np.rint(w / np.float32(scale)), 1, _QMAX).astype(np.uint16)
        return _Shard(base, ptr, lo, tf, stored)

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
        return d_slots, self._weights(d_tf, self._dl[d_slots], self.avgdl)

    def _stored_weights(self, sh: _Shard, a: int, z: int, factor: float) -> FloatArray:
        """``factor`` times the stored weights of postings ``a:z`` of a shard (decoded when quantised)."""
        if self._q_scale:
            return np.float32(factor * self._q_scale) * sh.w[a:z]
        return np.float32(factor) * sh.w[a:z]

    def quantisation_error(self, tids: Sequence[int]) -> float:
        """An upper bound of ``|scores() - exact score|`` for any document (0 when not quantised)."""
        if not self._q_scale:
            return 0.0
        return sum(self.idf(t) for t in tids) * self._q_scale * 0.5 * (1 + 1e-3) + 1e-6

    def scores(self, tids: Sequence[int], n_slots: int) -> FloatArray:
        """BM25 scores of every slot (``0`` for documents without a query term or removed).

        Exact while the main segment is not quantised; otherwise within :meth:`quantisation_error` of the
        exact scores (:meth:`scores_of` is always exact).  Main and delta postings are added separately."""
        out = np.zeros(n_slots, dtype=np.float32)
        for tid in tids:
            idf = self.idf(tid)
            for sh in self._shards:
                a, z = sh.span(tid)
                if z > a:
                    # np.add.at: the same float32 additions as ``view[lo] += w`` (a term holds a slot once),
                    # measured 1.6 against 2.7 ms for 20 terms over 65,536 slots
                    np.add.at(out[sh.base : sh.base + SHARD], sh.lo[a:z], self._stored_weights(sh, a, z, idf))
            delta = self._delta_postings(tid)
            if delta is not None:
                out[delta[0]] += np.float32(idf) * delta[1]
        upto = min(n_slots, self.n_slots)
        if self.n_alive < upto:
            out[:upto][~self._alive[:upto]] = 0.0
        return out

    def _idf_array(self, tids: Sequence[int]) -> npt.NDArray[np.float64]:
        return np.array([self.idf(t) for t in tids], dtype=np.float64)

    def stats(self, tids: Sequence[int]) -> tuple[float, float]:
        """Mean and standard deviation of the BM25 scores of ``tids`` over the alive documents.

        Exact up to ``sample_size`` documents; above, measured on a fixed hash sample of the slots (about
        ``sample_size`` documents) so the z-score needs no full scan (docs/adr/0030-engine-at-city-scale.md)."""
        if self.n_alive == 0:
            return 0.0, 0.0
        cand = np.flatnonzero(self._alive[: self.n_slots])
        members = cand[_sample_rule(cand, self._main_docs, self.sample_size)]
        if len(members) == 0:
            return 0.0, 0.0
        acc = self.scores_of(tids, members).astype(np.float64)
        return float(acc.mean()), float(acc.std())

    def _bound(self, tid: int) -> float:
        """Largest contribution the term can make to one document's score."""
        best = float(self._m_max[tid]) if tid < len(self._m_max) else 0.0
        d = self._delta_postings(tid)
        if d is not None and len(d[1]):
            best = max(best, float(d[1].max()))
        return self.idf(tid) * best

    def _exact_main(self, sh: _Shard, a: int, z: int, pos: npt.NDArray[np.int64]) -> FloatArray:
        """Exact tf factors of the shard postings at ``a + pos`` (as the unquantised segment holds them)."""
        if not self._q_scale:
            return sh.w[a:z][pos]  # type: ignore[return-value]
        idx = pos + a
        slots = sh.lo[idx].astype(np.int64) + sh.base
        return self._weights(sh.tf[idx].astype(np.float32), self._dl[slots], self._m_avgdl)

    def _groups(
        self, slots: npt.NDArray[np.int64]
    ) -> list[tuple[_Shard, npt.NDArray[np.int64], npt.NDArray[np.uint16]]]:
        """``slots`` by main-segment shard: (shard, positions in ``slots``, low 16 bits, ascending)."""
        order = np.argsort(slots, kind="stable")
        s_sorted = slots[order]
        cuts = np.searchsorted(s_sorted, np.arange(len(self._shards) + 1, dtype=np.int64) * SHARD)
        groups: list[tuple[_Shard, npt.NDArray[np.int64], npt.NDArray[np.uint16]]] = []
        for h, sh in enumerate(self._shards):
            a, z = int(cuts[h]), int(cuts[h + 1])
            if z > a:
                groups.append((sh, order[a:z], (s_sorted[a:z] - sh.base).astype(np.uint16)))
        return groups

    def presence(self, tids: Sequence[int], slots: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which of ``tids`` each of ``slots`` holds: a ``(len(slots), len(tids))`` boolean matrix (one
        search per term and shard, instead of one per term and document)."""
        slots = np.asarray(slots, dtype=np.int64)
        out = np.zeros((len(slots), len(tids)), dtype=bool)
        if len(slots) == 0 or not tids:
            return out
        in_main = self._in_main[np.minimum(slots, len(self._in_main) - 1)] & (slots < self.n_slots)
        main = np.flatnonzero(in_main)
        groups = self._groups(slots[main])
        for j, tid in enumerate(tids):
            for _sh, where, _a, _z, _i, hit in self._found(tid, groups):
                out[main[where[hit]], j] = True
        for r in np.flatnonzero(~in_main).tolist():
            held = set(self.doc_terms(int(slots[r]))[0].tolist())
            out[r] = [t in held for t in tids]
        return out

    @staticmethod
    def _found(tid: int, groups: Any) -> Iterator[tuple[Any, Any, int, int, Any, Any]]:
        """For each shard group of :meth:`_groups`, where ``tid``'s slot-sorted postings hold the
        group's slots: (shard, where, a, z, i, hit) with ``hit[n]`` true when slot ``n`` has the term at
        posting ``a + i[n]``."""
        for sh, where, lo in groups:
            a, z = sh.span(tid)
            if z <= a:
                continue
            plo = sh.lo[a:z]
            i = np.minimum(np.searchsorted(plo, lo), z - a - 1)
            yield sh, where, a, z, i, plo[i] == lo

    def scores_of(self, tids: Sequence[int], slots: npt.NDArray[np.int64]) -> FloatArray:
        """Exact BM25 scores of just ``slots`` (each term's slot-sorted postings searched, no full scan)."""
        slots = np.asarray(slots, dtype=np.int64)
        out = np.zeros(len(slots), dtype=np.float32)
        if len(slots) == 0:
            return out
        groups = self._groups(slots)
        for tid in tids:
            idf = np.float32(self.idf(tid))
            for sh, where, a, z, i, hit in self._found(tid, groups):
                if hit.any():
                    out[where[hit]] += idf * self._exact_main(sh, a, z, i[hit])
            d = self._delta_postings(tid)
            if d is not None and len(d[0]):
                d_order = np.argsort(d[0])
                ds, dw = d[0][d_order], d[1][d_order]
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
        ties by ascending slot: the same list as ranking the exact scores exhaustively, without scoring
        every posting of the common terms (MaxScore, docs/adr/0030-engine-at-city-scale.md).

        Terms are scored whole from the largest bound down; once the bounds of the terms left sum to
        less than the k-th best score so far, a document none of the scored terms holds cannot enter
        the top k, the remaining terms are only looked up for the documents that still can, by binary
        search in their slot-sorted postings.  With quantised weights every comparison is widened by
        the quantisation error, and the final scores are exact."""
        tids = list(dict.fromkeys(tids))
        empty = (np.zeros(0, dtype=np.int64), _EMPTY_F)
        if k <= 0 or not tids:
            return empty
        qerr = 2.0 * self.quantisation_error(tids)
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
            if done and remaining * (1 + 1e-5) + 1e-6 + qerr < scored:
                theta = _kth_floor(acc[touched & ok], k)
                if remaining * (1 + 1e-5) + 1e-6 + qerr < theta:
                    break
            idf = self.idf(tid)
            for sh in self._shards:
                a, z = sh.span(tid)
                if z > a:
                    lo = sh.lo[a:z]
                    np.add.at(acc[sh.base : sh.base + SHARD], lo, self._stored_weights(sh, a, z, idf))
                    touched[sh.base : sh.base + SHARD][lo] = True
            d = self._delta_postings(tid)
            if d is not None:
                acc[d[0]] += np.float32(idf) * d[1]
                touched[d[0]] = True
            remaining -= bounds[tid]
            scored += bounds[tid]
            done += 1
        rest = order[done:]
        cand = np.flatnonzero(touched & ok)
        if rest and len(cand):
            slack = sum(bounds[t] for t in rest) * (1 + 1e-5) + 1e-6 + qerr
            cand = cand[acc[cand] + slack >= theta * (1 - 1e-5)]
            approx = acc[cand] + self.scores_of(rest, cand)
        else:
            approx = acc[cand]
        if len(cand) > k:
            kth = _kth_floor(approx, k)
            cand = cand[approx >= kth * (1 - 1e-4) - 1e-5 - qerr]
        # the final scores are summed term by term in the query's order, as scores() does, so they are
        # bit for bit the exhaustive (exact) ones
        acc_c = self.scores_of(tids, cand)
        pos = acc_c > 0
        cand, acc_c = cand[pos], acc_c[pos]
        if len(cand) > k:
            part = np.argpartition(-acc_c, k - 1)[:k]
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
        doc_tids, doc_tfs = self.doc_terms(slot)
        norm = self.k1 * (1.0 - self.b + self.b * float(self._dl[slot]) / self.avgdl)
        for tid in tids:
            pos = np.flatnonzero(doc_tids == tid)
            if len(pos):
                tf = float(doc_tfs[pos[0]])
                out[tid] = self.idf(tid) * tf * (self.k1 + 1.0) / (tf + norm)
        return out

    def doc_has(self, slot: int, tids: Sequence[int]) -> list[int]:
        """The subset of ``tids`` that occur in ``slot``'s document."""
        if slot >= self.n_slots or not self._alive[slot]:
            return []
        if self._in_main[slot]:
            sh = self._shards[slot >> SHARD_BITS]
            lo = np.uint16(slot - sh.base)
            out: list[int] = []
            for t in tids:
                a, z = sh.span(t)
                if z > a:
                    i = int(np.searchsorted(sh.lo[a:z], lo))
                    if i < z - a and sh.lo[a + i] == lo:
                        out.append(t)
            return out
        present = set(self.doc_terms(slot)[0].tolist())
        return [t for t in tids if t in present]
