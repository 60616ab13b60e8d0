"""The matching engine: hybrid lexical + dense retrieval, fusion, structured features, reasons.

One :class:`Engine` holds a catalogue of :class:`~matchcore.types.Document` objects in integer slots:

* lexical: :class:`~matchcore.lexical.LexicalIndex` (BM25 over jieba full-mode terms, main + delta
  segment, so an upsert is searchable at once);
* dense: an ``(n, dim)`` float32 matrix scored exactly with one matrix-vector product; vectors come from
  :meth:`Engine.set_vectors` (computed elsewhere, e.g. by a background task) or :meth:`Engine.embed_missing`;
* fusion: z-scores of both legs over the live catalogue, weighted (``lexical_weight``); a document without
  a vector yet is scored on its lexical z-score alone;
* structured features (fields, TRL, budget, park, cluster) rerank the top of the list for
  recommendations and for searches with a :class:`~matchcore.types.QueryContext`.

Filtering (``kinds``, ``allowed``) happens before the top-k cut, so a hidden document never appears and
never pushes a visible one out.  All public methods are serialised by one re-entrant lock.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .config import EngineConfig
from .embed import Embedder, load_embedder
from .features import Profile, feature_reasons, profile_of
from .ivf import CellIndex
from .lexical import LexicalIndex
from .store import DocStore, FileRows, IdMap, release_free_memory, repack_in_place
from .text import REASON_STOPWORDS, Segmenter, clear_caches, highlight
from .threads import limit_blas_threads, parallel_matvec
from .types import Document, Explanation, Hit, QueryContext, Reason

__all__ = ["Allowed", "Engine"]

_TOKEN_CHUNK = 2048  # documents segmented at a time by upsert_many
_QUERY_VECTORS = 1024  # query vectors remembered (paging through a search encodes its query once)

Allowed = Callable[[str], bool] | set[str] | frozenset[str] | None
FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


def _zstats(values: FloatArray, mask: BoolArray) -> tuple[float, float]:
    """Mean and deviation of the entries of ``values`` selected by ``mask`` (0, 0 when none is)."""
    sel = values[mask]
    if sel.size == 0:
        return 0.0, 0.0
    return float(sel.mean()), float(sel.std())


def _zapply(values: FloatArray, stats: tuple[float, float]) -> FloatArray:
    """``values`` standardised with ``stats`` (zeros when the deviation is 0)."""
    mean, std = stats
    if std <= 1e-12:
        return np.zeros_like(values)
    return ((values - mean) / std).astype(np.float32)


def _zscore(values: FloatArray, mask: BoolArray) -> FloatArray:
    """Standardise ``values`` using the mean and deviation of the entries selected by ``mask``."""
    return _zapply(values, _zstats(values, mask))


def _minmax(values: FloatArray, mask: BoolArray) -> FloatArray:
    """Scale masked entries to ``[0, 1]``; others get 0."""
    sel = values[mask]
    if sel.size == 0:
        return np.zeros_like(values)
    lo, hi = float(sel.min()), float(sel.max())
    if hi <= lo:
        return np.zeros_like(values)
    return np.where(mask, (values - lo) / (hi - lo), 0.0).astype(np.float32)


def _ranks(values: FloatArray, mask: BoolArray) -> FloatArray:
    """1-based rank of every masked entry by descending value (others get a huge rank)."""
    ranks = np.full(values.shape, 1e9, dtype=np.float32)
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(-values[idx], kind="stable")]
    ranks[order] = np.arange(1, len(order) + 1, dtype=np.float32)
    return ranks


class Engine:
    """Hybrid Chinese technology-matching engine (see the module docstring)."""

    def __init__(self, config: EngineConfig | None = None, embedder: Embedder | None = None) -> None:
        self.config = config or EngineConfig.default()
        if self.config.blas_threads:
            limit_blas_threads(self.config.blas_threads)
        self._embedder = embedder
        self.segmenter = Segmenter(mode=self.config.segment_mode)
        self._lex = LexicalIndex(
            k1=self.config.bm25_k1,
            b=self.config.bm25_b,
            merge_min=self.config.merge_min,
            merge_ratio=self.config.merge_ratio,
            sample_size=self.config.lexical_sample,
            quantise_min=self.config.lexical_quantise_min,
        )
        self._lock = threading.RLock()
        self._slot_of = IdMap()  # id <-> slot (store.IdMap: no Python object per listing)
        # documents compressed by block (store.DocStore); ids and kinds at hand per slot
        self._docs = DocStore()
        self._kind_names: list[str] = []
        self._alive = np.zeros(1024, dtype=bool)
        self._kind_code: dict[str, int] = {}
        self._kinds = np.full(1024, -1, dtype=np.int32)
        # float32 rows in memory, or (config.vector_file_min vectors on) in a file read by row
        self._vectors: Any = None
        self._vec_file = False  # the vectors live in a file (store.FileRows)
        self._has_vec = np.zeros(1024, dtype=bool)
        self._n_vec = 0
        # exact moments of the stored vectors (sum and sum of outer products over the slots with a
        # vector), so the dense leg's z-score needs no full scan (docs/adr/0030-engine-at-city-scale.md)
        self._vsum: npt.NDArray[np.float64] | None = None
        self._vsq: npt.NDArray[np.float64] | None = None
        # the coarse copy of the vectors (projection on the leading principal axes), scanned in full;
        # the exact vectors are read only for the candidates it ranks first
        self._proj: FloatArray | None = None
        self._coarse: FloatArray | None = None
        self._proj_fitted_at = 0
        # the inverted file over the coarse copy (ivf.CellIndex), from config.ivf_min vectors on
        self._ivf: CellIndex | None = None
        self.index_version = 0
        self._query_vectors: dict[str, FloatArray] = {}

    # ================================================================== properties
    @property
    def embedder(self) -> Embedder:
        """The embedder (built from ``config.embedder`` on first use)."""
        if self._embedder is None:
            self._embedder = load_embedder(self.config.embedder)
        return self._embedder

    @property
    def embedder_name(self) -> str:
        """Name under which stored vectors must be keyed."""
        return self.embedder.name

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slot_of

    def get(self, doc_id: str) -> Document | None:
        """The stored document with this id, if any."""
        slot = self._slot_of.get(doc_id)
        return None if slot is None else self._docs.get(slot)

    def ids(self) -> list[str]:
        """Ids of every document in the engine."""
        return list(self._slot_of)

    def add_words(self, words: Iterable[str]) -> int:
        """Add domain words (taxonomy names) to the segmenter; affects documents indexed afterwards."""
        return self.segmenter.add_words(words)

    # ================================================================== texts
    def index_text(self, doc: Document) -> str:
        """The text the lexical leg indexes: title (twice, a light title boost), text and tags."""
        return "\n".join([doc.title, doc.title, doc.text, " ".join(doc.tags)])

    def passage_text(self, doc: Document) -> str:
        """The text the dense leg encodes for ``doc``."""
        parts = [p for p in (doc.title.strip(), doc.text.strip()) if p]
        return "\n".join(parts)[: self.config.max_passage_chars]

    def passage_digest(self, doc: Document) -> str:
        """Digest of the embedder name and passage text: store it next to a vector to detect staleness."""
        h = hashlib.blake2b(digest_size=16)
        h.update(self.embedder_name.encode("utf-8"))
        h.update(b"\0")
        h.update(self.passage_text(doc).encode("utf-8"))
        return h.hexdigest()

    # ================================================================== writes
    def _grow(self, n: int) -> None:
        cap = len(self._alive)
        if n <= cap:
            return
        new_cap = max(n, 2 * cap)
        for name, fill in (("_alive", False), ("_kinds", -1), ("_has_vec", False)):
            old = getattr(self, name)
            arr = np.full(new_cap, fill, dtype=old.dtype)
            arr[: len(old)] = old
            setattr(self, name, arr)
        if self._vectors is not None:
            if self._vec_file:
                self._vectors = FileRows(self._vectors, new_cap, self.config.vector_dir)
            else:
                vec = np.zeros((new_cap, self._vectors.shape[1]), dtype=np.float32)
                vec[: len(self._vectors)] = self._vectors
                self._vectors = vec
        if self._coarse is not None:
            coarse = np.zeros((new_cap, self._coarse.shape[1]), dtype=np.float32)
            coarse[: len(self._coarse)] = self._coarse
            self._coarse = coarse
        if self._ivf is not None:
            self._ivf.grow(new_cap)

    def _kind_id(self, kind: str) -> int:
        code = self._kind_code.get(kind)
        if code is None:
            code = len(self._kind_code)
            self._kind_code[kind] = code
            self._kind_names.append(kind)
        return code

    def upsert(self, doc: Document) -> None:
        """Add or replace one document; it is lexically searchable when this returns."""
        self.upsert_many([doc])

    def upsert_many(self, docs: Iterable[Document]) -> None:
        """Add or replace documents; a replaced document keeps its vector if its passage text is unchanged."""
        batch = list(docs)
        if not batch:
            return
        # last write wins within a batch
        latest: dict[str, Document] = {}
        for d in batch:
            latest[d.id] = d
        # the tokens of a large batch are turned into term ids chunk by chunk, so a first load does not
        # hold every listing's token list at once (docs/adr/0020-calibrated-matching.md)
        pending = list(latest.values())
        if len(pending) > _TOKEN_CHUNK:
            with self._lock:
                for start in range(0, len(pending), _TOKEN_CHUNK):
                    self._upsert_batch(pending[start : start + _TOKEN_CHUNK], bulk=True)
                self._lex.merge()
                self._slot_of.fold()
                # a first load frees many temporaries: hand them back (a server forks workers after it)
                release_free_memory()
            return
        self._upsert_batch(pending, bulk=False)

    def load(self, docs: Iterable[Document]) -> None:
        """A first load read as a stream: ``docs`` (e.g. a generator, or rows read from a database in
        chunks) is consumed a chunk at a time, so the caller never holds every listing at once; the
        index is the one :meth:`upsert_many` builds from the same documents in a list.  A document whose
        id came earlier in the stream replaces it (in a new slot).

        The listings of a catalogue held at once as Python objects (about 800 bytes each) fill hundreds
        of the interpreter's memory arenas; the few objects the build keeps (the vocabulary) land among
        them and keep those arenas from being returned once the listings are dropped
        (docs/adr/0030-engine-at-city-scale.md, fourth pass)."""
        with self._lock:
            chunk: dict[str, Document] = {}
            loaded = False
            for doc in docs:
                chunk[doc.id] = doc
                if len(chunk) >= _TOKEN_CHUNK:
                    self._upsert_batch(list(chunk.values()), bulk=True)
                    chunk = {}
                    loaded = True
            if chunk:
                self._upsert_batch(list(chunk.values()), bulk=True)
                loaded = True
            del chunk
            if loaded:
                self._lex.merge()
                self._slot_of.fold()
                release_free_memory()

    def _upsert_batch(self, pending: list[Document], *, bulk: bool) -> None:
        token_lists = [self.segmenter.tokens(self.index_text(d)) for d in pending]
        latest = {d.id: d for d in pending}
        with self._lock:
            slots: list[int] = []
            tokens_kept: list[list[str]] = []
            for doc, tokens in zip(latest.values(), token_lists, strict=True):
                carried: FloatArray | None = None
                old_slot = self._slot_of.get(doc.id)
                if old_slot is not None:
                    old = self._docs.get(old_slot)
                    if old == doc:
                        continue
                    if (
                        old is not None
                        and self._has_vec[old_slot]
                        and self._vectors is not None
                        and (self.passage_text(old) == self.passage_text(doc))
                    ):
                        carried = self._vectors[old_slot].copy()
                    self._drop_slot(old_slot)
                slot = len(self._docs)
                self._grow(slot + 1)
                self._docs.append(doc)
                got = self._slot_of.append(doc.id)
                assert got == slot, (got, slot)
                self._alive[slot] = True
                self._kinds[slot] = self._kind_id(doc.kind)
                if carried is not None and self._vectors is not None:
                    self._put_vector(slot, carried)
                slots.append(slot)
                tokens_kept.append(tokens)
            if slots:
                self._lex.add_many(slots, tokens_kept, merge=not bulk)
                self.index_version += 1
                self._maybe_compact()

    def repack(self) -> None:
        """Give back the memory a large build leaves in the interpreter's small-object allocator: call
        it after the first load, once the listings themselves are dropped (a server that forks workers
        calls it before the fork).  The index, its arrays and the results are unchanged; the engine's
        small Python objects (vocabulary, ids) are re-created compactly (``store.repack_in_place``,
        docs/adr/0030-engine-at-city-scale.md)."""
        with self._lock:
            if self._vec_file and self._vectors.private_rows:
                # vectors set after the file was made (a build that sets them a chunk at a time) sit in
                # the overlay, a private array each: at 1M, 222,477 rows, about 360 MB of the master
                # that every worker counted a share of; a new file holds them instead
                # (docs/adr/0030-engine-at-city-scale.md, "The vectors' overlay")
                self._vectors = FileRows(self._vectors, None, self.config.vector_dir)
            clear_caches()
            repack_in_place(self._lex, frozenset())
            repack_in_place(self, frozenset({DocStore, IdMap, Segmenter}))
            release_free_memory()

    def remove(self, doc_id: str) -> bool:
        """Remove a document; returns whether it was present."""
        with self._lock:
            slot = self._slot_of.get(doc_id)
            if slot is None:
                return False
            self._drop_slot(slot)
            self.index_version += 1
            self._maybe_compact()
            return True

    def _drop_slot(self, slot: int) -> None:
        self._lex.remove(slot)
        self._alive[slot] = False
        self._docs.remove(slot)
        self._slot_of.remove_slot(slot)
        if self._has_vec[slot]:
            self._has_vec[slot] = False
            self._n_vec -= 1
            self._moments_add(self._vectors[slot : slot + 1], -1.0)
            if self._ivf is not None:
                self._ivf.drop(slot)

    def _maybe_compact(self) -> None:
        n = len(self._docs)
        dead = n - len(self._slot_of)
        if dead >= 1000 and dead > self.config.compact_dead_ratio * n:
            self.compact()

    def compact(self) -> None:
        """Renumber slots to drop removed documents and rebuild the lexical main segment."""
        with self._lock:
            n = len(self._docs)
            remap = np.full(n, -1, dtype=np.int32)
            alive_slots = np.flatnonzero(self._alive[:n])
            remap[alive_slots] = np.arange(len(alive_slots), dtype=np.int32)
            self._lex.merge(remap)
            cap = max(1024, len(alive_slots))
            docs = self._docs.compacted(alive_slots)
            idmap = self._slot_of.compacted(alive_slots)
            alive = np.zeros(cap, dtype=bool)
            alive[: len(alive_slots)] = True
            kinds = np.full(cap, -1, dtype=np.int32)
            kinds[: len(alive_slots)] = self._kinds[alive_slots]
            has_vec = np.zeros(cap, dtype=bool)
            has_vec[: len(alive_slots)] = self._has_vec[alive_slots]
            if self._vectors is not None:
                vec = np.zeros((cap, self._vectors.shape[1]), dtype=np.float32)
                for start in range(0, len(alive_slots), 65536):
                    part = alive_slots[start : start + 65536]
                    vec[start : start + len(part)] = self._vectors[part]
                self._vectors = vec
                self._vec_file = False
            self._docs, self._alive, self._kinds, self._has_vec = docs, alive, kinds, has_vec
            self._refresh_moments()
            self._proj = self._coarse = None
            self._ivf = None
            self._maybe_fit_coarse()
            self._slot_of = idmap
            self._settle_vectors()
            self.index_version += 1

    # ================================================================== vectors
    def set_vectors(
        self, ids: Sequence[str], matrix: npt.ArrayLike, digests: Sequence[str] | None = None
    ) -> int:
        """Attach dense vectors (rows of ``matrix``) to documents; returns how many were set.

        Unknown ids are skipped.  With ``digests`` (from :meth:`passage_digest` at encoding time), a vector
        whose digest no longer matches the stored document is skipped as stale.  Rows are L2-normalised.
        """
        mat = np.asarray(matrix, dtype=np.float32)
        if mat.ndim != 2 or mat.shape[0] != len(ids):
            raise ValueError(f"matrix must have shape (len(ids), dim); got {mat.shape} for {len(ids)} ids")
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        mat = mat / norms
        count = 0
        with self._lock:
            if self._vectors is None:
                self._vectors = np.zeros((len(self._alive), mat.shape[1]), dtype=np.float32)
            elif self._vectors.shape[1] != mat.shape[1]:
                raise ValueError(
                    f"vector dimension {mat.shape[1]} != index dimension {self._vectors.shape[1]}"
                )
            found = [
                (slot, i) for i, doc_id in enumerate(ids) if (slot := self._slot_of.get(doc_id)) is not None
            ]
            if digests is not None:
                found.sort()  # the documents are read block by block (store.DocStore)
            last: dict[int, int] = {}  # slot -> row; the last write of a slot wins
            for slot, i in found:
                if digests is not None:
                    doc = self._docs.get(slot)
                    if doc is None or digests[i] != self.passage_digest(doc):
                        continue
                last[slot] = i
                count += 1
            if last:
                self._put_vectors(
                    np.fromiter(last.keys(), dtype=np.int64, count=len(last)),
                    mat[np.fromiter(last.values(), dtype=np.int64, count=len(last))],
                )
            if count:
                self.index_version += 1
                self._maybe_fit_coarse()
                self._settle_vectors()
        return count

    def _settle_vectors(self) -> None:
        """Move the vectors into a privately mapped file (``config.vector_file_min`` vectors on), or
        write them to a new one once many rows have been written since (each written row is a private
        copy of its page)."""
        cfg = self.config
        if self._vectors is None or not cfg.vector_file_min or self._n_vec < cfg.vector_file_min:
            return
        if self._vec_file and self._vectors.private_rows < max(65536, len(self._vectors) // 4):
            return
        self._vectors = FileRows(self._vectors, None, cfg.vector_dir)
        self._vec_file = True
        release_free_memory()  # the in-memory copy just freed

    def _put_vectors(self, slots: IntArray, rows: FloatArray) -> None:
        """Store (unit) vectors in distinct ``slots``, in blocks: the moments take one matrix product per
        block instead of one outer product per vector."""
        assert self._vectors is not None
        order = np.argsort(slots, kind="stable")
        slots, rows = slots[order], rows[order]
        step = 65536
        for start in range(0, len(slots), step):
            s = slots[start : start + step]
            r = rows[start : start + step]
            had = self._has_vec[s]
            if had.any():
                self._moments_add(self._vectors[s[had]], -1.0)
            self._vectors[s] = r
            self._moments_add(self._vectors[s], 1.0)
            if self._coarse is not None and self._proj is not None:
                self._coarse[s] = r @ self._proj
                if self._ivf is not None:
                    self._ivf.assign(s, self._coarse[s])
            self._n_vec += int(len(s) - had.sum())
            self._has_vec[s] = True

    def _put_vector(self, slot: int, vector: FloatArray) -> None:
        """Store one (unit) vector in ``slot``, keeping the moments and the coarse copy up to date."""
        assert self._vectors is not None
        if self._has_vec[slot]:
            self._moments_add(self._vectors[slot : slot + 1], -1.0)
        else:
            self._has_vec[slot] = True
            self._n_vec += 1
        self._vectors[slot] = vector
        self._moments_add(self._vectors[slot : slot + 1], 1.0)
        if self._coarse is not None and self._proj is not None:
            self._coarse[slot] = vector @ self._proj
            if self._ivf is not None:
                self._ivf.assign(np.array([slot], dtype=np.int64), self._coarse[slot : slot + 1])

    def _moments_add(self, rows: FloatArray, sign: float) -> None:
        """Add (``sign`` 1) or remove (-1) rows from the exact first and second moments of the vectors."""
        if len(rows) == 0:
            return
        r = np.asarray(rows, dtype=np.float64)
        if self._vsum is None or self._vsq is None or self._vsum.shape[0] != r.shape[1]:
            self._vsum = np.zeros(r.shape[1], dtype=np.float64)
            self._vsq = np.zeros((r.shape[1], r.shape[1]), dtype=np.float64)
        self._vsum += sign * r.sum(axis=0)
        self._vsq += sign * (r.T @ r)

    def _refresh_moments(self) -> None:
        """Recompute the moments from the stored vectors (after a bulk change; removes rounding drift)."""
        self._vsum = self._vsq = None
        if self._vectors is None:
            return
        n = len(self._docs)
        idx = np.flatnonzero(self._has_vec[:n] & self._alive[:n])
        for start in range(0, len(idx), 65536):
            self._moments_add(self._vectors[idx[start : start + 65536]], 1.0)

    def _maybe_fit_coarse(self) -> None:
        """Fit (or refit, once the vectors have doubled since) the coarse projection: the leading
        ``config.coarse_dims`` principal axes of the stored vectors (docs/adr/0030-engine-at-city-scale.md)."""
        cfg = self.config
        if self._vectors is None or self._vsq is None or self._n_vec < cfg.coarse_min:
            return
        dim = self._vectors.shape[1]
        if cfg.coarse_dims <= 0 or cfg.coarse_dims >= dim:
            return
        if self._proj is not None and self._n_vec < 2 * self._proj_fitted_at:
            self._maybe_build_ivf(refit=False)
            return
        second = self._vsq / max(1, self._n_vec)
        _, axes = np.linalg.eigh(second)  # ascending eigenvalues
        proj = np.ascontiguousarray(axes[:, ::-1][:, : cfg.coarse_dims], dtype=np.float32)
        coarse = np.zeros((len(self._vectors), cfg.coarse_dims), dtype=np.float32)
        n = len(self._docs)
        for start in range(0, n, 65536):
            stop = min(n, start + 65536)
            coarse[start:stop] = self._vectors[start:stop] @ proj
        coarse[:n][~self._has_vec[:n]] = 0.0
        self._proj, self._coarse, self._proj_fitted_at = proj, coarse, self._n_vec
        self._maybe_build_ivf(refit=True)

    def _maybe_build_ivf(self, *, refit: bool) -> None:
        """Build the inverted file over the coarse copy (``config.ivf_min`` vectors on), or train it
        again after a refit of the projection or once it is stale (:meth:`CellIndex.stale`)."""
        cfg = self.config
        if self._coarse is None or not cfg.ivf_min or self._n_vec < cfg.ivf_min:
            self._ivf = None
            return
        if self._ivf is not None and not refit and not self._ivf.stale():
            return
        n = len(self._docs)
        slots = np.flatnonzero(self._has_vec[:n] & self._alive[:n])
        cells = CellIndex.cells_for(len(slots), int(math.sqrt(len(slots))))
        self._ivf = CellIndex.build(
            self._coarse, slots, len(self._coarse), cells, cfg.ivf_sample * cells, cfg.ivf_iterations
        )

    def _dense_stats(self, qvec: FloatArray) -> tuple[float, float]:
        """Exact mean and standard deviation of the query's cosine over every stored vector."""
        assert self._vsum is not None and self._vsq is not None
        q = np.asarray(qvec, dtype=np.float64)
        n = max(1, self._n_vec)
        mean = float(q @ self._vsum) / n
        var = float(q @ (self._vsq @ q)) / n - mean * mean
        return mean, math.sqrt(max(0.0, var))

    def vector_of(self, doc_id: str) -> FloatArray | None:
        """A copy of the document's stored vector (``None`` without one)."""
        with self._lock:
            slot = self._slot_of.get(doc_id)
            if slot is None or not self._has_vec[slot] or self._vectors is None:
                return None
            return np.array(self._vectors[slot], dtype=np.float32)

    def missing_vectors(self) -> list[str]:
        """Ids of documents that have no dense vector yet."""
        with self._lock:
            return [d for d, s in self._slot_of.items() if not self._has_vec[s]]

    def embed_passage_texts(self, docs: Sequence[Document]) -> FloatArray:
        """Vectors the platform should store for ``docs`` (one row each, in order)."""
        return self.embedder.encode_passages([self.passage_text(d) for d in docs])

    def embed_missing(self, batch_size: int = 64) -> int:
        """Compute and attach vectors for every document lacking one, with this engine's embedder."""
        done = 0
        for start in range(0, len(missing := self.missing_vectors()), batch_size):
            ids = missing[start : start + batch_size]
            docs = [d for d in (self.get(i) for i in ids) if d is not None]
            if docs:
                done += self.set_vectors([d.id for d in docs], self.embed_passage_texts(docs))
        return done

    # ================================================================== scoring
    def _query_vector(
        self, query: str | None, source_slot: int | None, source: Document | None
    ) -> FloatArray | None:
        if not self.config.use_dense or self._n_vec == 0 or self._vectors is None:
            return None
        if source_slot is not None and self._has_vec[source_slot]:
            return np.array(self._vectors[source_slot], dtype=np.float32)
        if source is not None:
            return np.asarray(self.embedder.encode_passages([self.passage_text(source)])[0], dtype=np.float32)
        if query is None or not query.strip():
            return None
        # the next page of a search asks for the same query again: its vector is remembered
        cached = self._query_vectors.get(query)
        if cached is not None:
            return cached
        vector = np.asarray(self.embedder.encode_queries([query])[0], dtype=np.float32)
        with self._lock:
            self._query_vectors[query] = vector
            while len(self._query_vectors) > _QUERY_VECTORS:
                self._query_vectors.pop(next(iter(self._query_vectors)))
        return vector

    def _query_terms(self, text: str, cap: int | None) -> list[int]:
        tids = self._lex.term_ids(self.segmenter.tokens(text))
        if cap is not None and len(tids) > cap:
            tids = sorted(tids, key=self._lex.idf, reverse=True)[:cap]
        return tids

    def _score_all(
        self, tids: list[int], qvec: FloatArray | None
    ) -> tuple[
        FloatArray,
        FloatArray | None,
        FloatArray,
        FloatArray,
        tuple[float, float] | None,
        tuple[float, float] | None,
    ]:
        """Scores of every slot: raw BM25, raw cosine (or ``None``), the two legs' fused contributions, and
        the exact mean and deviation of the cosine when the cosines are the coarse scan's estimates
        (``None`` when they are exact): :meth:`_refine` then replaces them for the best candidates; and the
        BM25 scores' mean and deviation when the BM25 scores are approximate (a quantised lexical index,
        ``None`` when they are exact), with which :meth:`_refine` standardises the exact ones.

        The fused score is ``lexical part + dense part``; a document without a vector has a dense part of
        0 and (z-score fusion) its lexical part carries the full weight.
        """
        n = len(self._docs)
        alive = self._alive[:n]
        lex = self._lex.scores(tids, n)
        dense: FloatArray | None = None
        has_vec = self._has_vec[:n] & alive
        cfg = self.config
        coarse_stats: tuple[float, float] | None = None
        lex_stats = (0.0, 0.0)
        if qvec is not None and self._vectors is not None and self._n_vec > 0:
            q = np.asarray(qvec, dtype=np.float32)
            threads = cfg.dense_threads if n >= cfg.dense_split_min else 1
            if (
                self._coarse is not None
                and self._proj is not None
                and cfg.fusion == "zscore"
                and self._vsum is not None
                and self._vsq is not None
            ):
                qc = q @ self._proj
                if self._ivf is not None:
                    # the best cells' rows scanned, every other vector at its cell's centroid score
                    dense, scan = self._ivf.estimates(qc, n, cfg.ivf_probe, cfg.ivf_min_scan)
                    dense[scan] = self._coarse[scan] @ qc
                else:
                    dense = parallel_matvec(self._coarse[:n], qc, threads)
                # the coarse estimate's own exact moments: its z-score ranks the candidates
                pc = self._proj.astype(np.float64)
                m = max(1, self._n_vec)
                qc64 = qc.astype(np.float64)
                c_mean = float(qc64 @ (pc.T @ self._vsum)) / m
                c_var = float(qc64 @ (pc.T @ (self._vsq @ (pc @ qc64)))) / m - c_mean * c_mean
                coarse_stats = (c_mean, math.sqrt(max(0.0, c_var)))
            else:
                dense = parallel_matvec(self._vectors[:n], q, threads)
        w = cfg.lexical_weight if dense is not None else 1.0
        if cfg.fusion == "rrf":
            lex_part = w / (cfg.rrf_k + _ranks(lex, alive))
            dense_part = (1 - w) / (cfg.rrf_k + _ranks(dense, has_vec)) if dense is not None else None
        elif cfg.fusion == "minmax":
            lex_part = w * _minmax(lex, alive)
            dense_part = (1 - w) * _minmax(dense, has_vec) if dense is not None else None
        else:
            if self._lex.quantised:
                # approximate scores anyway (re-scored exactly where it matters): the moments in two
                # passes over the scores instead of a masked copy (a removed slot scores 0)
                n_alive = max(1, self._lex.n_alive)
                mean = float(lex.sum(dtype=np.float64)) / n_alive
                lex_stats = (mean, math.sqrt(max(0.0, float(np.dot(lex, lex)) / n_alive - mean * mean)))
            else:
                lex_stats = _zstats(lex, alive)
            lex_z = _zapply(lex, lex_stats)
            if dense is not None:
                # a document without a vector yet is scored on the evidence it has: its lexical z-score
                # takes the full weight (the weights are renormalised over the available legs)
                lex_part = np.where(has_vec, w * lex_z, lex_z)
                if coarse_stats is not None:
                    mean, std = coarse_stats
                    dz = (dense - np.float32(mean)) / np.float32(std) if std > 1e-12 else np.zeros_like(dense)
                    dense_part = (1 - w) * np.where(has_vec, dz, 0.0)
                else:
                    dense_part = (1 - w) * np.where(has_vec, _zscore(dense, has_vec), 0.0)
            else:
                lex_part = lex_z
                dense_part = None
        lex_part = np.asarray(lex_part, dtype=np.float32)
        dense_arr = (
            np.asarray(dense_part, dtype=np.float32)
            if dense_part is not None
            else np.zeros(n, dtype=np.float32)
        )
        exact_stats = self._dense_stats(qvec) if coarse_stats is not None and qvec is not None else None
        approx_lex = lex_stats if cfg.fusion == "zscore" and self._lex.quantised else None
        return lex, dense, lex_part, dense_arr, exact_stats, approx_lex

    def _refine(
        self,
        slots: IntArray,
        qvec: FloatArray | None,
        dense: FloatArray | None,
        dense_part: FloatArray,
        fused: FloatArray,
        lex_part: FloatArray,
        stats: tuple[float, float] | None,
        lex: FloatArray | None = None,
        tids: list[int] | None = None,
        lex_stats: tuple[float, float] | None = None,
    ) -> None:
        """Replace the approximate scores of ``slots`` by exact ones, in place: the coarse cosines (with
        ``stats``, the exact vectors' mean and deviation; the exact vectors are read only here) and the
        quantised index's BM25 scores (with ``lex_stats``); their parts and fused scores follow."""
        w = self.config.lexical_weight
        order = np.sort(slots)  # ascending reads of the exact vectors
        if lex_stats is not None and lex is not None and tids is not None and len(order):
            exact_lex = self._lex.scores_of(tids, order)
            lex[order] = exact_lex
            lz = _zapply(exact_lex, lex_stats)
            lex_part[order] = np.where(self._has_vec[order], w * lz, lz) if dense is not None else lz
            fused[order] = lex_part[order] + dense_part[order]
        if stats is None or dense is None or qvec is None or self._vectors is None:
            return
        order = order[self._has_vec[order]]
        if len(order) == 0:
            return
        exact = self._exact_cosines(order, qvec)
        mean, std = stats
        dense[order] = exact
        z = (exact - np.float32(mean)) / np.float32(std) if std > 1e-12 else np.zeros_like(exact)
        dense_part[order] = (1 - w) * z
        fused[order] = lex_part[order] + dense_part[order]

    def _exact_cosines(self, slots: IntArray, qvec: FloatArray) -> FloatArray:
        """Exact cosines of the query with the stored vectors of ``slots`` (ascending)."""
        assert self._vectors is not None
        rows: FloatArray = self._vectors[slots]
        return (rows @ np.asarray(qvec, dtype=np.float32)).astype(np.float32)

    def _candidate_mask(self, kinds: Iterable[str] | None, exclude: int | None) -> BoolArray:
        n = len(self._docs)
        mask = self._alive[:n].copy()
        if kinds is not None:
            codes = [self._kind_code[k] for k in kinds if k in self._kind_code]
            mask &= np.isin(self._kinds[:n], np.asarray(codes, dtype=np.int32))
        if exclude is not None and exclude < n:
            mask[exclude] = False
        return mask

    @staticmethod
    def _top_superset(scores: FloatArray, mask: BoolArray, want: int) -> IntArray:
        """The slots of ``mask``, or (a large catalogue) only those at or above a threshold that at least
        ``want`` of them reach: every one of the best ``want`` is kept, and the partition that follows
        runs on a few thousand entries instead of the whole catalogue.  The threshold is an order
        statistic of every 16th score; when fewer than ``want`` reach it, every slot is kept."""
        n = len(mask)
        step = 16
        k_s = 2 * want // step + 8
        if n < 65536 or k_s * step * 4 > n:
            return np.flatnonzero(mask)
        masked = np.where(mask, scores, np.float32(-np.inf))
        sample = masked[::step]
        t = np.partition(sample, len(sample) - k_s)[len(sample) - k_s]
        if not np.isfinite(t):
            return np.flatnonzero(mask)
        idx = np.flatnonzero(masked >= t)
        return idx if len(idx) >= want else np.flatnonzero(mask)

    def _select(
        self, scores: FloatArray, mask: BoolArray, allowed: Allowed, want: int, idx: IntArray | None = None
    ) -> list[int]:
        """Best ``want`` slots by score among ``mask`` that pass ``allowed`` (checked before truncation);
        ``idx``: the slots of ``mask`` are among these (ascending), the rest of ``mask`` is not looked at."""
        if isinstance(allowed, set | frozenset):
            allowed_mask = np.zeros(len(mask), dtype=bool)
            for doc_id in allowed:
                slot = self._slot_of.get(doc_id)
                if slot is not None and slot < len(mask):
                    allowed_mask[slot] = True
            mask = mask & allowed_mask
            allowed = None
        if idx is not None:
            idx = idx[mask[idx]]
        elif allowed is None:
            idx = self._top_superset(scores, mask, want)
        else:
            idx = np.flatnonzero(mask)
        if len(idx) == 0 or want <= 0:
            return []
        sub = scores[idx]
        if allowed is None:
            if len(idx) > want:
                part = np.argpartition(-sub, want - 1)[:want]
                order = part[np.argsort(-sub[part], kind="stable")]
            else:
                order = np.argsort(-sub, kind="stable")
            return [int(s) for s in idx[order]]
        chosen: list[int] = []
        seen: set[int] = set()
        checked = 0
        window = max(4 * want, 64)
        while checked < len(idx):
            window = min(window, len(idx))
            if window < len(idx):
                part = np.argpartition(-sub, window - 1)[:window]
                order = part[np.argsort(-sub[part], kind="stable")]
            else:
                order = np.argsort(-sub, kind="stable")
            for pos in order:
                slot = int(idx[pos])
                if slot in seen:
                    continue
                seen.add(slot)
                slot_id = self._slot_of.id_of(slot)
                if slot_id is not None and allowed(slot_id):
                    chosen.append(slot)
                    if len(chosen) >= want:
                        return chosen
            checked = window
            window *= 8
        return chosen

    def _candidates_path(self) -> bool:
        """Whether queries take the candidate path (a large catalogue; docs/adr/0030-engine-at-city-scale.md):
        the lexical leg's exact top candidates (:meth:`LexicalIndex.top_k`) and the coarse dense scan's,
        fused with z-scores from the catalogue's statistics instead of scoring every document."""
        cfg = self.config
        return (
            cfg.candidate_path
            and cfg.fusion == "zscore"
            and cfg.prf_docs == 0
            and len(self._slot_of) >= cfg.coarse_min
            and (self._n_vec == 0 or self._coarse is not None or not cfg.use_dense)
        )

    def _rank_candidates(
        self, tids: list[int], qvec: FloatArray | None, mask: BoolArray, allowed: Allowed, want: int
    ) -> tuple[FloatArray, FloatArray | None, FloatArray, FloatArray, FloatArray, list[int]]:
        """The best ``want`` slots by fused score without scoring every document.

        Candidates: the lexical leg's top ``m`` (exact, :meth:`LexicalIndex.top_k`) and the coarse dense
        scan's top ``m``; both legs are then scored exactly for the candidates.  The z-scores use the
        catalogue's statistics (the vectors' exact moments; the BM25 scores' mean and deviation from
        :meth:`LexicalIndex.stats`).  A document outside both lists scores at most ``w z(L_m) +
        (1 - w) z(D_m)`` (``L_m``, ``D_m``: the m-th scores of each list); while the ``want``-th
        selected candidate is under that bound, ``m`` grows fourfold."""
        cfg = self.config
        n = len(self._docs)
        has_vec = self._has_vec[:n] & self._alive[:n]
        lex_mean, lex_std = self._lex.stats(tids)

        def lz(x: npt.ArrayLike) -> FloatArray:
            arr = np.asarray(x, dtype=np.float32)
            if lex_std <= 1e-12:
                return np.zeros_like(arr)
            return ((arr - np.float32(lex_mean)) / np.float32(lex_std)).astype(np.float32)

        dense_on = qvec is not None and self._vectors is not None and self._n_vec > 0 and cfg.use_dense
        coarse_z: FloatArray | None = None
        exact_stats = (0.0, 0.0)
        if dense_on and qvec is not None:
            q = np.asarray(qvec, dtype=np.float32)
            threads = cfg.dense_threads if n >= cfg.dense_split_min else 1
            if self._coarse is not None and self._proj is not None and self._vsum is not None:
                qc = q @ self._proj
                approx = parallel_matvec(self._coarse[:n], qc, threads)
                pc = self._proj.astype(np.float64)
                m_ = max(1, self._n_vec)
                qc64 = qc.astype(np.float64)
                c_mean = float(qc64 @ (pc.T @ self._vsum)) / m_
                c_var = float(qc64 @ (pc.T @ (self._vsq @ (pc @ qc64)))) / m_ - c_mean * c_mean  # type: ignore[operator]
                c_std = math.sqrt(max(0.0, c_var))
            else:
                approx = parallel_matvec(self._vectors[:n], q, threads)
                c_mean, c_std = self._dense_stats(q)
            coarse_z = (
                ((approx - np.float32(c_mean)) / np.float32(c_std)).astype(np.float32)
                if c_std > 1e-12
                else np.zeros(n, dtype=np.float32)
            )
            coarse_z[~(has_vec & mask)] = -np.inf
            exact_stats = self._dense_stats(q)
        w = cfg.lexical_weight if coarse_z is not None else 1.0
        lex = np.zeros(n, dtype=np.float32)
        dense = np.zeros(n, dtype=np.float32) if coarse_z is not None else None
        lex_part = np.zeros(n, dtype=np.float32)
        dense_part = np.zeros(n, dtype=np.float32)
        fused = np.full(n, -np.inf, dtype=np.float32)
        n_vec_masked = int((has_vec & mask).sum()) if coarse_z is not None else 0
        total = int(mask.sum())
        m = max(cfg.coarse_candidates, cfg.coarse_factor * want)
        while True:
            l_slots, l_scores = self._lex.top_k(tids, m, n, mask)
            parts = [l_slots]
            d_bound = -np.inf
            if coarse_z is not None:
                take = min(m, n_vec_masked)
                if take > 0:
                    d_slots = np.argpartition(-coarse_z, take - 1)[:take] if take < n else np.arange(n)
                    d_slots = d_slots[np.isfinite(coarse_z[d_slots])]
                    parts.append(d_slots.astype(np.int64))
                    if take < n_vec_masked:
                        d_bound = float(coarse_z[d_slots].min())
            cand = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
            lex_c = self._lex.scores_of(tids, cand)
            lex[cand] = lex_c
            hv = has_vec[cand]
            lzc = lz(lex_c)
            if dense is not None and qvec is not None:
                exact = np.zeros(len(cand), dtype=np.float32)
                if hv.any():
                    rows = cand[hv]
                    exact[hv] = self._vectors[rows] @ np.asarray(qvec, dtype=np.float32)
                dense[cand] = exact
                mean, std = exact_stats
                dz = (exact - np.float32(mean)) / np.float32(std) if std > 1e-12 else np.zeros_like(exact)
                lex_part[cand] = np.where(hv, w * lzc, lzc)
                dense_part[cand] = np.where(hv, (1 - w) * dz, 0.0)
            else:
                lex_part[cand] = lzc
            fused[cand] = lex_part[cand] + dense_part[cand]
            only = np.zeros(n, dtype=bool)
            only[cand] = True
            evidence = only & mask & ((lex > 0) | has_vec if dense is not None else lex > 0)
            slots = self._select(fused, evidence, allowed, want)
            # the best a document outside both lists can score
            l_bound_raw = float(l_scores[-1]) if len(l_slots) >= m else 0.0
            lzb = float(lz(l_bound_raw))
            bound = -np.inf
            if len(l_slots) >= m:
                bound = lzb  # a document without a vector holding the query's terms
            if d_bound > -np.inf:
                bound = max(bound, w * lzb + (1 - w) * d_bound)
            full = len(slots) >= want
            if m >= total or (full and float(fused[slots[-1]]) >= bound) or (not full and bound == -np.inf):
                return lex, dense, lex_part, dense_part, fused, slots
            m *= 4

    def _select_refined(
        self,
        fused: FloatArray,
        mask: BoolArray,
        allowed: Allowed,
        want: int,
        qvec: FloatArray | None,
        dense: FloatArray | None,
        dense_part: FloatArray,
        lex_part: FloatArray,
        stats: tuple[float, float] | None,
        lex: FloatArray | None = None,
        tids: list[int] | None = None,
        lex_stats: tuple[float, float] | None = None,
    ) -> list[int]:
        """:meth:`_select` on approximate scores, made exact.

        Coarse cosines (``stats``): the best candidates by the coarse fused score are re-scored exactly,
        then selected among; a filter that rejects too many widens the candidate set.  Quantised BM25
        scores (``lex_stats``): every fused score is within ``E`` (the index's quantisation error in
        z units) of its exact value, so with ``T`` the ``want``-th best approximate score, a document
        under ``T - 2E`` cannot reach the exact top ``want``; only the others are re-scored exactly."""
        cfg = self.config
        if stats is None:
            return self._lex_refined(
                self._select(fused, mask, allowed, want),
                fused,
                mask,
                allowed,
                want,
                dense,
                dense_part,
                lex_part,
                lex,
                tids,
                lex_stats,
            )
        total = int(mask.sum())
        n_cand = max(cfg.coarse_candidates, cfg.coarse_factor * want)
        while True:
            n_cand = min(n_cand, total)
            cand = np.asarray(self._select(fused, mask, None, n_cand), dtype=np.int64)
            self._refine(cand, qvec, dense, dense_part, fused, lex_part, stats)
            cand.sort()
            slots = self._select(fused, mask, allowed, want, cand)
            slots = self._lex_refined(
                slots, fused, mask, allowed, want, dense, dense_part, lex_part, lex, tids, lex_stats, cand
            )
            if len(slots) >= want or n_cand >= total:
                return slots
            n_cand *= 8

    def _lex_refined(
        self,
        slots: list[int],
        fused: FloatArray,
        mask: BoolArray,
        allowed: Allowed,
        want: int,
        dense: FloatArray | None,
        dense_part: FloatArray,
        lex_part: FloatArray,
        lex: FloatArray | None,
        tids: list[int] | None,
        lex_stats: tuple[float, float] | None,
        idx: IntArray | None = None,
    ) -> list[int]:
        """The exact selection among ``mask`` (and ``idx``, see :meth:`_select`) when the BM25 scores are
        quantised (see :meth:`_select_refined`); ``slots`` is the selection on the approximate scores."""
        if lex_stats is None or lex is None or tids is None:
            return slots
        std = lex_stats[1]
        err = self._lex.quantisation_error(tids) / std if std > 1e-12 else 0.0
        if len(slots) >= want:
            top = float(fused[slots[-1]])
            floor = top - 2.0 * err - 1e-5 * max(1.0, abs(top))  # and float32 rounding
        else:
            floor = -np.inf
        if idx is None:
            redo = np.flatnonzero(mask & (fused >= np.float32(floor)))
        else:
            redo = idx[mask[idx] & (fused[idx] >= np.float32(floor))]
        self._refine(redo, None, dense, dense_part, fused, lex_part, None, lex, tids, lex_stats)
        return self._select(fused, mask, allowed, want, idx)

    def _rank(
        self,
        *,
        query_text: str,
        qvec: FloatArray | None,
        k: int,
        kinds: Iterable[str] | None,
        allowed: Allowed,
        source: Profile | None,
        exclude: int | None,
        term_cap: int | None,
    ) -> tuple[list[Hit], list[int]]:
        cfg = self.config
        tids = self._query_terms(query_text, term_cap)
        pool = max(k, cfg.rerank_pool) if source is not None else k
        if self._candidates_path():
            lex, dense, lex_part, dense_part, fused, slots = self._rank_candidates(
                tids, qvec, self._candidate_mask(kinds, exclude), allowed, pool
            )
            return self._hits(
                slots, tids, query_text, term_cap, k, source, lex, dense, lex_part, dense_part, fused
            )
        lex, dense, lex_part, dense_part, stats, lex_stats = self._score_all(tids, qvec)
        fused = lex_part + dense_part
        mask = self._candidate_mask(kinds, exclude)
        # only documents with some evidence: a shared term, or a vector
        evidence = lex > 0
        if dense is not None:
            evidence |= self._has_vec[: len(evidence)]
        mask &= evidence
        if cfg.prf_docs > 0 and qvec is not None and dense is not None and self._vectors is not None:
            top = [s for s in self._select(fused, mask & self._has_vec[: len(mask)], allowed, cfg.prf_docs)]
            if top:
                q2 = qvec + cfg.prf_beta * self._vectors[top].mean(axis=0)
                q2 = (q2 / np.linalg.norm(q2)).astype(np.float32)
                lex, dense, lex_part, dense_part, stats, lex_stats = self._score_all(tids, q2)
                fused = lex_part + dense_part
                qvec = q2
        if (stats is not None and dense is not None and qvec is not None) or lex_stats is not None:
            slots = self._select_refined(
                fused, mask, allowed, pool, qvec, dense, dense_part, lex_part, stats, lex, tids, lex_stats
            )
        else:
            slots = self._select(fused, mask, allowed, pool)
        return self._hits(
            slots, tids, query_text, term_cap, k, source, lex, dense, lex_part, dense_part, fused
        )

    def _hits(
        self,
        slots: list[int],
        tids: list[int],
        query_text: str,
        term_cap: int | None,
        k: int,
        source: Profile | None,
        lex: FloatArray,
        dense: FloatArray | None,
        lex_part: FloatArray,
        dense_part: FloatArray,
        fused: FloatArray,
    ) -> tuple[list[Hit], list[int]]:
        """Hits for the selected slots: calibrated relevance, reasons, and the feature rerank."""
        cfg = self.config
        if not slots:
            return [], tids
        hits: list[Hit] = []
        top_fused = float(fused[slots[0]])
        floor_fused = float(fused[slots[-1]])
        w = cfg.lexical_weight if dense is not None else 1.0
        idf = {t: self._lex.idf(t) for t in tids}  # looked up once per query, not per hit
        informative = {t for t in idf if self._informative(t)}
        idf_total = sum(idf[t] for t in tids)
        # the verbatim rule counts the query's words the catalogue has never seen too (at the idf of a
        # term no document holds): a hit holding the one known word of a nonsense query is no match
        unseen = len(set(self.segmenter.tokens(query_text))) - len(tids) if term_cap is None else 0
        n_alive = self._lex.n_alive
        idf_all = idf_total + max(0, unseen) * math.log(1.0 + (n_alive + 0.5) / 0.5)
        held_by = self._lex.presence(tids, np.asarray(slots, dtype=np.int64))
        for row, slot in enumerate(slots):
            doc_id = self._slot_of.id_of(slot)
            assert doc_id is not None
            relevance = float(fused[slot])
            has_vec = dense is not None and bool(self._has_vec[slot])
            lex_z = float(lex_part[slot]) / w if has_vec and w > 0 else float(lex_part[slot])
            dense_z = float(dense_part[slot]) / (1.0 - w) if has_vec and w < 1 else 0.0
            present = [t for t, h in zip(tids, held_by[row].tolist(), strict=True) if h]
            held = sum(idf[t] for t in present)
            share = held / idf_total if idf_total > 0 else 0.0
            calibrated = self.calibrated_relevance(
                dense_z if has_vec else None, lex_z, share, verbatim=held / idf_all if idf_all > 0 else 0.0
            )
            reasons: list[Reason] = []
            matched = self._matched_terms(tids, slot, present, informative, idf)
            if matched:
                reasons.append(
                    Reason(
                        "terms", float(lex_part[slot]), {"terms": matched, "bm25": round(float(lex[slot]), 4)}
                    )
                )
            dense_score: float | None = None
            if dense is not None and self._has_vec[slot]:
                dense_score = float(dense[slot])
                reasons.append(
                    Reason("semantic", float(dense_part[slot]), {"similarity": round(dense_score, 4)})
                )
            feature = 0.0
            score = relevance
            if source is not None:
                doc = self._docs.get(slot)
                assert doc is not None
                feature, freasons = feature_reasons(source, profile_of(doc), cfg.feature_weights)
                reasons.extend(replace(r, weight=r.weight * cfg.feature_weight) for r in freasons)
                span = top_fused - floor_fused
                rel01 = (relevance - floor_fused) / span if span > 1e-9 else 1.0
                score = (1 - cfg.feature_weight) * rel01 + cfg.feature_weight * feature
            hits.append(
                Hit(
                    id=doc_id,
                    score=score,
                    lexical_score=float(lex[slot]),
                    dense_score=dense_score,
                    feature_score=feature,
                    matched_terms=matched,
                    reasons=reasons,
                    kind=self._kind_names[int(self._kinds[slot])],
                    relevance=calibrated,
                    tier=self.tier(calibrated),
                )
            )
        if source is not None:
            hits.sort(key=lambda h: -h.score)
        hits = hits[:k]
        for i, h in enumerate(hits, start=1):
            h.rank = i
        return hits, tids

    def _informative(self, tid: int) -> bool:
        """Whether a term may be named in a reason: not a generic word of technical writing
        (``REASON_STOPWORDS``) and not common across the catalogue (docs/adr/0020-calibrated-matching.md)."""
        if self._lex.terms[tid] in REASON_STOPWORDS:
            return False
        df = self._lex.df(tid)
        cfg = self.config
        return df < cfg.reason_common_min_df or df <= cfg.reason_max_df_ratio * self._lex.n_alive

    def calibrated_relevance(
        self, dense_z: float | None, lex_z: float, share: float, verbatim: float | None = None
    ) -> float:
        """The calibrated estimate that a hit is relevant (``Hit.relevance``), from the z-score of its
        cosine (``None``: the hit has no vector yet), the z-score of its BM25 score and the idf-weighted
        share of the query's terms it contains; the logistic models are ``config.calibration`` and
        ``config.calibration_lexical`` (docs/adr/0020-calibrated-matching.md).  ``verbatim`` (default:
        ``share``) is the share over every word of the query, known to the catalogue or not: from
        ``config.verbatim_share`` on, the hit is at least 中."""
        if dense_z is None:
            bias, *weights = self.config.calibration_lexical
            features: tuple[float, ...] = (lex_z, share)
        else:
            bias, *weights = self.config.calibration
            features = (dense_z, lex_z, share)
        x = bias + sum(wt * f for wt, f in zip(weights, features, strict=False))
        p = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))
        if (share if verbatim is None else verbatim) >= self.config.verbatim_share:
            p = max(p, self.config.tier_medium)
        return p

    def tier(self, relevance: float) -> str:
        """``"strong"``, ``"medium"`` or ``"weak"`` for a calibrated relevance."""
        if relevance >= self.config.tier_strong:
            return "strong"
        if relevance >= self.config.tier_medium:
            return "medium"
        return "weak"

    def _matched_terms(
        self,
        tids: list[int],
        slot: int,
        present: list[int] | None = None,
        informative: set[int] | None = None,
        idf: dict[int, float] | None = None,
    ) -> list[str]:
        """The informative query terms ``slot`` holds, as named in a reason (``informative`` and ``idf``:
        the query terms' :meth:`_informative` and idf, computed once per query)."""
        if present is None:
            present = self._lex.doc_has(slot, tids)
        present = (
            [t for t in present if self._informative(t)]
            if informative is None
            else [t for t in present if t in informative]
        )
        if not present:
            return []
        terms = sorted((self._lex.terms[t] for t in present), key=lambda t: (-len(t), t))
        chosen: list[str] = []
        for t in terms:
            if any(t in c for c in chosen):
                continue
            chosen.append(t)
        multi = [t for t in chosen if len(t) > 1]
        chosen = multi or chosen
        by_idf = sorted(chosen, key=lambda t: -self._lex.idf(self._lex.vocab[t]))
        return by_idf[: self.config.max_matched_terms]

    # ================================================================== public reads
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        kinds: Iterable[str] | None = None,
        allowed: Allowed = None,
        context: QueryContext | None = None,
        floor: bool = True,
    ) -> list[Hit]:
        """Free-text search.  ``allowed`` (a set of ids or a predicate) filters before the top-k cut.

        With ``floor`` (the default) and a calibrated engine (:attr:`calibrated`), hits whose relevance is
        under ``config.relevance_floor`` are dropped."""
        if not self.segmenter.tokens(query):
            return []  # nothing but stop-words and punctuation
        kinds_t = tuple(kinds) if kinds is not None else None
        qvec = self._query_vector(query, None, None) if self._n_vec else None
        with self._lock:
            hits, _ = self._rank(
                query_text=query,
                qvec=qvec,
                k=k,
                kinds=kinds_t,
                allowed=allowed,
                source=profile_of(context) if context is not None else None,
                exclude=None,
                term_cap=None,
            )
        if floor and self.calibrated:
            hits = [h for h in hits if h.relevance >= self.config.relevance_floor]
        return hits

    @property
    def calibrated(self) -> bool:
        """Whether ``Hit.relevance`` is calibrated: the dense leg is on and its embedder is the one the
        calibration was fitted for (``config.calibrated_for``); only then does the floor drop hits."""
        cfg = self.config
        return cfg.use_dense and self.embedder_name.startswith(cfg.calibrated_for)

    def _source(self, doc_id_or_document: str | Document) -> tuple[Document, int | None]:
        if isinstance(doc_id_or_document, Document):
            slot = self._slot_of.get(doc_id_or_document.id)
            if slot is not None and self._docs.get(slot) != doc_id_or_document:
                slot = None  # an edited copy: do not reuse the stored vector
            return doc_id_or_document, slot
        slot = self._slot_of.get(doc_id_or_document)
        if slot is None:
            raise KeyError(doc_id_or_document)
        doc = self._docs.get(slot)
        assert doc is not None
        return doc, slot

    def recommend(
        self,
        doc_id_or_document: str | Document,
        *,
        k: int = 10,
        kinds: Iterable[str] | None = None,
        allowed: Allowed = None,
    ) -> list[Hit]:
        """Counterparts for a document (by id or given): text relevance reranked by structured features.

        ``kinds`` defaults to ``config.counterparts(source.kind)``; the source itself is never returned.
        """
        with self._lock:
            source, slot = self._source(doc_id_or_document)
            kinds_t = tuple(kinds) if kinds is not None else self.config.counterparts(source.kind)
            exclude = self._slot_of.get(source.id)
            qvec = self._query_vector(None, slot, None if slot is not None else source)
            hits, _ = self._rank(
                query_text=f"{source.title}\n{source.text}",
                qvec=qvec,
                k=k,
                kinds=kinds_t,
                allowed=allowed,
                source=profile_of(source),
                exclude=exclude,
                term_cap=64,
            )
            return hits

    def explain(self, query_or_doc: str | Document, doc_id: str) -> Explanation:
        """Score breakdown of ``doc_id`` for a query string or a source document (no filters applied)."""
        with self._lock:
            slot = self._slot_of.get(doc_id)
            if isinstance(query_or_doc, Document):
                source, src_slot = self._source(query_or_doc)
                text = f"{source.title}\n{source.text}"
                qvec = self._query_vector(None, src_slot, None if src_slot is not None else source)
                profile: Profile | None = profile_of(source)
                cap: int | None = 64
                exclude = self._slot_of.get(source.id)
            else:
                text, profile, cap, exclude = query_or_doc, None, None, None
                qvec = self._query_vector(query_or_doc, None, None)
            tids = self._query_terms(text, cap)
            contributions: dict[str, float] = {}
            if slot is not None:
                for tid, value in self._lex.contributions(tids, slot).items():
                    contributions[self._lex.terms[tid]] = round(value, 4)
            n_all = len(self)
            hits, _ = self._rank(
                query_text=text,
                qvec=qvec,
                k=n_all,
                kinds=None,
                allowed=None,
                source=profile,
                exclude=exclude,
                term_cap=cap,
            )
            hit = next((h for h in hits if h.id == doc_id), None)
            return Explanation(
                doc_id=doc_id,
                query=text,
                query_terms=[self._lex.terms[t] for t in tids],
                term_contributions=contributions,
                hit=hit,
                rank=hit.rank if hit is not None else None,
                candidates=len(hits),
            )

    def term_document_count(self, term: str) -> int:
        """How many documents hold ``term`` (an index term; normalised like the index)."""
        from .text import normalize

        with self._lock:
            tid = self._lex.vocab.get(normalize(term))
            return 0 if tid is None else self._lex.df(tid)

    @staticmethod
    def highlight(text: str, terms: Iterable[str]) -> list[tuple[str, bool]]:
        """``(segment, is_match)`` pieces of ``text`` marking ``terms`` (see ``text.highlight``)."""
        return highlight(text, terms)

    def stats(self) -> dict[str, int]:
        """Sizes for monitoring: documents, vectors, slots, vocabulary, delta size, merges, version."""
        with self._lock:
            return {
                "documents": len(self._slot_of),
                "vectors": int(self._n_vec),
                "slots": len(self._docs),
                "vocabulary": len(self._lex.terms),
                "delta": self._lex.delta_size,
                "merges": self._lex.merges,
                "index_version": self.index_version,
            }
