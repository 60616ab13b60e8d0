"""Keep numpy's BLAS from fighting the embedding model for the CPU.

On a small machine, OpenBLAS worker threads (used by the exact vector scoring, a memory-bound
matrix-vector product that gains little from threads) and the embedding engine's OpenMP threads spin
while waiting and starve each other: on the 2-core reference machine a query encoding went from 11 ms to
over 300 ms.  Limiting OpenBLAS to one thread removes the contention (see README.md, "Latency").

Environment variables such as ``OPENBLAS_NUM_THREADS`` only work before numpy is imported, which a
library cannot guarantee, so this module calls OpenBLAS's own ``*_set_num_threads`` through ctypes on
the already-loaded library (what ``threadpoolctl`` does).  It is best effort and never raises.
"""

from __future__ import annotations

import ctypes
import threading

__all__ = ["limit_blas_threads"]

_SYMBOLS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)
_lock = threading.Lock()
_applied: int | None = None


def _loaded_blas_paths() -> list[str]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                path = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in path.lower() and ".so" in path and path not in paths:
                    paths.append(path)
    except OSError:
        return []
    return paths


def limit_blas_threads(n: int = 1) -> bool:
    """Set the number of OpenBLAS threads of the loaded numpy to ``n``; return whether it worked."""
    global _applied
    with _lock:
        if _applied == n:
            return True
        import numpy  # noqa: F401  - make sure the BLAS library is loaded

        done = False
        for path in _loaded_blas_paths():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for name in _SYMBOLS:
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.argtypes = [ctypes.c_int]
                    fn.restype = None
                    fn(int(n))
                    done = True
                    break
        if done:
            _applied = n
        return done
