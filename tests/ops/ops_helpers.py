"""Helpers for the operations tests (docs/reliability.md M2, M3): free loopback ports, what the settings
make of CACHE_URL, the S3 environment, and the test database's URL for other processes."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
BUCKET = "kechuang-test"


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free on ``host`` (several pytest-xdist workers run at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def cache_config(url: str) -> dict[str, Any]:
    """What the settings make of ``CACHE_URL`` (kechuang.settings.base)."""
    from kechuang.settings.base import _cache

    return _cache(url)


def s3_environment(endpoint: str, prefix: str) -> dict[str, str]:
    """The environment a district sets for S3 storage (every variable docs/adr/0016 names)."""
    return {
        "FILE_STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "testing",
        "S3_SECRET_ACCESS_KEY": "testing",
        "S3_PREFIX": prefix,
        "S3_ADDRESSING_STYLE": "path",
    }


def s3_objects(endpoint: str, prefix: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/"):
        for item in page.get("Contents", []):
            out[item["Key"]] = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
    return out


def database_url() -> str:
    """A DATABASE_URL for other processes that names the test database of this run."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        raise RuntimeError("the SQLite test database lives in this process's memory")
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"
