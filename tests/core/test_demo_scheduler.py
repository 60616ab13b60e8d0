"""Issue acceptance: ``kechuang demo`` starts the scheduler beside the web server and the task worker,
so a request whose time runs out in the demo is escalated without anyone running ``sla-tick``.

The demo runs as a user runs it (its own data folder, its embedded SQLite database, gunicorn, worker,
scheduler). The request is filed after the demo is up, through a separate process, with its
first-response time already over; nothing but the demo's scheduler may escalate it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import template_db

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
        reason="the demo runs on its embedded SQLite database: this test runs in the SQLite pass",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tool(env: dict[str, str], *args: str):
    done = subprocess.run(
        [sys.executable, str(HERE / "ops_tool.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        pytest.fail(f"ops_tool {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_demo_escalates_a_breached_request_on_its_own(request, tmp_path, tmp_path_factory):
    # the run's migrated database as the demo's embedded one (its migrate then has nothing to do): what
    # this test is about starts after the migrations (tests/template_db.py)
    (tmp_path / "home").mkdir()
    template_db.migrated_sqlite(request, tmp_path_factory, tmp_path / "home" / "kechuang.sqlite3")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        KECHUANG_HOME=str(tmp_path / "home"),
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT / "src"), env.get("PYTHONPATH", "")]),
        PYTHONUNBUFFERED="1",
        MATCH_EMBEDDER="hashing",  # the worker's vectors are not what this test is about
        SCHEDULER_INTERVALS="sla-tick=2",  # a district may shorten it the same way
    )
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        demo = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kechuang",
                "demo",
                "--port",
                str(_free_port()),
                "--workers",
                "1",
                "--scale",
                "tiny",  # the escalation needs one enterprise and its commissioner, not the small district
                "--demo-password",
                "Juyuan-Demo-Test-2026",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 300
            while "job sla-tick ok" not in log.read_text(encoding="utf-8", errors="replace"):
                assert demo.poll() is None, log.read_text(encoding="utf-8", errors="replace")[-3000:]
                assert time.monotonic() < deadline, "the demo's scheduler never ran sla-tick"
                time.sleep(0.5)

            tool_env = {**env, "DJANGO_SETTINGS_MODULE": "kechuang.settings.base", "KECHUANG_DEMO": "1"}
            filed = time.time()
            code = _tool(tool_env, "breach")  # the scheduler may take it within two seconds
            state = _tool(tool_env, "request", code)
            deadline = time.monotonic() + 60
            while state["response_escalated_at"] is None:
                assert time.monotonic() < deadline, "the breached request was not escalated within a minute"
                time.sleep(1)
                state = _tool(tool_env, "request", code)
        finally:
            demo.send_signal(signal.SIGTERM)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
    assert state["response_breached"] and state["events"].count("escalated") == 1
    escalated = dt.datetime.fromisoformat(state["response_escalated_at"]).timestamp()
    assert escalated > filed - 1  # after it was filed (clocks of one machine), by nobody but the demo
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "定时任务调度器已启动" in output and "超时升级 1 条" in output
