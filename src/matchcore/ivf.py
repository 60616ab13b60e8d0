"""An inverted file over the coarse vectors: the dense leg's candidates without scanning every vector.

The coarse copy of the vectors (their projection on the leading principal axes, see
:class:`matchcore.engine.Engine`) is partitioned into cells by k-means.  A query scores the cells'
centroids, scans the coarse rows of the best cells in full (until ``probe`` of the vectors are read)
and gives every other vector its cell's centroid score as its coarse estimate; the engine then
re-scores its best candidates exactly, as before (docs/adr/0030-engine-at-city-scale.md, fifth pass).

Updates are incremental: a vector set after the build is assigned to its nearest centroid and kept in
a short list of recent slots that every query scans in full; the cell lists are re-sorted once that
list is long, and the centroids are trained again when the engine refits its coarse projection or once
as many vectors have been assigned since the build as the build saw.  Nothing here is written by a
query, so forked workers share it copy-on-write.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

__all__ = ["CellIndex", "kmeans"]

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

_ASSIGN_BLOCK = 32_768  # rows assigned to their nearest centroid at a time


def _nearest(rows: FloatArray, centroids: FloatArray, half_norms: FloatArray) -> npt.NDArray[np.int32]:
    """Index of the nearest centroid (Euclidean) of every row, ``rows`` taken in blocks."""
    out = np.empty(len(rows), dtype=np.int32)
    for start in range(0, len(rows), _ASSIGN_BLOCK):
        block = rows[start : start + _ASSIGN_BLOCK]
        # argmin |x - c|^2 = argmax x.c - |c|^2 / 2
        out[start : start + len(block)] = np.argmax(block @ centroids.T - half_norms, axis=1)
    return out


def kmeans(rows: FloatArray, cells: int, iterations: int, seed: int) -> FloatArray:
    """Lloyd's k-means of ``rows`` into ``cells`` centroids (an empty cell takes a random row)."""
    rng = np.random.default_rng(seed)
    cells = max(1, min(cells, len(rows)))
    centroids = np.ascontiguousarray(rows[rng.choice(len(rows), size=cells, replace=False)], dtype=np.float32)
    for _ in range(iterations):
        half = 0.5 * np.einsum("ij,ij->i", centroids, centroids)
        assign = _nearest(rows, centroids, half)
        counts = np.bincount(assign, minlength=cells)
        sums = np.zeros((cells, rows.shape[1]), dtype=np.float64)
        np.add.at(sums, assign, rows)
        empty = counts == 0
        centroids = (sums / np.maximum(counts, 1)[:, None]).astype(np.float32)
        if empty.any():
            centroids[empty] = rows[rng.choice(len(rows), size=int(empty.sum()), replace=False)]
    return np.ascontiguousarray(centroids)


class CellIndex:
    """Cells of the coarse vectors (see the module docstring).

    ``cell[slot]`` is a slot's cell (``-1``: no vector); ``order`` lists the slots assigned at the last
    sort grouped by cell (cell ``c`` holds ``order[offsets[c]:offsets[c + 1]]``); ``recent`` the slots
    assigned since, scanned by every query."""

    def __init__(self, centroids: FloatArray, capacity: int) -> None:
        self.centroids = np.ascontiguousarray(centroids, dtype=np.float32)
        self._half = (0.5 * np.einsum("ij,ij->i", self.centroids, self.centroids)).astype(np.float32)
        self.cell = np.full(capacity, -1, dtype=np.int32)
        self.order = np.zeros(0, dtype=np.int32)
        self.offsets = np.zeros(len(self.centroids) + 1, dtype=np.int64)
        self.recent: list[int] = []
        self.trained_on = 0  # vectors assigned when the centroids were trained
        self.assigned_since = 0  # vectors assigned since

    @property
    def cells(self) -> int:
        return len(self.centroids)

    @classmethod
    def build(
        cls,
        coarse: FloatArray,
        slots: IntArray,
        capacity: int,
        cells: int,
        sample: int,
        iterations: int,
        seed: int = 0,
    ) -> CellIndex:
        """Train the centroids on up to ``sample`` of the coarse rows of ``slots`` and assign them all."""
        rng = np.random.default_rng(seed)
        train = slots if len(slots) <= sample else np.sort(rng.choice(slots, size=sample, replace=False))
        index = cls(kmeans(np.asarray(coarse[train], dtype=np.float32), cells, iterations, seed), capacity)
        for start in range(0, len(slots), 262_144):
            part = slots[start : start + 262_144]
            index.cell[part] = _nearest(np.asarray(coarse[part]), index.centroids, index._half)
        index.trained_on = len(slots)
        index.sort()
        return index

    @staticmethod
    def cells_for(n_vectors: int, per_cell: int) -> int:
        """How many cells for ``n_vectors`` vectors: about ``per_cell`` each, at most 4,096."""
        return int(max(16, min(4096, round(n_vectors / max(1, per_cell)))))

    def grow(self, capacity: int) -> None:
        if capacity > len(self.cell):
            cell = np.full(capacity, -1, dtype=np.int32)
            cell[: len(self.cell)] = self.cell
            self.cell = cell

    def sort(self) -> None:
        """Re-group every assigned slot by cell (the recent list is emptied)."""
        assigned = np.flatnonzero(self.cell >= 0)
        by_cell = assigned[np.argsort(self.cell[assigned], kind="stable")]
        self.order = by_cell.astype(np.int32)
        counts = np.bincount(self.cell[assigned], minlength=self.cells)
        self.offsets = np.zeros(self.cells + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])
        self.recent = []

    def assign(self, slots: IntArray, coarse_rows: FloatArray) -> None:
        """Vectors set (or replaced) in ``slots``: their nearest cells; scanned by every query until the
        next :meth:`sort` (made once the recent list exceeds max(4,096, 1/16 of the vectors))."""
        if len(slots) == 0:
            return
        self.cell[slots] = _nearest(np.asarray(coarse_rows, dtype=np.float32), self.centroids, self._half)
        self.recent.extend(int(s) for s in slots)
        self.assigned_since += len(slots)
        if len(self.recent) > max(4096, len(self.order) // 16):
            self.sort()

    def drop(self, slot: int) -> None:
        """A slot lost its vector: no cell (its entry in ``order``, if any, is masked by the engine)."""
        self.cell[slot] = -1

    def stale(self) -> bool:
        """Whether the centroids should be trained again: as many vectors assigned since as trained on."""
        return self.assigned_since > max(1, self.trained_on)

    def estimates(self, qc: FloatArray, n: int, probe: float, min_scan: int) -> tuple[FloatArray, IntArray]:
        """The coarse estimate of every slot below ``n`` for the projected query ``qc``: its cell's
        centroid score, and, for the slots it returns (the best cells' members until ``probe`` of the
        assigned slots, at least ``min_scan``, and the recent slots), nothing yet: the caller scores
        those rows itself.  Slots without a cell get 0."""
        cscore = self.centroids @ qc
        table = np.zeros(self.cells + 1, dtype=np.float32)  # entry -1: no cell
        table[:-1] = cscore
        est = table[self.cell[:n]]
        sizes = np.diff(self.offsets)
        want = max(min_scan, math.ceil(probe * len(self.order)))
        best = np.argsort(-cscore, kind="stable")
        upto = int(np.searchsorted(np.cumsum(sizes[best]), want)) + 1
        chosen = best[:upto]
        parts = [self.order[self.offsets[c] : self.offsets[c + 1]] for c in chosen.tolist()]
        if self.recent:
            parts.append(np.asarray(self.recent, dtype=np.int32))
        scan = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
        scan = scan[scan < n]
        return est, scan
