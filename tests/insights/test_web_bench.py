"""``kechuang web-bench`` (issue 15 item 2): it drives a role's main pages against a running server and
reports what it measured, and refuses to report when /healthz moved between its two runs."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from kechuang.insights.management.commands.web_bench import drift, percentile, unmatched

# web-bench's measuring and refusing do not depend on the database the server reads: SQLite pass only
# (docs/adr/0017-test-suite-speed.md)
pytestmark = [pytest.mark.slow, pytest.mark.any_database]


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 0.99) == 7.0 and percentile([], 0.5) == 0.0


def test_drift_is_relative_to_the_faster_run():
    assert (
        drift(100, 100) == 0
        and drift(100, 75) == pytest.approx(0.25)
        and drift(75, 100) == pytest.approx(0.25)
    )
    assert drift(0, 0) == float("inf")


def test_it_measures_every_main_page_of_a_role_on_a_running_server(live_server, operator, tmp_path):
    out, report = io.StringIO(), tmp_path / "bench.json"
    call_command(
        "web_bench",
        url=live_server.url,
        roles="operator",
        seconds=0.3,
        concurrency=2,
        max_drift=100,
        json=str(report),
        stdout=out,
    )
    measured = json.loads(report.read_text(encoding="utf-8"))
    pages = {page["path"]: page for page in measured["pages"]}
    assert {"/", "/vouchers/", "/insights/"} <= set(pages)
    assert all(page["role"] == "operator" and page["requests"] > 0 for page in pages.values())
    assert {path: page["statuses"] for path, page in pages.items() if page["errors"]} == {}
    assert measured["healthz_before_rps"] > 0 and measured["healthz_after_rps"] > 0
    table = out.getvalue()
    assert "占比" in table and "/healthz（之前）" in table and "/vouchers/" in table


def test_it_refuses_to_report_when_the_floor_moved(live_server, operator, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "web_bench", url=live_server.url, roles="operator", seconds=0.2, concurrency=1, max_drift=-1
        )
    assert exit_info.value.code == 3
    assert "不予报告" in capsys.readouterr().err


def test_pages_that_name_no_main_page_are_reported():
    offered = [("operator", "/"), ("operator", "/vouchers/"), ("leader", "/")]
    assert unmatched("", offered) == []
    assert unmatched("operator:/vouchers/, /", offered) == []
    assert unmatched("operator:/ip/,leader:/vouchers/,/nowhere/,leader:/", offered) == [
        "operator:/ip/",
        "leader:/vouchers/",
        "/nowhere/",
    ]


def test_it_refuses_pages_it_would_not_measure_before_starting_anything(operator):
    """A typo in --pages would otherwise measure less than asked, silently."""
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"operator:/nowhere/ 不是所测角色的主要页面") as refused:
        call_command(
            "web_bench",
            url="http://127.0.0.1:9",
            roles="operator",
            pages="operator:/,operator:/nowhere/",
            seconds=0.2,
            concurrency=1,
        )
    assert "operator:/vouchers/" in str(refused.value)  # it lists what can be measured


def test_it_refuses_demo_accounts_outside_demo_mode(operator, settings):
    """Demo accounts cannot sign in unless the site runs in demo mode: the pages would be measured signed
    out, so the command says how to run it instead."""
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False
    operator.is_demo = True
    operator.save(update_fields=["is_demo"])
    with pytest.raises(CommandError, match="KECHUANG_DEMO=1"):
        call_command("web_bench", url="http://127.0.0.1:9", roles="operator", seconds=0.2, concurrency=1)


def test_it_refuses_a_session_the_server_does_not_know(live_server, operator, settings, monkeypatch):
    from django.core.management.base import CommandError

    from kechuang.insights.management.commands import web_bench

    monkeypatch.setattr(web_bench, "_session_for", lambda user: "not-a-session")
    with pytest.raises(CommandError, match="未登录"):
        call_command("web_bench", url=live_server.url, roles="operator", seconds=0.2, concurrency=1)
