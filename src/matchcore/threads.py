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

import contextlib
import ctypes
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt

__all__ = [
    "fork_friendly_openmp",
    "guard_openmp_thread",
    "limit_blas_threads",
    "note_openmp_used",
    "openmp_child_single_threaded",
    "openmp_threads",
    "parallel_matvec",
]

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


# --- OpenMP across fork ---------------------------------------------------------------------------
# The embedding engine runs its matrix products in OpenMP parallel regions (GNU libgomp).  libgomp's
# thread pool does not survive fork(): a child whose parent had started the pool waits forever, on a
# futex and with no CPU, in its first parallel region (measured: `match-bench --workers 2` at 100k
# listings, and a gunicorn worker forked from a master that had encoded a listing; see
# docs/adr/0030-engine-at-city-scale.md).  Two ways out, both applied here:
# - a process that will fork workers calls :func:`fork_friendly_openmp` before it encodes anything: its
#   own parallel regions then run on one thread, so no pool exists to be inherited, and each child gets
#   the configured number of threads back;
# - a child of a parent whose pool did start runs its parallel regions on one thread (they need no pool).

_omp_lock = threading.Lock()
_omp_pool_started = False  # a parallel region of this process ran on more than one thread
_omp_restore: int | None = None  # the thread count a child gets back (set by fork_friendly_openmp)
_omp_env: tuple[bool, str | None] | None = None  # OMP_NUM_THREADS as it was, when we set it before load
_omp_child_threads: int | None = None  # in a forked child: the count every thread of it must use
_gomp: ctypes.CDLL | None = None


def _libgomp() -> ctypes.CDLL | None:
    """The loaded GNU OpenMP runtime, or None when nothing in this process has loaded one yet."""
    global _gomp
    if _gomp is not None:  # a loaded library stays loaded, in forked children too
        return _gomp
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                path = line.rsplit(" ", 1)[-1].strip()
                if "libgomp" in path and ".so" in path:
                    lib = ctypes.CDLL(path)
                    lib.omp_get_max_threads.restype = ctypes.c_int
                    lib.omp_set_num_threads.argtypes = [ctypes.c_int]
                    lib.omp_set_num_threads.restype = None
                    _gomp = lib
                    return lib
    except (OSError, AttributeError):
        return None
    return None


def note_openmp_used() -> None:
    """After an encoding: record whether this process's OpenMP pool may now be running (called by the
    embedder; nothing to do once recorded)."""
    global _omp_pool_started
    if _omp_pool_started:
        return
    lib = _libgomp()
    if lib is not None and lib.omp_get_max_threads() > 1:
        with _omp_lock:
            _omp_pool_started = True


def guard_openmp_thread() -> None:
    """Before an encoding in a forked child: hold this thread to the child's thread count (OpenMP keeps
    the count per thread, and the fork handler could only set the forking thread's)."""
    if _omp_child_threads is not None:
        lib = _libgomp()
        if lib is not None:
            lib.omp_set_num_threads(_omp_child_threads)


@contextlib.contextmanager
def openmp_threads(n: int | None) -> Iterator[None]:
    """Inside the block, this thread's OpenMP regions run on at most ``n`` threads (``None``: unchanged);
    the count is restored after it.  A query's encoding is a chain of small parallel regions whose
    barriers cost more than a second thread gains, and whose spinning second thread takes the core the
    rest of the query needs (docs/adr/0030-engine-at-city-scale.md, fifth pass)."""
    lib = _libgomp() if n else None
    if lib is None or n is None:
        yield
        return
    before = int(lib.omp_get_max_threads())
    if n >= before:
        yield
        return
    lib.omp_set_num_threads(int(n))
    try:
        yield
    finally:
        lib.omp_set_num_threads(before)


def fork_friendly_openmp() -> bool:
    """In a process that will encode and then fork workers, before it encodes: run its own parallel
    regions on one thread, so no pool exists to be inherited, and give each forked child back the
    thread count this process had.  Returns False when the pool has already started (the children then
    run on one thread)."""
    global _omp_restore, _omp_env
    with _omp_lock:
        if _omp_pool_started:
            return False
        lib = _libgomp()
        if lib is not None:
            if _omp_restore is None:
                _omp_restore = int(lib.omp_get_max_threads())
            lib.omp_set_num_threads(1)
        elif _omp_env is None:  # not loaded yet: it reads the environment when it loads
            before = os.environ.get("OMP_NUM_THREADS")
            _omp_env = ("OMP_NUM_THREADS" in os.environ, before)
            try:
                _omp_restore = max(1, int(before)) if before else len(os.sched_getaffinity(0))
            except (ValueError, AttributeError):
                _omp_restore = os.cpu_count() or 1
            os.environ["OMP_NUM_THREADS"] = "1"
    return True


_omp_fallback = False  # this process is a child whose parent's pool had started


def openmp_child_single_threaded() -> bool:
    """Whether this process is a forked child that runs OpenMP on one thread because its parent's pool
    had started (a server's workers then encode more slowly; they do not hang)."""
    return _omp_fallback


def _after_fork_in_child() -> None:
    global _omp_pool_started, _omp_restore, _omp_env, _omp_child_threads, _omp_fallback
    if _omp_pool_started:
        _omp_child_threads, _omp_fallback = 1, True
    elif _omp_restore is not None:
        _omp_child_threads = _omp_restore
    else:
        return
    if _omp_env is not None:  # the child's own runtime, if it loads one, reads the count it had
        was_set, value = _omp_env
        if was_set and value is not None:
            os.environ["OMP_NUM_THREADS"] = value
        else:
            os.environ.pop("OMP_NUM_THREADS", None)
    _omp_pool_started, _omp_restore, _omp_env = False, None, None
    guard_openmp_thread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
