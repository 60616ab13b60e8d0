"""Helpers for the operations tests (docs/reliability.md M1–M3, E1): free loopback ports, what the
settings make of CACHE_URL, the S3 environment, the test database's URL for other processes; and the
platform run as a district runs it, in subprocesses.

Each platform process started by these helpers (:func:`platform_env`) runs with the environment an
installation has (docs/operations.md): the production settings, a data folder of its own, a database
of its own (SQLite in that folder in the SQLite pass; a fresh PostgreSQL database in the PostgreSQL
pass), the hashing embedder (the real model is exercised by tests/matchcore), and a port the OS chose.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[2]
REPO = ROOT
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


# --- The platform as an installation runs it (tests of items 1, 2, 5, 6) ------------------------------
DEPLOY = REPO / "deploy"
TEMPLATE = DEPLOY / "kechuang.env.template"
# Variables of the test run that must not leak into a platform process started by a test.
_RUN_ONLY = (
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "KECHUANG_HOME",
    "KECHUANG_DEMO",
    "PYTEST_XDIST_WORKER",
)


def postgres_url() -> str | None:
    """The PostgreSQL server of this pass, or None in the SQLite pass."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@contextlib.contextmanager
def fresh_database(prefix: str, *, template: str | None = None) -> Iterator[str | None]:
    """A new empty PostgreSQL database on this pass's server (dropped afterwards), or None: SQLite in
    the data folder. With ``template``, a copy of that database instead of an empty one."""
    server = postgres_url()
    if server is None:
        yield None
        return
    import psycopg

    parts = urlsplit(server)
    name = f"kc_{prefix}_{secrets.token_hex(4)}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        copy = f' TEMPLATE "{template}"' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def platform_env(home: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a production installation with its data in ``home``: a clean one, as a
    systemd unit gives (nothing of the test run leaks in), plus the installation's settings."""
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(home)}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    env.update(
        {
            "KECHUANG_HOME": str(home),
            "DJANGO_SETTINGS_MODULE": "kechuang.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "MATCH_EMBEDDER": "hashing",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def kechuang(
    *args: str, env: dict[str, str], timeout: float = 300, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    """Run a ``kechuang`` command to completion; a failure shows its output."""
    result = subprocess.run(
        [python, "-m", "kechuang", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise AssertionError(
            f"kechuang {' '.join(args)} exited {result.returncode}\n"
            f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
        )
    return result


@dataclass
class Server:
    """``kechuang serve`` on a loopback port, its output in a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_in: float = 0.0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the server did not stop within {timeout} s after SIGTERM") from None


def start_server(
    env: dict[str, str], log: Path, *, workers: int = 2, python: str = sys.executable, wait: float = 90
) -> Server:
    port = free_port()
    started = time.monotonic()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [python, "-m", "kechuang", "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kechuang serve exited {process.returncode}:\n{server.output()[-4000:]}")
        with contextlib.suppress(OSError):
            if Client(server.host).get("/healthz").status == 200:
                server.started_in = time.monotonic() - started
                return server
        time.sleep(0.2)
    server.stop()
    raise AssertionError(
        f"kechuang serve did not answer /healthz within {wait} s:\n{server.output()[-4000:]}"
    )


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass
class Client:
    """An HTTP client that behaves like a browser behind the TLS proxy (nginx adds X-Forwarded-Proto):
    keeps cookies, Secure ones included, and never follows redirects."""

    host: str
    https: bool = True
    cookies: dict[str, str] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None  # real TLS (to nginx) instead of the proxy's header

    def _connection(self) -> http.client.HTTPConnection:
        if self.tls is not None:
            return http.client.HTTPSConnection(self.host, timeout=60, context=self.tls)
        return http.client.HTTPConnection(self.host, timeout=60)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        connection = self._connection()
        sent = {"Host": self.host, "Accept-Language": "zh-hans", **(headers or {})}
        if self.https and self.tls is None:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            raw = connection.getresponse()
            response = Response(raw.status, raw.headers, raw.read())
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, data: dict[str, str]) -> Response:
        origin = f"{'https' if self.https else 'http'}://{self.host}"
        return self.request(
            "POST",
            path,
            body=urlencode(data).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + path,
            },
        )

    def login(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/")
        assert page.status == 200, f"login page answered {page.status}"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        response = self.post_form(
            "/accounts/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
        )
        assert response.status == 302, (
            f"signing in as {username} answered {response.status}: {response.text[:500]}"
        )
        assert "sessionid" in self.cookies, f"no session cookie after signing in as {username}"


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.found.add(value)


def static_references(html: str, static_url: str = "/static/") -> set[str]:
    """Paths of the static files a page asks for (scripts, style sheets, images, icons)."""
    parser = _References()
    parser.feed(html)
    return {urlsplit(ref).path for ref in parser.found if urlsplit(ref).path.startswith(static_url)}


_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
_SOURCE_MAP = re.compile(r"""[#@]\s*sourceMappingURL=([^\s*'"]+)""")


def file_references(path: str, text: str) -> set[str]:
    """Files a style sheet or script refers to (fonts, images, source maps), as absolute paths."""
    found = set(_SOURCE_MAP.findall(text))
    if path.endswith(".css"):
        found |= set(_CSS_URL.findall(text))
    return {
        urlsplit(urljoin(path, ref)).path
        for ref in found
        if not ref.startswith(("data:", "#")) and not urlsplit(ref).scheme
    }


def tool(name: str) -> str:
    """A program the operations tests need (scripts/ensure-test-deps.sh installs them); a clear failure
    when it is missing, never a skip."""
    path = shutil.which(name)
    if path is None:
        import pytest

        pytest.fail(f"{name} is missing: run scripts/ensure-test-deps.sh (make test does)")
    return path


def render_nginx_site(**values: str) -> str:
    """deploy/nginx/kechuang.conf.template rendered the way docs/operations.md does it (envsubst)."""
    template = (DEPLOY / "nginx" / "kechuang.conf.template").read_text(encoding="utf-8")
    wanted = sorted(set(re.findall(r"\$\{(KECHUANG_[A-Z_]+)\}", template)))
    assert set(wanted) == set(values), f"the template's placeholders are {wanted}"
    result = subprocess.run(
        [tool("envsubst"), " ".join(f"${{{name}}}" for name in wanted)],
        input=template,
        env=values,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "${" not in result.stdout
    return result.stdout
