"""The suite's speed rests on pytest-xdist's ``--dist loadgroup``: the tests of a heavy session fixture
(the production site) share one worker, so it is built once (tests/conftest.py, ADR 0017). On pytest 9.2
pytest-xdist 3.8 silently stopped grouping and the site was built on both workers; this run of a small
suite, with the grouping this repository uses, fails if an upgrade breaks it again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SAMPLE = """
import os, pathlib, pytest

@pytest.fixture(scope="session")
def heavy_thing():
    return object()

@pytest.mark.parametrize("n", range(6))
def test_grouped(heavy_thing, n):
    pathlib.Path("grouped-%s" % n).write_text(os.environ["PYTEST_XDIST_WORKER"])

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""

CONFTEST = """
import pytest

def pytest_itemcollected(item):
    if "heavy_thing" in item.fixturenames:
        item.add_marker(pytest.mark.xdist_group("heavy"))
"""


def test_tests_of_one_group_run_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "conftest.py").write_text(CONFTEST)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:django", "-q", "-n", "2",
         "--dist", "loadgroup", "-c", os.devnull, "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    workers = {(tmp_path / f"grouped-{n}").read_text() for n in range(6)}
    assert len(workers) == 1, f"the grouped tests ran on {sorted(workers)}"
