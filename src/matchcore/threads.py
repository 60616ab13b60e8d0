"""Keep numpy's BLAS from fighting the embedding model for the CPU.

On a small machine, OpenBLAS worker threads (used by the exact vector scoring, a memory-bound
matrix-vector product that gains little from threads) and the embedding engine's OpenMP threads spin
while waiting and starve each other: on the 2-core reference machine a query encoding went from 11 ms to
over 300 ms.  Limiting OpenBLAS to one thread removes the contention (see README.md, "Latency").

Environment variables such as ``OPENBLAS_NUM_THREADS`` only work before numpy is imported, which a
library cannot guarantee, so this module calls OpenBLAS's own ``*_set_num_threads`` through ctypes on
the already-loaded library (what ``threadpoolctl`` does).  It is best effort and never raises.

With BLAS on one thread, the exact vector scan (100k x 384 float32, 150 MB read per query) runs on one
core.  :func:`parallel_matvec` splits it by rows over a few Python threads instead: numpy releases the
GIL inside the product, the threads block (they do not spin) while they wait, and on the 2-core
reference machine the scan drops from about 12.7 to 6.7 ms (README.md, "Latency").
"""

from __future__ import annotations

import ctypes
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

__all__ = ["limit_blas_threads", "parallel_matvec"]

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


_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0
_pool_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """The shared scan pool; a forked child (a gunicorn worker) gets its own, threads do not survive fork."""
    global _pool, _pool_size, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_size < workers or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matchcore-scan")
            _pool_size, _pool_pid = workers, os.getpid()
        return _pool


def parallel_matvec(
    matrix: npt.NDArray[np.float32], vector: npt.NDArray[np.float32], threads: int
) -> npt.NDArray[np.float32]:
    """``matrix @ vector`` computed in ``threads`` row blocks at once (the caller's thread takes one)."""
    n = len(matrix)
    if threads <= 1 or n < 2 * threads:
        return np.asarray(matrix @ vector, dtype=np.float32)
    out = np.empty(n, dtype=np.float32)
    bounds = np.linspace(0, n, threads + 1).astype(int)
    pool = _executor(threads - 1)
    futures = [
        pool.submit(np.matmul, matrix[bounds[i] : bounds[i + 1]], vector, out=out[bounds[i] : bounds[i + 1]])
        for i in range(1, threads)
    ]
    np.matmul(matrix[bounds[0] : bounds[1]], vector, out=out[bounds[0] : bounds[1]])
    for f in futures:
        f.result()
    return out
