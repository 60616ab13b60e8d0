"""Compact storage for the engine at city scale (docs/adr/0030-engine-at-city-scale.md).

* :func:`file_backed`: the exact vectors in an unlinked temporary file, mapped privately (copy on
  write): a query reads only its candidates' rows, the operating system keeps the rest in its page cache
  (evictable, shared by every process that maps the file, e.g. forked workers), and a process that
  writes a row gets a private copy of that page only.
* :class:`DocStore`: the catalogue's :class:`~matchcore.types.Document` objects kept as zlib-compressed
  blocks of pickled field tuples instead of one Python object graph per listing (a listing of the
  benchmark costs about 800 bytes as objects); ids and kinds stay at hand in the engine.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from .types import Document

__all__ = ["DocStore", "file_backed"]

_BLOCK_BYTES = 64 << 20


def file_backed(
    arr: npt.NDArray[Any], rows: int | None = None, directory: str | None = None
) -> npt.NDArray[Any]:
    """A private memory map (mode ``c``) of a copy of ``arr`` padded with zero rows to ``rows`` rows, in
    a temporary file that is unlinked at once (it lives as long as a mapping of it does).  The copy is
    written through the file, not through the mapping, so this process touches none of its pages."""
    total = max(len(arr), rows or 0)
    row_bytes = arr.dtype.itemsize * int(np.prod(arr.shape[1:], dtype=np.int64))
    if total == 0 or row_bytes == 0:
        return np.zeros((total, *arr.shape[1:]), dtype=arr.dtype)
    fd, path = tempfile.mkstemp(prefix="matchcore-", suffix=".bin", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            step = max(1, _BLOCK_BYTES // row_bytes)
            for start in range(0, len(arr), step):
                fh.write(np.ascontiguousarray(arr[start : start + step]).data)
            fh.truncate(total * row_bytes)
        mapped: npt.NDArray[Any] = np.memmap(path, dtype=arr.dtype, mode="c", shape=(total, *arr.shape[1:]))
    finally:
        os.unlink(path)
    return mapped


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
