"""The folder where gunicorn's worker processes keep their metrics (prometheus-client's multiprocess
mode; docs/adr/0021-observability.md). Used by the hooks in ``kechuang.gunicorn_conf``, in the
gunicorn master, before any worker exists; imports nothing of Django.

* :func:`prepare` (``on_starting``): take ``PROMETHEUS_MULTIPROC_DIR`` from the environment, or make a
  fresh private folder (in ``/dev/shm`` when there is one: the files are memory-mapped and written on
  every request) and set the variable, which the workers inherit; remove the ``*.db`` files a previous
  server left there, so counters start from zero with the server (Prometheus expects a restart).
* :func:`mark_dead` (``child_exit``): a worker that exited (recycled after ``max_requests``, killed
  after a timeout, stopped on reload) leaves its counters, which still count; its live gauges go.
* :func:`cleanup` (``on_exit``): remove the folder if :func:`prepare` made it.

A master started by another one's ``USR2`` (a binary upgrade; ``GUNICORN_PID`` set) shares the old
master's folder and leaves its files alone; the old master then leaves the folder in place.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
_made: list[str] = []


def prepare() -> str:
    """Make sure the folder exists, is set in the environment and holds no old files; return it."""
    path = os.environ.get(VARIABLE, "").strip()
    if path:
        os.makedirs(path, mode=0o700, exist_ok=True)
        if "GUNICORN_PID" not in os.environ:  # not while the old master's workers still count
            for old in glob.glob(os.path.join(path, "*.db")):
                os.remove(old)
    else:
        shm = "/dev/shm"  # noqa: S108 (memory, not a shared temporary file: the folder is private)
        base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
        path = tempfile.mkdtemp(prefix="kechuang-metrics-", dir=base)
        _made.append(path)
        os.environ[VARIABLE] = path
    return path


def mark_dead(pid: int) -> None:
    if os.environ.get(VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def cleanup(*, handed_over: bool = False) -> None:
    """Remove the folder this master made, unless it handed its workers' folder to a new master."""
    while _made:
        path = _made.pop()
        if not handed_over:
            shutil.rmtree(path, ignore_errors=True)
