"""Ledger benchmark: postings per second with 1 and N concurrent clients, and the time a full
reconciliation takes on what is in the database.

Each client is a separate process (no shared interpreter lock) with its own database connection. It
posts complete transfers through :func:`kechuang.ledger.services.post` — idempotency record, row locks
in key order, running balances, the audit record — between accounts of its own pool (``--contention
low``, the normal case: different vouchers) or all on one small pool (``high``: many clients fighting
for the same rows). Every posting is real and stays in the ledger (it is append-only), so run it on a
copy of the database, e.g. ``CREATE DATABASE bench TEMPLATE demo_large`` on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass
class BenchResult:
    clients: int
    postings: int
    seconds: float
    failures: int
    retries_exhausted: int

    @property
    def per_second(self) -> float:
        return self.postings / self.seconds if self.seconds else 0.0


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")
    import django

    django.setup()


def prepare(*, run: str, clients: int, accounts_per_client: int, contention: str) -> list[list[str]]:
    """Open and fund the benchmark's accounts; returns each client's pool of account codes."""
    from . import services as ledger
    from .choices import AccountKind

    world = ledger.account_open(
        code=f"bench:{run}:world", name="基准测试外部资金", kind=AccountKind.EXTERNAL, normal_side="C"
    ).code
    pools: list[list[str]] = []
    shared = contention == "high"
    count = accounts_per_client if shared else accounts_per_client * clients
    codes = []
    for index in range(count):
        code = ledger.account_open(
            code=f"bench:{run}:a{index:05d}",
            name=f"基准测试账户 {index}",
            kind=AccountKind.LIABILITY,
            group=f"bench:{run}",
        ).code
        ledger.post(
            actor=None,
            idempotency_key=f"bench:{run}:fund:{index}",
            kind="bench.fund",
            memo="基准测试注资",
            lines=[ledger.debit(world, 10**11), ledger.credit(code, 10**11)],
        )
        codes.append(code)
    for client in range(clients):
        pools.append(
            codes if shared else codes[client * accounts_per_client : (client + 1) * accounts_per_client]
        )
    return pools


def _worker(
    run: str, client: int, pool: list[str], postings: int, start: Any, out: Any, without_audit: bool = False
) -> None:
    _setup_django()
    from django.db import connections

    if without_audit:  # diagnostic only: how much of the time is the platform's audit hash chain
        from kechuang.core import audit

        audit.record = lambda *args, **kwargs: None  # type: ignore[assignment]

    from . import services as ledger
    from .errors import LedgerBusy

    rng = random.Random(f"{run}:{client}")
    connections["default"].ensure_connection()
    failures = busy = 0
    start.wait()
    began = time.perf_counter()
    for n in range(postings):
        source, destination = rng.sample(pool, 2)
        amount = rng.randint(1, 10_000)
        try:
            ledger.post(
                actor=None,
                idempotency_key=f"bench:{run}:{client}:{n}",
                kind="bench.transfer",
                memo="基准测试划转",
                lines=[ledger.debit(source, amount), ledger.credit(destination, amount)],
            )
        except LedgerBusy:
            busy += 1
        except Exception:
            failures += 1
    out.put((client, postings - failures - busy, time.perf_counter() - began, failures, busy))
    connections.close_all()


def run_clients(
    *, run: str, pools: list[list[str]], postings_per_client: int, without_audit: bool = False
) -> BenchResult:
    """Start one process per pool, release them together, and time until the last one finishes."""
    from django.db import connections

    connections.close_all()
    context = mp.get_context("spawn")
    start, out = context.Event(), context.Queue()
    processes = [
        context.Process(target=_worker, args=(run, i, pool, postings_per_client, start, out, without_audit))
        for i, pool in enumerate(pools)
    ]
    for process in processes:
        process.start()
    time.sleep(3.0)  # let every worker import Django and connect before the clock starts
    began = time.perf_counter()
    start.set()
    results = [out.get(timeout=3600) for _ in processes]
    wall = time.perf_counter() - began
    for process in processes:
        process.join(timeout=60)
    done = sum(r[1] for r in results)
    return BenchResult(
        clients=len(pools),
        postings=done,
        seconds=wall,
        failures=sum(r[3] for r in results),
        retries_exhausted=sum(r[4] for r in results),
    )


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
