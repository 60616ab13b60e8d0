"""Stopping a server the platform's own commands started (``load-test``, ``web-bench``, the memory
script): the server runs in its own session (``start_new_session=True``), so its whole process group
(a gunicorn master and its workers) is asked to stop, given ``grace`` seconds, then killed.

No Django here: scripts outside the app import it too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


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
