"""``/metrics`` under a real gunicorn with two worker processes (docs/adr/0021-observability.md): whichever
worker answers a scrape, it reports the requests of both (prometheus-client's multiprocess mode, the folder
prepared by ``kechuang.gunicorn_conf``); the folder is emptied when the server starts; a worker that dies
keeps its counts but not its live gauge; a folder the server made itself is gone after it stops. The
servers log in JSON (LOG_FORMAT=json), which also tells which worker served each request."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection
from metrics_helpers import value
from ops_helpers import ROOT, database_url, free_port
from prometheus_client.mmap_dict import MmapedDict, mmap_key

# The workers' counts are added up in files, whatever the database: SQLite pass only (docs/adr/0017-test-suite-speed.md)
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.any_database]

HEALTHZ = {"view": "core:healthz", "method": "GET", "status": "2xx"}
REQUESTS = "kechuang_http_requests_total"


def database_for_other_processes(tmp_path: Path) -> str:
    """PostgreSQL: the test database itself. SQLite: a file copy of the in-memory test database (its
    migrations and cache table), made with SQLite's online backup."""
    if connection.vendor == "postgresql":
        return database_url()
    target = tmp_path / "kechuang.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()
    return f"sqlite:///{target}"


class Gunicorn:
    """``gunicorn --config python:kechuang.gunicorn_conf`` with two workers on a free loopback port."""

    def __init__(self, tmp_path: Path, environment: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / f"{name}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kechuang.wsgi:application",
                "--config",
                "python:kechuang.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--timeout",
                "120",
            ],
            env=environment,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(self.log.read_text(errors="replace")[-3000:])

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, timeout=30)

    def request_lines(self) -> list[dict]:
        """The JSON request lines the workers wrote."""
        lines = []
        for raw in self.log.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                entry = json.loads(raw)
                if entry["logger"] == "kechuang.request":
                    lines.append(entry)
        return lines

    def worker_pids(self) -> set[int]:
        found = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return {int(pid) for pid in found.stdout.split()}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def environment(tmp_path, settings) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "S3_", "PROMETHEUS_"))}
    base.update(
        DJANGO_SETTINGS_MODULE="kechuang.settings.base",
        DATABASE_URL=database_for_other_processes(tmp_path),
        KECHUANG_HOME=str(home),
        SECRET_KEY=settings.SECRET_KEY,
        MATCH_EMBEDDER="hashing",
        LOG_FORMAT="json",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    )
    base.pop("CACHE_URL", None)
    return base


def _stale_counter(folder: Path) -> None:
    """What a previous server left: a worker's counter file with 1000 requests to /healthz."""
    stale = MmapedDict(str(folder / "counter_99999.db"))
    key = mmap_key(
        "kechuang_http_requests", REQUESTS, ["view", "method", "status"], list(HEALTHZ.values()), "stale"
    )
    stale.write_value(key, 1000.0, 0.0)
    stale.close()


def test_two_workers_are_counted_together_and_a_dead_worker_keeps_its_counts(tmp_path, environment):
    folder = tmp_path / "metrics"
    folder.mkdir()
    _stale_counter(folder)
    server = Gunicorn(tmp_path, {**environment, "PROMETHEUS_MULTIPROC_DIR": str(folder)}, "web")
    try:
        assert not (folder / "counter_99999.db").exists()  # emptied at start: counts begin at zero

        # 1. Requests until both workers have served some (concurrent, so a busy worker leaves the
        #    next connection to the other); the readiness of the server was probed before.
        sent = 0
        with ThreadPoolExecutor(max_workers=4) as pool:
            while True:
                answers = list(pool.map(lambda _: server.get("/healthz").status_code, range(40)))
                assert set(answers) == {200}
                sent += len(answers)
                served = Counter(e["pid"] for e in server.request_lines() if e["path"] == "/healthz")
                if len(served) == 2:
                    break
                assert sent < 2000, f"one worker served everything: {served}"
        probes = sum(1 for e in server.request_lines() if e["path"] == "/healthz") - sent
        total = sent + probes  # the start-up probes count too
        assert min(served.values()) < total  # neither worker saw every request alone

        # 2. Every scrape, whichever worker answers it, counts the requests of both.
        for _ in range(12):
            text = server.get("/metrics").text
            assert value(text, REQUESTS, **HEALTHZ) == total
            assert value(text, "kechuang_http_request_duration_seconds_count", **HEALTHZ) == total
        scrapers = {e["pid"] for e in server.request_lines() if e["path"] == "/metrics"}
        assert scrapers <= set(served), scrapers
        files = sorted(p.name for p in folder.glob("counter_*.db"))
        assert len(files) == 2, files  # one per worker

        # 3. A worker killed outright: gunicorn replaces it; the exit hook removes its live gauge, and its
        #    counted requests still count.
        victim = next(iter(served))
        assert (folder / f"gauge_livesum_{victim}.db").exists()
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (folder / f"gauge_livesum_{victim}.db").exists() or len(server.worker_pids()) < 2:
            assert time.monotonic() < deadline, sorted(p.name for p in folder.iterdir())
            time.sleep(0.2)
        assert (folder / f"counter_{victim}.db").exists()
        for _ in range(6):
            text = server.get("/metrics").text
            assert value(text, REQUESTS, **HEALTHZ) == total
            assert value(text, "kechuang_http_requests_in_progress") == 1  # this scrape, nothing else
        assert victim not in server.worker_pids()
    finally:
        server.stop()
    assert folder.is_dir()  # a folder the operator named stays


def test_without_a_folder_the_server_makes_a_private_one_and_removes_it(tmp_path, environment):
    server = Gunicorn(tmp_path, environment, "web-own-folder")
    try:
        for _ in range(5):
            assert server.get("/healthz").status_code == 200
        text = server.get("/metrics").text
        assert value(text, REQUESTS, **HEALTHZ) >= 5
        made = [line for line in server.log.read_text().splitlines() if "metrics of the workers in" in line]
        assert made, server.log.read_text()[-2000:]  # gunicorn's own log line, from the master
        folder = Path(made[0].rsplit(" ", 1)[1])
        assert folder.name.startswith("kechuang-metrics-") and folder.is_dir()
        assert oct(folder.stat().st_mode & 0o777) == "0o700"
    finally:
        server.stop()
    assert not folder.exists()
