"""Fixtures for running the platform as it runs in production (docs/reliability.md M2, M3): a real Redis,
a local S3-compatible server (moto), free loopback ports, and the connection string of the test
database for other processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from ops_helpers import BUCKET, free_port


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
