"""docs/reliability.md M4 with real processes: two ``kechuang scheduler`` processes at once run each job
once per due time (on a SQLite file database in the SQLite pass, on PostgreSQL in the PostgreSQL pass);
a job that raises is recorded as failed and retried; SIGTERM lets a running job finish; ``kechuang
worker`` finishes its task on SIGTERM and logs the outcome; a running worker and scheduler make the
readiness checks pass, and a stopped worker fails them (docs/adr/0021-observability.md).

The processes use the real settings plus a probe app (tests/core/ops_probe) whose jobs write each run
to a file, so the count does not rest on the scheduler's own records alone. Intervals are shortened
through SCHEDULER_INTERVALS and SCHEDULER_RETRY_SECONDS, the settings an operator would use.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db import connection

import template_db

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
# on PostgreSQL the processes share the test database, so what they write must be committed
pytestmark = [pytest.mark.slow] + ([pytest.mark.django_db(transaction=True)] if ON_POSTGRES else [])


def _base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        KECHUANG_HOME=str(home),
        DJANGO_SETTINGS_MODULE="ops_probe_settings",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT / "src"), env.get("PYTHONPATH", "")]),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def migrated_sqlite(request, tmp_path_factory) -> Path | None:
    """A migrated SQLite file, made once per module and copied for each test (SQLite pass only): the run's
    migrated test database when there is one (tests/template_db.py), else a ``migrate`` of a new file."""
    if ON_POSTGRES:
        return None
    home = tmp_path_factory.mktemp("ops-template")
    if template_db.migrated_sqlite(request, tmp_path_factory, home / "kechuang.sqlite3"):
        return home / "kechuang.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "kechuang", "migrate", "-v0"],
        env=_base_env(home),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return home / "kechuang.sqlite3"


@pytest.fixture
def ops_env(tmp_path, migrated_sqlite) -> dict[str, str]:
    """The environment of a process sharing one database with the others of this test."""
    home = tmp_path / "home"
    home.mkdir()
    env = _base_env(home)
    if ON_POSTGRES:
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{s['USER']}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
    else:
        shutil.copy(migrated_sqlite, home / "kechuang.sqlite3")
    env["OPS_PROBE_LOG"] = str(tmp_path / "probe.log")
    return env


def _start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    handle = open(log, "wb")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(
        [sys.executable, "-m", "kechuang", *args], env=env, stdout=handle, stderr=subprocess.STDOUT
    )


def _wait_for(path: Path, text: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8", errors="replace"):
            return
        time.sleep(0.2)
    content = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    pytest.fail(f"{path.name} never said {text!r}:\n{content[-3000:]}")


def _stop(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("the process did not stop within a minute of SIGTERM")


def _tool(env: dict[str, str], *args: str):
    done = subprocess.run(
        [sys.executable, str(HERE / "ops_tool.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"ops_tool {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_m4_two_schedulers_run_each_job_once_per_due_time_and_retry_a_failed_one(ops_env, tmp_path):
    env = {
        **ops_env,
        "OPS_PROBE_EVERY": "1",
        "OPS_PROBE_NAP": "0.3",
        "SCHEDULER_RETRY_SECONDS": "0.5",
        "SCHEDULER_INTERVALS": "sla-tick=1,ledger-expire-holds=1,vouchers-expire=2,challenges-close-due=2",
    }
    logs = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
    processes = [_start(env, log, "scheduler", "--poll", "0.3") for log in logs]
    try:
        for log in logs:
            _wait_for(log, "调度器已启动")
        time.sleep(10)  # both compete for about ten due times of each probe
    finally:
        codes = [_stop(p) for p in processes]
    output = "\n".join(log.read_text(encoding="utf-8", errors="replace") for log in logs)
    assert codes == [0, 0], output[-3000:]

    runs = _tool(env, "runs")
    by_job = defaultdict(list)
    for run in runs:
        by_job[run["name"]].append(run)
    assert {"sla-tick", "ledger-expire-holds", "probe-tick", "probe-fails"} <= set(by_job), sorted(by_job)

    # each job ran once per due time (a failed attempt and its retry are two attempts of one due time)
    for name, job_runs in by_job.items():
        per_attempt = Counter((r["due_at"], r["attempt"]) for r in job_runs)
        assert max(per_attempt.values()) == 1, (name, [k for k, n in per_attempt.items() if n > 1])
        ok = Counter(r["due_at"] for r in job_runs if r["outcome"] == "ok")
        assert max(ok.values(), default=1) == 1, name
        # and never two runs of one job at the same time
        spans = sorted((r["started_at"], r["finished_at"]) for r in job_runs if r["finished_at"])
        for (_s1, end), (start, _e2) in itertools.pairwise(spans):
            assert start >= end - 0.001, (name, "overlapping runs")
    assert len({r["due_at"] for r in by_job["probe-tick"]}) >= 5, "the probe should have run ~10 times"
    assert len({r["pid"] for r in runs}) == 2, "both schedulers should have taken some runs"

    # the probe's own log agrees: one line per due time, as many as the successful runs recorded
    lines = Path(env["OPS_PROBE_LOG"]).read_text(encoding="utf-8").splitlines()
    ticks = [line.split()[1] for line in lines if line.startswith("tick ")]
    assert len(ticks) == len(set(ticks)) == len([r for r in by_job["probe-tick"] if r["outcome"] == "ok"])

    # the failing job: recorded as failed with its error, then retried (attempt 2) for the same due time
    failed = [r for r in by_job["probe-fails"] if r["outcome"] == "failed"]
    assert failed and all("探针故障" in r["error"] for r in failed)
    retried = {r["due_at"] for r in by_job["probe-fails"] if r["outcome"] == "ok" and r["attempt"] == 2}
    assert retried & {r["due_at"] for r in failed}
    assert "job probe-fails failed" in output and "job probe-tick ok" in output

    stopped = _tool(env, "processes")
    assert len(stopped) == 2 and all(p["stopped_at"] for p in stopped)


def test_m4_sigterm_lets_the_running_job_finish_then_the_scheduler_stops(ops_env, tmp_path):
    env = {**ops_env, "OPS_PROBE_SLOW": "3"}
    log = tmp_path / "scheduler.log"
    process = _start(env, log, "scheduler", "--poll", "0.3", "--job", "probe-slow")
    try:
        _wait_for(log, "job probe-slow started")
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-2000:]
    assert "等待任务 probe-slow 完成后退出" in output
    assert "slow-done" in Path(env["OPS_PROBE_LOG"]).read_text(encoding="utf-8")
    runs = _tool(env, "runs")
    assert [(r["name"], r["outcome"]) for r in runs] == [("probe-slow", "ok")]


def test_worker_finishes_its_task_on_sigterm_and_logs_the_outcome(ops_env, tmp_path):
    task_id = _tool(ops_env, "enqueue-nap", "3")
    log = tmp_path / "worker.log"
    process = _start(ops_env, log, "worker", "--interval", "0.2")
    try:
        _wait_for(log, "state=RUNNING")
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output[-2000:]
    assert _tool(ops_env, "task", task_id)["status"] == "SUCCESSFUL"
    assert f"task ops_probe.tasks.nap id={task_id} successful in" in output


def test_a_running_worker_and_scheduler_make_the_platform_ready_and_a_stopped_worker_does_not(
    ops_env, tmp_path
):
    env = {**ops_env, "WORKER_HEARTBEAT_SECONDS": "0.5", "OPS_PROBE_EVERY": "2"}
    assert {name for name, check in _tool(env, "readyz").items() if check["state"] != "ok"} == {
        "worker",
        "scheduler",
    }
    worker = _start(env, tmp_path / "worker.log", "worker", "--interval", "0.2")
    scheduler = _start(env, tmp_path / "scheduler.log", "scheduler", "--poll", "0.5", "--job", "probe-tick")
    try:
        deadline = time.monotonic() + 90
        while True:
            checks = _tool(env, "readyz")
            if all(check["state"] == "ok" for check in checks.values()):
                break
            assert time.monotonic() < deadline, checks
            time.sleep(0.5)
        assert checks["worker"]["workers_alive"] == 1 and checks["scheduler"]["schedulers_alive"] == 1
        [row] = _tool(env, "workers")
        assert row["pid"] == worker.pid and row["stopped_at"] is None
        assert _stop(worker) == 0
        [row] = _tool(env, "workers")
        assert row["stopped_at"] is not None  # marked at once, not after the heartbeat runs out
        checks = _tool(env, "readyz")
        assert checks["worker"]["state"] == "failing" and checks["worker"]["workers_alive"] == 0
        assert checks["scheduler"]["state"] == "ok"
    finally:
        for process in (worker, scheduler):
            if process.poll() is None:
                _stop(process)
