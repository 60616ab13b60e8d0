"""``pytest --cpu-report=N``: the N tests and test files that cost the most CPU time (the test process and
the subprocesses it waited for, user + system), for finding what to cut in the suite (docs/adr/0017).

Wall-clock durations (``--durations``) are meaningless on a shared machine: a test waiting for a core
looks slow. CPU seconds are what the two cores of CI actually spend. A subprocess's time is counted
when it has been waited for, so a session fixture's server is charged to the test during whose
teardown it stopped; the setup of a session fixture is charged to the first test that used it.
Works with pytest-xdist: each phase's seconds travel in the report's ``user_properties``.
"""

from __future__ import annotations

import resource
from collections import defaultdict
from collections.abc import Generator
from typing import Any

import pytest

KEY = "cpu_seconds"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cpu-report",
        type=int,
        default=0,
        metavar="N",
        help="list the N tests and files that used the most CPU time (self + waited-for subprocesses)",
    )


class _Clock:
    last = 0.0


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    if not item.config.getoption("--cpu-report"):
        return
    report = outcome.get_result()
    now = _cpu()
    spent, _Clock.last = now - _Clock.last, now
    report.user_properties = [*report.user_properties, (KEY, spent)]


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    # Time between two tests (collection, scheduling) is not charged to the next test.
    _Clock.last = _cpu()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    count = config.getoption("--cpu-report")
    if not count:
        return
    per_test: dict[str, float] = defaultdict(float)
    for reports in terminalreporter.stats.values():
        for report in reports:
            for key, value in getattr(report, "user_properties", ()):
                if key == KEY:
                    per_test[report.nodeid] += value
    per_file: dict[str, float] = defaultdict(float)
    for nodeid, seconds in per_test.items():
        per_file[nodeid.split("::")[0]] += seconds
    total = sum(per_test.values())
    write = terminalreporter.write_line
    terminalreporter.section(f"CPU seconds: {total:.0f} in {len(per_test)} tests")
    for nodeid, seconds in sorted(per_test.items(), key=lambda kv: -kv[1])[:count]:
        write(f"{seconds:8.1f}  {nodeid}")
    terminalreporter.section("CPU seconds per file")
    for path, seconds in sorted(per_file.items(), key=lambda kv: -kv[1])[:count]:
        write(f"{seconds:8.1f}  {path}")
