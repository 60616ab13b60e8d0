"""Passage vectors shipped with the software for the demo catalogue (issue 14 item 9).

A passage vector depends only on the embedder and the passage text, and the demo data is generated from
a fixed seed: the same texts every time, so the same vectors. They are computed once (``kechuang
demo-vectors --write``) and shipped in ``data/demo-vectors.npz``, keyed by the passage digest the
engine stores beside every vector (embedder name and text). ``compute_vectors`` takes a shipped vector
instead of running the model whenever the digest matches, so ``kechuang demo`` is fully semantic at once
and any other catalogue is unaffected (a changed text has another digest). Float32, as computed: a
shipped vector is the vector the model gives, not an approximation.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

SHIPPED = Path(__file__).resolve().parent / "data" / "demo-vectors.npz"

_lock = threading.Lock()
_loaded: dict[str, dict[str, np.ndarray]] = {}


def shipped_file() -> Path:
    """The shipped file (a setting, ``MATCH_SHIPPED_VECTORS``, may point elsewhere or nowhere)."""
    from django.conf import settings

    return Path(getattr(settings, "MATCH_SHIPPED_VECTORS", SHIPPED) or "/nonexistent")


def shipped_vectors(embedder_name: str, path: Path | None = None) -> dict[str, np.ndarray]:
    """Digest → vector for ``embedder_name`` (empty when nothing is shipped for it)."""
    path = path or shipped_file()
    key = f"{path}:{embedder_name}"
    with _lock:
        if key not in _loaded:
            found: dict[str, np.ndarray] = {}
            if path.exists():
                with np.load(path, allow_pickle=False) as data:
                    if str(data["embedder"]) == embedder_name:
                        found = dict(zip(data["digests"].tolist(), data["vectors"], strict=True))
            _loaded[key] = found
        return _loaded[key]


def write(path: Path, embedder_name: str, rows: list[tuple[str, bytes, int]]) -> int:
    """Write ``(digest, float32 bytes, dim)`` rows as the shipped file; returns how many."""
    rows = sorted(set(rows))
    vectors = np.stack([np.frombuffer(raw, dtype=np.float32, count=dim) for _d, raw, dim in rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        embedder=np.array(embedder_name),
        digests=np.array([digest for digest, _raw, _dim in rows]),
        vectors=vectors.astype(np.float32),
    )
    with _lock:
        _loaded.clear()
    return len(rows)
