"""``kechuang serve``: gunicorn with the project's configuration, every setting from the environment; it
answers /healthz, shows the generic error page with a reference id when a view fails (docs/reliability.md
E1), lets a request in flight finish on SIGTERM and then exits 0, and refuses to start when the static
files were never collected (every page would fail)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ops_helpers import Client, Response, platform_env, start_server, static_references

pytestmark = pytest.mark.slow

FAULT_SITE = Path(__file__).resolve().parent / "fault_site"


def _fault_env(env: dict[str, str]) -> dict[str, str]:
    """The production settings with the two test-only views (tests/ops/fault_site)."""
    path = os.pathsep.join(filter(None, [str(FAULT_SITE), env.get("PYTHONPATH", "")]))
    return {**env, "DJANGO_SETTINGS_MODULE": "ops_fault_settings", "PYTHONPATH": path}


def test_a_failing_view_shows_the_generic_error_page_with_its_reference_id(production_home, tmp_path):
    env = production_home.env
    server = start_server(_fault_env(env), tmp_path / "serve.log", workers=1)
    try:
        response = Client(server.host).get("/ops-test/fail")
        assert response.status == 500
        request_id = response.header("X-Request-ID")
        assert re.fullmatch(r"[0-9a-f]{16}", request_id)
        assert f"<code>{request_id}</code>" in response.text
        assert "服务暂时不可用" in response.text
        for leak in ("Traceback", "RuntimeError", "deliberate failure", "13812345678", "DEBUG"):
            assert leak not in response.text
        # the page is drawn with the site's style sheets, through the manifest, and they load
        for path in static_references(response.text):
            assert Client(server.host).get(path).status == 200, path
        # the master and its worker run with the allocator settings serve adds (ADR 0030, "The allocator")
        master = server.process.pid
        worker = int(Path(f"/proc/{master}/task/{master}/children").read_text().split()[0])
        for pid in (master, worker):
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert b"MALLOC_ARENA_MAX=2" in environ and b"MALLOC_MMAP_THRESHOLD_=131072" in environ
    finally:
        assert server.stop() == 0
    log = server.output()
    assert "deliberate failure" in log  # the operator finds the error in the log…
    assert "13812345678" not in log and "138****5678" in log  # …without the personal data (C3)


def test_sigterm_lets_the_request_in_flight_finish_then_stops(production_home, tmp_path):
    server = start_server(_fault_env(production_home.env), tmp_path / "serve.log", workers=1)
    marker = production_home.home / "slow-request-started"
    marker.unlink(missing_ok=True)
    answers: list[Response] = []
    request = threading.Thread(
        target=lambda: answers.append(Client(server.host).get("/ops-test/slow?seconds=3"))
    )
    request.start()
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the slow request never started"
    assert server.stop(timeout=40) == 0
    request.join(timeout=10)
    assert answers and answers[0].status == 200 and answers[0].text == "finished"
    log = server.output()
    assert "Handling signal: term" in log and "Shutting down: Master" in log
    with pytest.raises(OSError):
        Client(server.host).get("/healthz")  # the port is closed


def test_serve_refuses_to_start_before_the_static_files_are_collected(tmp_path):
    env = platform_env(tmp_path / "home", None)
    result = subprocess.run(
        [sys.executable, "-m", "kechuang", "serve", "--bind", "127.0.0.1:0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "静态文件尚未收集" in result.stderr and "kechuang upgrade" in result.stderr


def test_every_gunicorn_setting_comes_from_the_environment(tmp_path):
    env = {
        **platform_env(tmp_path, None),
        "WEB_BIND": "127.0.0.1:18999,unix:/run/kechuang/web.sock",
        "WEB_CONCURRENCY": "3",
        "WEB_THREADS": "5",
        "WEB_TIMEOUT": "45",
        "WEB_GRACEFUL_TIMEOUT": "25",
        "WEB_KEEPALIVE": "7",
        "WEB_MAX_REQUESTS": "500",
        "WEB_MAX_REQUESTS_JITTER": "50",
        "WEB_FORWARDED_ALLOW_IPS": "10.0.0.5,10.0.0.6",
        "WEB_ACCESS_LOG": "/var/log/kechuang/access.log",
        "WEB_LOG_LEVEL": "warning",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--config", "python:kechuang.gunicorn_conf", "--print-config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in result.stdout.splitlines())
        if value
    )
    expected = {
        "bind": "['127.0.0.1:18999', 'unix:/run/kechuang/web.sock']",
        "workers": "3",
        "threads": "5",
        "timeout": "45",
        "graceful_timeout": "25",
        "keepalive": "7",
        "max_requests": "500",
        "max_requests_jitter": "50",
        "forwarded_allow_ips": "['10.0.0.5', '10.0.0.6']",
        "accesslog": "/var/log/kechuang/access.log",
        "loglevel": "warning",
        "wsgi_app": "kechuang.wsgi:application",
        "control_socket_disable": "True",
    }
    assert {name: config.get(name) for name in expected} == expected


def test_demo_serves_through_the_serve_command(monkeypatch):
    """``kechuang demo`` starts ``kechuang serve`` (the same gunicorn configuration) and the task worker."""
    from kechuang.core.management.commands import demo

    started: list[list[str]] = []

    class Finished:
        def __init__(self, args: list[str], **kwargs: object) -> None:
            started.append(args)

        def poll(self) -> int:
            return 0

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(demo.subprocess, "Popen", Finished)
    monkeypatch.setattr(demo.signal, "signal", lambda *args: None)
    demo.Command()._serve("127.0.0.1", 8123, 3)
    assert started[0] == [
        sys.executable,
        "-m",
        "kechuang",
        "serve",
        "--bind",
        "127.0.0.1:8123",
        "--workers",
        "3",
    ]
