"""The load harness's report: ratios from mean latencies, failures listed, saturation flagged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kechuang.insights.management.commands.load_test import Command

FIELDS = [
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Average Response Time",
    "Min Response Time",
    "Requests/s",
    "50%",
    "95%",
    "99%",
]


def _write(prefix: Path, rows: list[dict[str, object]], failures: list[dict[str, object]] = ()) -> None:
    with open(f"{prefix}_stats.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    with open(f"{prefix}_failures.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["Method", "Name", "Error", "Occurrences"])
        writer.writeheader()
        writer.writerows(failures)


def _report(prefix: Path) -> str:
    out = io.StringIO()
    command = Command(stdout=out)
    command._report(prefix)
    return out.getvalue()


def _row(name: str, mean: float, fastest: float, median: float, fails: int = 0) -> dict[str, object]:
    return {
        "Type": "GET",
        "Name": name,
        "Request Count": 100,
        "Failure Count": fails,
        "Average Response Time": mean,
        "Min Response Time": fastest,
        "Requests/s": 10.0,
        "50%": median,
        "95%": median * 2,
        "99%": median * 3,
    }


def test_ratio_is_the_trivial_views_mean_latency_over_the_pages(tmp_path: Path) -> None:
    _write(tmp_path / "s", [_row("trivial /healthz", 4.0, 2.0, 4.0), _row("leader /", 20.0, 15.0, 19.0)])
    text = _report(tmp_path / "s")
    line = next(line for line in text.splitlines() if line.startswith("leader /"))
    assert line.rstrip().endswith("20%")
    assert "failures: 0" in text
    assert "saturated" not in text


def test_failures_are_counted_and_listed_and_saturation_is_flagged(tmp_path: Path) -> None:
    _write(
        tmp_path / "s",
        [_row("trivial /healthz", 400.0, 3.0, 450.0), _row("operator /", 500.0, 20.0, 480.0, fails=2)],
        [{"Method": "GET", "Name": "operator /", "Error": "HTTP 500", "Occurrences": 2}],
    )
    text = _report(tmp_path / "s")
    assert "failures: 2" in text
    assert "failure: operator / HTTP 500 ×2" in text
    assert "saturated" in text
