"""Probe jobs, registered when OPS_PROBE_LOG names a file (the scheduler discovers this module).

- ``probe-tick`` (every OPS_PROBE_EVERY seconds) naps OPS_PROBE_NAP seconds and appends
  ``<due> <pid> <start> <end>`` to the log: evidence of each run that does not come from the
  scheduler's own records.
- ``probe-fails`` raises on the first attempt of every due time, so each due time shows a failure
  and its retry.
- ``probe-slow`` (only with OPS_PROBE_SLOW=seconds) naps that long, for the stop-on-SIGTERM test.
"""

from __future__ import annotations

import os
import time

from kechuang.core.jobs import Every, JobContext, job

LOG = os.environ.get("OPS_PROBE_LOG", "")
EVERY = float(os.environ.get("OPS_PROBE_EVERY", "1"))
NAP = float(os.environ.get("OPS_PROBE_NAP", "0.3"))


def _append(line: str) -> None:
    with open(LOG, "a", encoding="utf-8") as handle:  # O_APPEND: lines from two processes never mix
        handle.write(line + "\n")


if LOG:

    @job("probe-tick", schedule=Every(seconds=EVERY), label="探针")
    def probe_tick(run: JobContext) -> str:
        start = time.time()
        time.sleep(NAP)
        _append(f"tick {run.due_at.isoformat()} {os.getpid()} {start:.6f} {time.time():.6f}")
        return "ok"

    @job("probe-fails", schedule=Every(seconds=EVERY * 2), label="会失败的探针")
    def probe_fails(run: JobContext) -> str:
        _append(f"fails {run.due_at.isoformat()} {os.getpid()} attempt={run.attempt}")
        if run.attempt == 1:
            raise RuntimeError(f"探针故障：{run.due_at.isoformat()} 第 1 次尝试")
        return "retried ok"

    if os.environ.get("OPS_PROBE_SLOW"):

        @job("probe-slow", schedule=Every(hours=1), label="慢探针")
        def probe_slow(run: JobContext) -> str:
            time.sleep(float(os.environ["OPS_PROBE_SLOW"]))
            _append(f"slow-done {os.getpid()}")
            return "slow ok"
