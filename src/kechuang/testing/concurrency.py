"""Start several database writers at the same instant (docs/reliability.md G): the tests of every module that
races on PostgreSQL use this one helper."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def concurrently(count: int, fn: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Run ``fn(i)`` in ``count`` threads released together by a barrier; each result is ``fn``'s return
    value or the exception it raised. Every thread closes its own database connections; a thread still
    running after ``timeout`` seconds fails the test ("a worker hung")."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = fn(index)
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results
