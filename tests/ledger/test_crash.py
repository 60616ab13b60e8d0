"""docs/reliability.md G6: kill the worker mid-posting, crash and restart the database → no partial entry, no
acknowledged posting lost, reconciliation clean.

The test runs its own PostgreSQL cluster (initdb in a temporary folder, as the ``postgres`` user when
the tests run as root), so it can crash the server with ``pg_ctl stop -m immediate`` (no shutdown
checkpoint: the next start replays the WAL, as after a power cut of the database process) without
disturbing the shared server. Two workers are killed while their posting transaction is open: one by
SIGKILL after it wrote the entry, its lines, the balances and the posting record; one leaves through
``os._exit`` right after writing the lines. Every posting a worker acknowledged (printed after commit)
must survive; neither in-flight posting may leave a trace; the same keys, retried, post exactly once.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VENV_BIN = Path(sys.executable).parent


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A throwaway PostgreSQL cluster that the test may crash."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self.as_postgres = os.geteuid() == 0
        if not (self.initdb and self.pg_ctl):
            pytest.skip("initdb/pg_ctl not installed: cannot run a private cluster to crash")
        if self.as_postgres and not shutil.which("runuser"):
            pytest.skip("running as root without runuser: cannot start a private cluster")
        self.base = Path(tempfile.mkdtemp(prefix="kc-crash-"))
        self.data = self.base / "data"
        self.port = _free_port()
        if self.as_postgres:
            shutil.chown(self.base, "postgres")
        os.chmod(self.base, 0o755)  # noqa: S103 - the postgres user must reach its data folder
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/crash"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)

    def init(self) -> None:
        self._run(
            self.initdb,
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self, *settings: str) -> None:
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 " + " ".join(settings)
        self._run(
            self.pg_ctl,
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str) -> None:
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def log(self) -> str:
        try:
            return (self.base / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def cluster():
    instance = Cluster()
    instance.init()
    yield instance
    instance.remove()


def _env(url: str, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        KECHUANG_HOME=str(home),
        DJANGO_SETTINGS_MODULE="kechuang.settings.base",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT / "src"), env.get("PYTHONPATH", "")]),
    )
    return env


def _worker(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HERE / "crash_worker.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=check,
    )


def _killed_mid_posting(env: dict[str, str], *, count: int, stage: str, how: str, key: str) -> list[str]:
    """Run a worker that acknowledges ``count`` postings and then dies inside posting ``key``."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "crash_worker.py"), "post", str(count), stage, how, key],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acknowledged = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ACK "):
            acknowledged.append(line.split()[1])
        elif line.startswith("INFLIGHT"):
            os.kill(process.pid, signal.SIGKILL)  # the transaction is open: entry, lines, balances, posting
            break
        elif line.startswith("UNEXPECTED-COMMIT"):
            pytest.fail("the in-flight posting committed")
    process.wait(timeout=60)
    stderr = process.stderr.read() if process.stderr else ""
    expected = -signal.SIGKILL if how == "pause" else 86
    assert process.returncode == expected, stderr
    assert len(acknowledged) == count, stderr
    return acknowledged


def test_g6_a_worker_killed_mid_posting_and_a_database_crash_lose_nothing_acknowledged(cluster, tmp_path):
    # set up quickly (fsync off while migrating), then run the scenario with durable settings
    cluster.start("-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
    subprocess.run(
        [
            shutil.which("psql") or "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "CREATE DATABASE crash",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    env = _env(cluster.url, tmp_path)
    subprocess.run(
        [str(VENV_BIN / "kechuang"), "migrate", "-v0"], env=env, check=True, capture_output=True, timeout=600
    )
    assert _worker(env, "setup").stdout.strip() == "READY"
    cluster.stop("fast")
    cluster.start()  # fsync, synchronous_commit and full_page_writes back on (the defaults)

    acked = _killed_mid_posting(
        env, count=12, stage="after_posting", how="pause", key="crash:inflight:killed"
    )
    acked += _killed_mid_posting(env, count=7, stage="after_lines", how="exit", key="crash:inflight:exited")

    cluster.stop("immediate")  # the database crashes: no shutdown checkpoint, recovery from the WAL
    cluster.start()
    assert "database system was interrupted" in cluster.log() or "not properly shut down" in cluster.log()

    state = json.loads(_worker(env, "verify").stdout)
    keys = set(state["keys"])
    assert set(acked) <= keys, "an acknowledged posting was lost"
    assert "crash:inflight:killed" not in keys and "crash:inflight:exited" not in keys
    assert state["entries"] == 1 + len(acked)  # the opening entry and every acknowledged one, nothing else
    assert state["lines"] == 2 * state["entries"]
    assert state["balances"]["a"] == 1_000_000 - 1_000 * len(acked)

    reconcile = subprocess.run(
        [str(VENV_BIN / "kechuang"), "ledger-reconcile"], env=env, capture_output=True, text=True, timeout=300
    )
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr

    # the clients retry what they never got an answer for: each posts exactly once
    for key in ("crash:inflight:killed", "crash:inflight:exited"):
        first = json.loads(_worker(env, "retry", key).stdout)
        again = json.loads(_worker(env, "retry", key).stdout)
        assert first["replayed"] is False and again == {"replayed": True, "entry": first["entry"]}
    after = json.loads(_worker(env, "verify").stdout)
    assert after["entries"] == state["entries"] + 2
    assert after["balances"]["a"] == state["balances"]["a"] - 2_000
    reconcile = subprocess.run(
        [str(VENV_BIN / "kechuang"), "ledger-reconcile"], env=env, capture_output=True, text=True, timeout=300
    )
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
