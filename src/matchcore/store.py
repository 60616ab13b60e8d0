"""Compact storage for the engine at city scale (docs/adr/0030-engine-at-city-scale.md).

* :class:`FileRows`: the exact vectors in an unlinked temporary file, read row by row with ``pread``:
  a query reads only its candidates' rows, the operating system keeps the file in its page cache
  (evictable, shared by every process, e.g. forked workers, and counted in none's resident memory);
  rows written later stay in a per-process overlay.
* :class:`IdMap`: document ids and their slots without a Python object per listing.
* :class:`DocStore`: the catalogue's :class:`~matchcore.types.Document` objects kept as zlib-compressed
  blocks of pickled field tuples instead of one Python object graph per listing (a listing of the
  benchmark costs about 800 bytes as objects); ids and kinds stay at hand in the engine.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import io
import os
import pickle
import tempfile
import threading
import zlib
from array import array
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from .types import Document

__all__ = ["DocStore", "FileRows", "IdMap", "no_huge_pages", "release_free_memory", "repack_in_place"]

_BLOCK_BYTES = 64 << 20


_FIELDS = (
    "id",
    "kind",
    "title",
    "text",
    "fields",
    "trl",
    "budget_min_fen",
    "budget_max_fen",
    "price_fen",
    "park",
    "cluster",
    "tags",
)


def _pack(doc: Document) -> tuple[Any, ...]:
    return tuple(getattr(doc, f) for f in _FIELDS)


def _unpack(row: tuple[Any, ...]) -> Document:
    return Document(**dict(zip(_FIELDS, row, strict=True)))


class DocStore:
    """Documents by slot (append-only slots, as the engine hands them out), compressed in blocks of
    ``block`` consecutive slots; the open (last) block stays uncompressed.  A removed slot holds ``None``.

    ``get`` decompresses one block (a few hundred microseconds for 32 listings) and remembers the last
    few blocks it read."""

    def __init__(self, block: int = 32, level: int = 6) -> None:
        self.block = block
        self.level = level
        self._sealed: list[bytes] = []  # blocks 0 .. len-1, each zlib(marshal(list of rows or None))
        self._open: list[tuple[Any, ...] | None] = []
        self._cache: dict[int, list[tuple[Any, ...] | None]] = {}
        self._dead_sealed: dict[int, set[int]] = {}  # removals in sealed blocks, applied on read
        self._lock = threading.Lock()
        self._n = 0

    def __len__(self) -> int:
        return self._n

    @property
    def nbytes(self) -> int:
        """Bytes held by the sealed blocks."""
        return sum(len(b) for b in self._sealed)

    def append(self, doc: Document | None) -> int:
        """Store ``doc`` in the next slot and return the slot."""
        slot = self._n
        self._open.append(_pack(doc) if doc is not None else None)
        self._n += 1
        if len(self._open) >= self.block:
            self._sealed.append(zlib.compress(pickle.dumps(self._open, protocol=5), self.level))
            self._open = []
        return slot

    def _block(self, b: int) -> list[tuple[Any, ...] | None]:
        if b == len(self._sealed):
            return self._open
        with self._lock:
            rows = self._cache.get(b)
            if rows is None:
                # blocks this process pickled itself, never data from outside
                rows = pickle.loads(zlib.decompress(self._sealed[b]))  # noqa: S301
                if len(self._cache) >= 64:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[b] = rows
            return rows

    def get(self, slot: int) -> Document | None:
        """The document in ``slot`` (``None`` when removed or out of range)."""
        if slot < 0 or slot >= self._n:
            return None
        b, i = divmod(slot, self.block)
        if i in self._dead_sealed.get(b, ()):
            return None
        row = self._block(b)[i]
        return _unpack(row) if row is not None else None

    def __getitem__(self, slot: int) -> Document | None:
        return self.get(slot)

    def remove(self, slot: int) -> None:
        """Forget the document in ``slot``."""
        if slot < 0 or slot >= self._n:
            return
        b, i = divmod(slot, self.block)
        if b == len(self._sealed):
            self._open[i] = None
        else:
            self._dead_sealed.setdefault(b, set()).add(i)

    def compacted(self, slots: npt.NDArray[np.int64]) -> DocStore:
        """A new store holding the documents of ``slots`` in that order (slot i of the new store holds
        the document of ``slots[i]``)."""
        out = DocStore(self.block, self.level)
        for s in slots.tolist():
            out.append(self.get(int(s)))
        return out


class IdMap:
    """Document id <-> slot for the engine's append-only slots, without a Python object per listing.

    Ids are kept as UTF-8 in one ``bytearray`` with an offset per slot; lookups go through a sorted
    array of the ids' hashes (with their slots) for the bulk of the catalogue and a dict for the ids
    added since it was last rebuilt (:meth:`fold`).  A dict of a million ids costs about 800 MB once
    the strings, the slot integers and the allocator's fragmentation are counted; this costs about 30
    bytes per id plus the id's length.  Hashes are Python's own (per process, inherited by forked
    workers, never stored)."""

    def __init__(self) -> None:
        self._blob = bytearray()
        self._off = array("q", [0])
        self._alive = bytearray()
        self._n_alive = 0
        self._recent: dict[str, int] = {}
        self._sorted: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] = (
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
        )

    def __len__(self) -> int:
        return self._n_alive

    @property
    def n_slots(self) -> int:
        """Slots handed out so far (alive or not)."""
        return len(self._alive)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (not counting the recent ids' dict)."""
        h, s = self._sorted
        return len(self._blob) + self._off.itemsize * len(self._off) + len(self._alive) + h.nbytes + s.nbytes

    def append(self, doc_id: str) -> int:
        """A new slot for ``doc_id`` (the caller removes an older slot of the same id first)."""
        slot = len(self._alive)
        self._blob += doc_id.encode("utf-8")
        self._off.append(len(self._blob))
        self._alive.append(1)
        self._n_alive += 1
        self._recent[doc_id] = slot
        if len(self._recent) > max(4096, len(self._alive) // 16):
            self.fold()
        return slot

    def id_of(self, slot: int) -> str | None:
        """The id in ``slot`` (``None`` when removed)."""
        if slot < 0 or slot >= len(self._alive) or not self._alive[slot]:
            return None
        return self._blob[self._off[slot] : self._off[slot + 1]].decode("utf-8")

    def __getitem__(self, slot: int) -> str | None:
        return self.id_of(slot)

    def remove_slot(self, slot: int) -> None:
        """Forget the id in ``slot``."""
        doc_id = self.id_of(slot)
        if doc_id is None:
            return
        self._alive[slot] = 0
        self._n_alive -= 1
        if self._recent.get(doc_id) == slot:
            del self._recent[doc_id]

    def get(self, doc_id: str, default: int | None = None) -> int | None:
        """The alive slot of ``doc_id``."""
        slot = self._recent.get(doc_id)
        if slot is not None:
            return slot
        h, s = self._sorted
        if len(h):
            key = hash(doc_id)
            i = int(np.searchsorted(h, key))
            while i < len(h) and int(h[i]) == key:
                cand = int(s[i])
                if self._alive[cand] and self.id_of(cand) == doc_id:
                    return cand
                i += 1
        return default

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.get(doc_id) is not None

    def slots(self) -> npt.NDArray[np.int64]:
        """The alive slots, ascending."""
        return np.flatnonzero(np.frombuffer(bytes(self._alive), dtype=np.uint8)).astype(np.int64)

    def __iter__(self) -> Iterator[str]:
        for slot in self.slots().tolist():
            doc_id = self.id_of(slot)
            if doc_id is not None:
                yield doc_id

    def items(self) -> Iterator[tuple[str, int]]:
        """(id, slot) of every alive slot, by slot."""
        for slot in self.slots().tolist():
            doc_id = self.id_of(slot)
            if doc_id is not None:
                yield doc_id, slot

    def fold(self) -> None:
        """Move the recent ids into the sorted hash arrays (dead slots are dropped from them)."""
        if not self._recent:
            return
        h, s = self._sorted
        keep = np.frombuffer(bytes(self._alive), dtype=np.uint8)[s] > 0 if len(s) else np.zeros(0, dtype=bool)
        new_h = np.fromiter((hash(k) for k in self._recent), dtype=np.int64, count=len(self._recent))
        new_s = np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent))
        all_h = np.concatenate([h[keep], new_h])
        all_s = np.concatenate([s[keep], new_s])
        order = np.argsort(all_h, kind="stable")
        self._sorted = (all_h[order], all_s[order])
        self._recent = {}

    def compacted(self, slots: npt.NDArray[np.int64]) -> IdMap:
        """A new map holding the ids of ``slots`` in that order."""
        out = IdMap()
        for s in slots.tolist():
            doc_id = self.id_of(int(s))
            if doc_id is not None:
                out.append(doc_id)
        out.fold()
        return out


