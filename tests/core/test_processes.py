"""Stopping a server a command started: its whole process group, politely first."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from kechuang.core.processes import sigterm_raises_exit, stop_group

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


# a command that starts a server in its own session and stops it in a finally clause, as web-bench and
# load-test do; "guarded" runs that inside sigterm_raises_exit, "decorated" under it as a decorator
COMMAND = """
import subprocess, sys, time
from kechuang.core.processes import sigterm_raises_exit, stop_group

def run():
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        print(server.pid, flush=True)
        time.sleep(120)
    finally:
        stop_group(server, grace=5)

if sys.argv[1] == "guarded":
    with sigterm_raises_exit():
        run()
elif sys.argv[1] == "decorated":  # as the commands' handle methods use it
    sigterm_raises_exit()(run)()
else:
    run()
"""


@pytest.mark.parametrize("mode", ["guarded", "decorated", "plain"])
def test_a_command_sent_sigterm_stops_the_server_it_started_only_when_guarded(mode):
    command = subprocess.Popen(
        [sys.executable, "-c", COMMAND, mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    server = int(command.stdout.readline())
    command.send_signal(signal.SIGTERM)
    try:
        if mode != "plain":
            assert command.wait(timeout=10) == 143  # SystemExit(128 + SIGTERM), after its finally ran
            assert _gone(server)
        else:  # the bug it guards against: the finally never ran and the server outlived its command
            assert command.wait(timeout=10) == -signal.SIGTERM
            assert not _gone(server, within=0.5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server, signal.SIGKILL)


def test_the_previous_sigterm_handler_is_restored_after_the_block():
    previous = signal.getsignal(signal.SIGTERM)
    with sigterm_raises_exit():
        assert signal.getsignal(signal.SIGTERM) is not previous
        with pytest.raises(SystemExit) as raised:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)  # the handler runs between bytecodes, well before this ends
    assert raised.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is previous
