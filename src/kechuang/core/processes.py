"""Stopping a server the platform's own commands started (``load-test``, ``web-bench``, the memory
script): the server runs in its own session (``start_new_session=True``), so its whole process group
(a gunicorn master and its workers) is asked to stop, given ``grace`` seconds, then killed.  The command
that started it stops it in a ``finally`` clause, which Python runs on Ctrl+C (``KeyboardInterrupt``) but
not when the command itself is sent SIGTERM (``timeout``, ``kill``, a CI job's end): inside
:func:`sigterm_raises_exit` it runs then too, and no server is left behind.

No Django here: scripts outside the app import it too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from types import FrameType


def stop_group(
    process: subprocess.Popen[bytes] | subprocess.Popen[str], *, grace: float = 15.0
) -> int | None:
    """SIGTERM the process group led by ``process``, wait up to ``grace`` seconds for the leader, then
    SIGKILL the group. Returns the leader's exit code (``None`` if it could not be reaped)."""
    with contextlib.suppress(ProcessLookupError):  # the group may be gone already
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        return process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


@contextlib.contextmanager
def sigterm_raises_exit() -> Iterator[None]:
    """Inside the block, SIGTERM raises ``SystemExit(143)`` (128 + SIGTERM, a shell's code for it) in the
    main thread, so the ``finally`` clauses that stop what the block started run; the previous handler
    is restored on the way out.  Outside the main thread (where Python cannot set a handler) it does
    nothing.  Also a decorator: ``@sigterm_raises_exit()`` on a command's ``handle``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
