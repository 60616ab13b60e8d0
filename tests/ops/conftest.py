"""Fixtures for running the platform as it runs in production (docs/reliability.md M1–M3, E1): a real
Redis, a local S3-compatible server (moto), free loopback ports, the connection string of the test
database for other processes; and one production site per test session (demo data, ``collectstatic``
with the production storage, ``kechuang serve`` under ``kechuang.settings.production``).

The production site's two slow steps (the data, about 15 s; collectstatic, about 15 s on an idle
machine) run side by side, once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_helpers import BUCKET, free_port, fresh_database, platform_env, start_server
from ops_site import PASSWORD, PREPARE_ACCOUNTS, ProductionHome, ProductionSite

import template_db


def _redis_ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A Redis URL: ``KECHUANG_TEST_REDIS_URL`` when set, else a private ``redis-server`` on a free
    loopback port (nothing shared with anyone), else the machine's Redis on 127.0.0.1:6379. Every test
    adds its own key prefix (:func:`redis_cache_url`)."""
    if url := os.environ.get("KECHUANG_TEST_REDIS_URL"):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        url = "redis://127.0.0.1:6379/0"
        if not _redis_ping(url):
            pytest.fail("这些测试需要 Redis：安装 redis-server，或设置 KECHUANG_TEST_REDIS_URL。")
        yield url
        return
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not _redis_ping(url):
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_cache_url(redis_server: str) -> Iterator[str]:
    """``CACHE_URL`` for this test: the Redis above with a key prefix of its own; its keys are deleted
    afterwards (never a FLUSHDB: the server may be shared)."""
    import redis

    prefix = f"kctest-{uuid.uuid4().hex[:12]}"
    yield f"{redis_server}?key_prefix={prefix}"
    client = redis.Redis.from_url(redis_server)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A local S3-compatible server (moto) on a free loopback port, with one empty private bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        server.stop()


# --- One production site per session (tests/ops/test_production_site.py, test_serve.py) ----------------
def _run(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kechuang", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait(process: subprocess.Popen[bytes], log: Path, what: str, timeout: float = 600) -> None:
    code = process.wait(timeout=timeout)
    if code != 0:
        raise AssertionError(f"{what} exited {code}:\n{log.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="session")
def production_home(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProductionHome]:
    home = tmp_path_factory.mktemp("production-home")
    # the run's migrated test database as the site's (its migrate then has nothing to do; 13 s of CPU)
    with fresh_database(
        "ops", template=template_db.migrated_postgres(request, tmp_path_factory)
    ) as database_url:
        # production runs on PostgreSQL: the SQLite pass skips the site's tests (tests/conftest.py)
        assert database_url is not None, "the production site is built on PostgreSQL only"
        env = platform_env(home, database_url)
        started = time.monotonic()
        data = _run(
            ["demo", "--no-serve", "--scale", "small", "--demo-password", PASSWORD], env, home / "demo.log"
        )
        static = _run(["collectstatic", "--noinput"], env, home / "collectstatic.log")
        _wait(static, home / "collectstatic.log", "collectstatic")
        collectstatic_in = time.monotonic() - started
        _wait(data, home / "demo.log", "kechuang demo --no-serve")
        prepared_in = time.monotonic() - started
        yield ProductionHome(home, env, prepared_in, collectstatic_in)


@pytest.fixture(scope="session")
def production_site(production_home: ProductionHome) -> Iterator[ProductionSite]:
    home, env = production_home.home, production_home.env
    prepared_in, collectstatic_in = production_home.prepared_in, production_home.collectstatic_in
    accounts = subprocess.run(
        [sys.executable, "-c", PREPARE_ACCOUNTS], env=env, capture_output=True, text=True, timeout=120
    )
    assert accounts.returncode == 0, accounts.stderr[-4000:]
    listing = json.loads(accounts.stdout.strip().splitlines()[-1])
    server = start_server(env, home / "serve.log", workers=2)
    print(  # shown with -s: the numbers docs/operations.md quotes
        f"\nproduction site: data and static {prepared_in:.1f} s (collectstatic {collectstatic_in:.1f} s), "
        f"serve answered /healthz after {server.started_in:.1f} s"
    )
    try:
        yield ProductionSite(
            home, env, server, listing["roles"], listing["pages"], prepared_in, collectstatic_in
        )
    finally:
        server.stop()