def release_free_memory() -> bool:
    """Give the C allocator's free memory back to the system (glibc ``malloc_trim``), best effort.

    After a large build the heap holds freed temporaries; a process that then forks workers would
    share those pages with them and every worker that reuses one gets a private copy of it."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


def no_huge_pages() -> bool:
    """Stop numpy from asking for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for its large
    arrays, in a process that builds an index and then forks workers; returns whether it was on.

    numpy marks every large allocation's range for huge pages, also where glibc placed it inside its
    own heap; once the array is freed the range stays marked.  A forked worker whose small allocations
    land there gets a fresh 2 MiB page for each first touch instead of a 4 KiB one: at 1M listings one
    worker of the bench grew by 250 MB of huge pages it had not inherited
    (docs/adr/0030-engine-at-city-scale.md, fourth pass)."""
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1
        try:
            setter = getattr(importlib.import_module(name), "_set_madvise_hugepage", None)
        except ImportError:  # pragma: no cover - the other numpy
            continue
        if setter is not None:
            return bool(setter(False))
    return False  # pragma: no cover


# the objects repack_in_place copies: Python's own small objects and the engine's containers of them
_COPIED: frozenset[type] = frozenset({str, int, float, bool, type(None), tuple, list, dict, set, frozenset})


def repack_in_place(obj: Any, copied: frozenset[type] = frozenset()) -> None:
    """Re-create the small Python objects reachable from ``obj``'s attributes in a heap without the
    build's leftovers, so the interpreter's allocator can give the build's memory back.

    CPython's small-object allocator (pymalloc) returns a 1 MiB arena to the system only when every
    object in it is gone; a large build leaves its long-lived small objects (the vocabulary's terms and
    their ids) spread over hundreds of arenas among its freed temporaries, and they pin them all
    (docs/adr/0030-engine-at-city-scale.md, section 9).  Here the attributes are pickled into one
    buffer, **dropped** (so the arenas that held only them and freed temporaries are returned), and
    loaded back: the copies fill the remaining arenas' free space first.  Instances of the types in
    ``copied`` and of Python's own containers and scalars are copied; every other object (numpy arrays,
    bytes, files, locks, a model) is the same object afterwards, passed by reference, not copied.
    ``obj``'s identity is kept; no other reference to a copied object may exist (it would keep the old
    one alive and see no update)."""
    kinds = _COPIED | copied
    kept: list[Any] = []
    index: dict[int, int] = {}

    class _Out(pickle.Pickler):
        def persistent_id(self, o: Any) -> int | None:
            if type(o) in kinds:
                return None
            i = index.get(id(o))
            if i is None:
                i = index[id(o)] = len(kept)
                kept.append(o)
            return i

    class _In(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            return kept[pid]

    buf = io.BytesIO()
    _Out(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj.__dict__)
    index.clear()
    obj.__dict__.clear()
    gc.collect()
    buf.seek(0)
    state = _In(buf).load()  # our own buffer, written just above
    buf.close()
    kept.clear()
    obj.__dict__.update(state)


class FileRows:
    """The rows of a matrix in an unlinked temporary file, **read with ``pread``, never mapped**: a query
    reads its candidates' rows into its own buffers, so the file's pages stay in the operating system's
    page cache (shared, evictable) and count in no process's resident memory or PSS.  (A memory map was
    tried first: the kernel maps the cached pages around every faulting one, and at 1M listings each
    worker ended up with most of the 1.5 GB file in its PSS.)

    Rows written after the file was made (a new vector, a worker catching up after it forked: the file
    is shared with forked processes) go to a per-process overlay; :attr:`private_rows` tells the owner
    when to write a new file.  Supports ``len``, ``shape``, ``dtype``, and reading by index, slice or
    index array, writing by index or index array, like the ndarray it replaces."""

    def __init__(self, arr: Any, rows: int | None = None, directory: str | None = None) -> None:
        total = max(len(arr), rows or 0)
        self.shape: tuple[int, ...] = (total, *arr.shape[1:])
        self.dtype = np.dtype(arr.dtype)
        self._width = int(np.prod(self.shape[1:], dtype=np.int64))
        self._row_bytes = self.dtype.itemsize * self._width
        self._over: dict[int, npt.NDArray[Any]] = {}
        fd, path = tempfile.mkstemp(prefix="matchcore-", suffix=".bin", dir=directory)
        try:
            os.unlink(path)
            step = max(1, _BLOCK_BYTES // max(1, self._row_bytes))
            offset = 0
            for start in range(0, len(arr), step):
                block = np.ascontiguousarray(arr[start : start + step], dtype=self.dtype)
                view = memoryview(block).cast("B")  # type: ignore[arg-type]
                while len(view):
                    done = os.pwrite(fd, view, offset)
                    offset += done
                    view = view[done:]
            os.ftruncate(fd, total * self._row_bytes)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def private_rows(self) -> int:
        """Rows written since the file was made (held in this process's overlay)."""
        return len(self._over)

    def _read_into(self, out: npt.NDArray[Any], start: int) -> None:
        view = memoryview(out).cast("B")  # type: ignore[arg-type]
        offset = start * self._row_bytes
        while len(view):
            got = os.preadv(self._fd, [view], offset)
            if got <= 0:
                raise OSError("short read from the vector file")
            offset += got
            view = view[got:]

    def _rows(self, idx: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
        out = np.empty((len(idx), *self.shape[1:]), dtype=self.dtype)
        if len(idx) == 0:
            return out
        order = np.argsort(idx, kind="stable")
        srt = idx[order]
        # runs of consecutive rows are read at once
        breaks = np.flatnonzero(np.diff(srt) != 1) + 1
        starts = np.concatenate([[0], breaks])
        stops = np.concatenate([breaks, [len(srt)]])
        for a, z in zip(starts.tolist(), stops.tolist(), strict=True):
            if z - a == 1 or bool(np.all(order[a:z] == np.arange(order[a], order[a] + z - a))):
                # the rows land in consecutive places of ``out``: read straight into them
                self._read_into(out[int(order[a]) : int(order[a]) + z - a], int(srt[a]))
            else:
                buf = np.empty((z - a, *self.shape[1:]), dtype=self.dtype)
                self._read_into(buf, int(srt[a]))
                out[order[a:z]] = buf
        if self._over:
            for pos, slot in enumerate(idx.tolist()):
                row = self._over.get(slot)
                if row is not None:
                    out[pos] = row
        return out

    def __getitem__(self, key: Any) -> npt.NDArray[Any]:
        n = self.shape[0]
        if isinstance(key, int | np.integer):
            k = int(key) + (n if int(key) < 0 else 0)
            if not 0 <= k < n:
                raise IndexError(key)
            row: npt.NDArray[Any] = self._rows(np.array([k], dtype=np.int64))[0]
            return row
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            return self._rows(np.arange(start, stop, step, dtype=np.int64))
        idx = np.asarray(key)
        if idx.dtype == np.bool_:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64)
        if len(idx) and (int(idx.min()) < 0 or int(idx.max()) >= n):
            raise IndexError("row index out of range")
        return self._rows(idx)

    def __setitem__(self, key: Any, value: Any) -> None:
        vals = np.asarray(value, dtype=self.dtype)
        if isinstance(key, int | np.integer):
            self._over[int(key)] = np.array(vals.reshape(self.shape[1:]), dtype=self.dtype)
            return
        idx = np.asarray(key)
        if idx.dtype == np.bool_:
            idx = np.flatnonzero(idx)
        vals = np.broadcast_to(vals, (len(idx), *self.shape[1:]))
        for slot, row in zip(idx.tolist(), vals, strict=True):
            self._over[int(slot)] = np.array(row, dtype=self.dtype)
