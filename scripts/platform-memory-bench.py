#!/usr/bin/env python3
"""The platform server's memory with many listings: every process of ``kechuang serve`` (ADR 0030).

    .venv/bin/python scripts/platform-memory-bench.py --listings 1000000 [--workers 2] [--queries 50]

``kechuang match-bench --workers N`` measures the matching engine's own server (generated listings
streamed into the engine). This script measures the platform itself, with its database reads, its
per-listing metadata and its Django workers:

1. creates a PostgreSQL database (``--database``, default ``kc_platform_bench``, on the server of
   ``--server``; it refuses a database that exists unless ``--reuse``), migrates it and loads the small
   Juyuan demo data (``kechuang demo-data``);
2. adds ``--listings`` public listings (``matchcore.bench``'s generator: about 70 % achievements of the
   institutes, 30 % demands of the enterprises) and a stored vector for each, shaped like the query
   encoder's (200 listings encoded, the rest those plus small noise), so the master encodes nothing;
3. starts ``kechuang serve --workers W`` on 127.0.0.2: the gunicorn master builds the index from the
   database before the workers fork (ADR 0030, section 2). It waits until ``/healthz`` says the
   matching engine is ready, sends ``--queries`` searches of the public achievement and demand lists,
   and prints the PSS (``/proc/PID/smaps_rollup``: shared pages divided among the processes that share
   them) of the master and of each worker, their sum, and how long the server took to become ready.

The data stays in the database for another run with ``--reuse`` (``--keep``), else it is dropped.
It needs about 3 GB of database space per million listings and stops the server it started.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KECHUANG = str(Path(sys.executable).with_name("kechuang"))
BATCH = 5000


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def connect(server: str, name: str):
    import psycopg

    return psycopg.connect(f"{server.rstrip('/')}/{name}", autocommit=True)


def admin_connection(server: str):
    return connect(server, "postgres")


def create_database(server: str, name: str, reuse: bool) -> bool:
    """Create the database; False when it exists and ``reuse`` says to use its data."""
    with admin_connection(server) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        if exists:
            raise SystemExit(f"数据库 {name} 已存在：加 --reuse 使用其中的数据，或换一个 --database。")
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def drop_database(server: str, name: str) -> None:
    with admin_connection(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(listings: int, seed: int) -> None:
    """Migrate, load the demo data and add the synthetic listings with their vectors (in this process)."""
    import django

    django.setup()
    import numpy as np
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    import matchcore
    from kechuang.directory.choices import OrganizationKind
    from kechuang.directory.models import Organization
    from kechuang.transfer import matching
    from kechuang.transfer.choices import AchievementStatus, DemandStatus, Visibility
    from kechuang.transfer.models import Achievement, Demand, ListingVector
    from matchcore.bench import iter_listings

    call_command("migrate", verbosity=0)
    call_command("demo_data", verbosity=0)
    institutes = list(
        Organization.objects.filter(kind=OrganizationKind.INSTITUTE).values_list("pk", flat=True)
    )
    enterprises = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).values_list("pk", flat=True)
    )
    scratch = matchcore.Engine(matchcore.EngineConfig.default(), matching.embedder())
    tax = matching.Taxonomy.load()
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    now = timezone.now()
    sample: np.ndarray | None = None
    started = time.perf_counter()
    written = 0
    generated = iter_listings(listings, seed=seed)
    while written < listings:
        batch = [next(generated) for _ in range(min(BATCH, listings - written))]
        rows: list[Achievement | Demand] = []
        for i, doc in enumerate(batch, start=written):
            common = {
                "code": f"BENCH-{i:07d}",
                "title": doc.title[:120],
                "summary": doc.text,
                "keywords": "",
                "visibility": Visibility.PUBLIC,
                "published_at": now,
            }
            if doc.kind == "demand":
                model, owners, own = (
                    Demand,
                    enterprises,
                    {
                        "status": DemandStatus.PUBLISHED,
                        "trl_required": doc.trl,
                        "budget_min_fen": doc.budget_min_fen,
                        "budget_max_fen": doc.budget_max_fen,
                    },
                )
            else:
                model, owners, own = (
                    Achievement,
                    institutes,
                    {
                        "status": AchievementStatus.PUBLISHED,
                        "trl": doc.trl,
                        "asking_price_fen": doc.price_fen,
                    },
                )
            rows.append(model(**common, **own, organization_id=rng.choice(owners)))
        with transaction.atomic():
            Achievement.objects.bulk_create([r for r in rows if isinstance(r, Achievement)])
            Demand.objects.bulk_create([r for r in rows if isinstance(r, Demand)])
            docs = [matching._listing_document(r, tax, [], None) for r in rows]
            if sample is None:  # the encoder's own vectors for the first 200, the shape of the rest
                sample = np.asarray(scratch.embed_passage_texts(docs[:200]), dtype=np.float32)
            base = sample[noise.integers(0, len(sample), size=len(docs))]
            vectors = base + noise.normal(0.0, 0.02, size=base.shape).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            ListingVector.objects.bulk_create(
                ListingVector(
                    doc_id=d.id,
                    embedder=scratch.embedder_name,
                    text_hash=scratch.passage_digest(d),
                    dim=vectors.shape[1],
                    vector=v.tobytes(),
                )
                for d, v in zip(docs, vectors, strict=True)
            )
        written += len(rows)
        if written % 50_000 == 0 or written == listings:
            rate = written / (time.perf_counter() - started)
            print(f"  {written:,} 条已写入（{rate:,.0f} 条/秒）", flush=True)
    matching.bump_version()


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (our own loopback server)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def serve_and_measure(workers: int, queries: int, port: int) -> dict[str, object]:
    from kechuang.core.processes import stop_group
    from matchcore.bench import _pss_mb as pss_mb  # the bench's own PSS reading: the numbers compare
    from matchcore.bench import generate_queries

    base = f"http://127.0.0.2:{port}"
    env = {**os.environ, "WEB_MAX_REQUESTS": "0", "WEB_THREADS": "4", "ALLOWED_HOSTS": "127.0.0.2"}
    started = time.monotonic()
    server = subprocess.Popen(
        [KECHUANG, "serve", "--workers", str(workers), "--bind", f"127.0.0.2:{port}"],
        env=env,
        start_new_session=True,
    )
    try:
        ready_s = None
        while time.monotonic() - started < 3 * 3600:
            if server.poll() is not None:
                raise SystemExit(f"kechuang serve 退出，返回码 {server.returncode}")
            status, body = get(base + "/healthz", timeout=10)
            if 400 <= status < 500:
                raise SystemExit(f"/healthz 返回 {status}：{body[:200]!r}")
            workers_now = children(server.pid)
            if status == 200 and json.loads(body).get("matching") == "ready" and len(workers_now) == workers:
                # every worker answers ready: ask as many times as there are workers' threads
                answers = [json.loads(get(base + "/healthz")[1]).get("matching") for _ in range(8 * workers)]
                if all(a == "ready" for a in answers):
                    ready_s = time.monotonic() - started
                    break
            time.sleep(2)
        if ready_s is None:
            raise SystemExit("三小时内网站未就绪")
        before = {"master": pss_mb(server.pid), "workers": [pss_mb(p) for p in children(server.pid)]}
        latencies = []
        for i, q in enumerate(generate_queries(queries)):
            path = "/transfer/achievements/" if i % 2 == 0 else "/transfer/demands/"
            t = time.perf_counter()
            status, _body = get(base + path + "?" + urllib.parse.urlencode({"q": q}), timeout=120)
            latencies.append((time.perf_counter() - t) * 1000)
            if status != 200:
                raise SystemExit(f"{path}?q={q} 返回 {status}")
        pids = children(server.pid)
        after = {"master": pss_mb(server.pid), "workers": [pss_mb(p) for p in pids]}
        latencies.sort()
        return {
            "ready_s": round(ready_s, 1),
            "pss_before_queries_mb": round(before["master"] + sum(before["workers"]), 1),
            "master_pss_mb": round(after["master"], 1),
            "worker_pss_mb": [round(x, 1) for x in after["workers"]],
            "server_pss_mb": round(after["master"] + sum(after["workers"]), 1),
            "list_search_ms_p50": round(latencies[len(latencies) // 2], 1),
            "list_search_ms_max": round(latencies[-1], 1),
        }
    finally:
        stop_group(server, grace=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="kc_platform_bench")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--reuse", action="store_true", help="use the data of an existing database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()
    home = tempfile.mkdtemp(prefix="kechuang-memory-bench-")
    os.environ.update(
        {
            "DATABASE_URL": f"{options.server.rstrip('/')}/{options.database}",
            "KECHUANG_HOME": home,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "kechuang.settings.base"),
        }
    )
    fresh = create_database(options.server, options.database, options.reuse)
    try:
        if fresh:
            print(f"写入 {options.listings:,} 条清单到 {options.database} …", flush=True)
            t = time.perf_counter()
            # a child process: the server measured below must not share this process's heap or threads
            subprocess.run(
                [sys.executable, __file__, "--fill", str(options.listings), str(options.seed)], check=True
            )
            print(f"  用时 {time.perf_counter() - t:,.0f} 秒", flush=True)
        # the planner's statistics, as autovacuum would leave them after a load this size: without them
        # PostgreSQL takes a million listings for a thousand and picks its plans accordingly
        with connect(options.server, options.database) as conn:
            conn.execute("ANALYZE")
        result = {"listings": options.listings, "workers": options.workers}
        result.update(serve_and_measure(options.workers, options.queries, options.port))
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        if not options.keep:
            drop_database(options.server, options.database)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fill"]:
        sys.path.insert(0, str(ROOT / "src"))
        fill(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
