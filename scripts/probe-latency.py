#!/usr/bin/env python3
"""How long the monitoring endpoints take on a running server (docs/monitoring.md, ADR 0021).

    scripts/probe-latency.py http://127.0.0.1:8000 [--count 200]

Calls /healthz, /readyz and /metrics COUNT times each, one after another (as a probe does), and prints
the median, 95th percentile and slowest time of each, and the size of the metrics answer.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.error
import urllib.request


def timed(url: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (an operator's own server)
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:  # /readyz answers 503 when a part is down: still a timing
        body, status = error.read(), error.code
    return (time.perf_counter() - start) * 1000, status, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--count", type=int, default=200)
    options = parser.parse_args()
    for path in ("/healthz", "/readyz", "/metrics"):
        timed(options.base + path)  # the first call of a worker warms its imports
        runs = [timed(options.base + path) for _ in range(options.count)]
        times = sorted(r[0] for r in runs)
        statuses = sorted({r[1] for r in runs})
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"{path:9} median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  max {times[-1]:6.1f} ms"
            f"  status {','.join(map(str, statuses))}  {runs[-1][2]} bytes"
        )


if __name__ == "__main__":
    main()
