"""Stopping a server a command started: its whole process group, politely first."""

import subprocess
import sys
import time

import pytest

from kechuang.core.processes import stop_group

pytestmark = pytest.mark.no_db

# a leader that starts a child in its group, then sleeps; with "ignore" both shrug off SIGTERM
LEADER = """
import os, signal, subprocess, sys, time
if sys.argv[1] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import signal, sys, time\\n"
    + ("signal.signal(signal.SIGTERM, signal.SIG_IGN)\\n" if sys.argv[1] == "ignore" else "")
    + "time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _start(mode):
    process = subprocess.Popen(
        [sys.executable, "-c", LEADER, mode], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    child = int(process.stdout.readline())
    return process, child


def _gone(pid, within=5.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):  # a zombie waits for its reaper only
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_group_that_stops_on_sigterm_is_stopped_with_it_child_and_all():
    process, child = _start("obey")
    started = time.monotonic()
    assert stop_group(process, grace=10) == -15  # SIGTERM
    assert time.monotonic() - started < 5 and _gone(child)


def test_a_group_that_ignores_sigterm_is_killed_after_the_grace():
    process, child = _start("ignore")
    started = time.monotonic()
    assert stop_group(process, grace=0.5) == -9  # SIGKILL
    assert time.monotonic() - started >= 0.5 and _gone(child)


def test_a_group_already_gone_is_not_an_error():
    process, _child = _start("obey")
    stop_group(process, grace=10)
    assert stop_group(process, grace=1) == -15
