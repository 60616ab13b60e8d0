"""Load harness: gunicorn on loopback with the current database, locust headless, a per-page table.

    kechuang load_test --users 20 --run-time 60s

Starts gunicorn on 127.0.0.1 (a free port), signs in one user per role by creating a server-side
session (no password needed, nothing is fetched), runs locust headless for a bounded time, stops
both, and prints requests/s, p50/p95/p99 and failures per page, with each page's throughput as a
ratio to the trivial view (/healthz) measured in the same run: ratio = mean latency of /healthz ÷
mean latency of the page (under the same concurrency, the throughput one worker reaches on a page is
the inverse of its latency). docs/reliability.md I1.

The ratio is only meaningful below saturation: once requests queue, every page's latency is mostly
waiting and all ratios drift towards 100%. The report therefore prints /healthz's median against its
fastest response and warns when the server was saturated; measure with few users (``--users 2`` on a
2-core machine) for the ratios, with more users for errors under load.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kechuang.core.processes import sigterm_raises_exit, stop_group

ROLES = ("leader", "operator", "commissioner", "enterprise", "institute", "provider", "expert")
# Pages a role reaches beyond its menu (the menu itself comes from accounts.roles.navigation_for).
EXTRA_PAGES: dict[str, list[str]] = {
    "leader": ["/insights/briefing/", "/insights/kpi/transfer.contracts/", "/investment/pipeline/brief/"],
    "operator": ["/insights/kpi/transfer.achievements/", "/events/calendar/"],
}
SKIPPED = ("/admin/",)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _session_for(user: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from kechuang.accounts.middleware import SESSION_KEY as ORG_KEY

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    membership = user.memberships.order_by("pk").first()
    if membership:
        store[ORG_KEY] = membership.organization_id
    store.set_expiry(3600)
    store.save()
    return str(store.session_key)


def _pages_of(user: Any, role: str) -> list[str]:
    """The role's main pages: every entry of its menu, plus the extras above."""
    from kechuang.accounts.roles import navigation_for

    pages = [item["url"] for item in navigation_for(user) if not item["url"].startswith(SKIPPED)]
    return list(dict.fromkeys([*pages, *EXTRA_PAGES.get(role, [])]))


class Command(BaseCommand):
    help = "Walk the main pages of every role under locust on loopback and report rps and p50/p95/p99."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--users", type=int, default=20)
        parser.add_argument("--spawn-rate", type=float, default=10)
        parser.add_argument("--run-time", default="60s")
        parser.add_argument("--workers", type=int, default=4)
        parser.add_argument("--threads", type=int, default=1)

    @sigterm_raises_exit()  # stopped by SIGTERM, it stops the server it started too (its finally)
    def handle(self, *args: Any, **options: Any) -> None:
        from kechuang.accounts.choices import Role
        from kechuang.accounts.models import User  # type: ignore[attr-defined]

        if options["users"] > 200:
            raise CommandError("at most 200 users: this is a bounded loopback harness")
        port = _free_port()
        host = f"http://127.0.0.1:{port}"
        roles = []
        for role in ROLES:
            user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
            if user is None:
                self.stderr.write(f"no active {role} user: role skipped")
                continue
            roles.append({"role": role, "session": _session_for(user), "pages": _pages_of(user, role)})
        if not roles:
            raise CommandError("no users with roles: load demo data first (kechuang demo --scale large)")
        workdir = Path(tempfile.mkdtemp(prefix="kc-load-"))
        plan = workdir / "plan.json"
        plan.write_text(
            json.dumps({"host": host, "cookie_name": settings.SESSION_COOKIE_NAME, "roles": roles})
        )
        env = {
            **os.environ,
            "KC_LOAD_PLAN": str(plan),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "kechuang.settings.base"),
        }
        bin_dir = Path(sys.executable).parent
        gunicorn = subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "kechuang.wsgi:application",
                "--config",
                "python:kechuang.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(options["workers"]),
                "--threads",
                str(options["threads"]),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(workdir / "gunicorn.log", "w"),  # noqa: SIM115
            start_new_session=True,
        )
        try:
            self._wait(host)
            role_map = {r["role"]: Role(r["role"]).label for r in roles}
            self.stdout.write(
                f"gunicorn on {host} ({options['workers']} workers); roles: "
                f"{', '.join(map(str, role_map.values()))}"
            )
            prefix = workdir / "stats"
            locust = subprocess.run(
                [
                    str(bin_dir / "locust"),
                    "-f",
                    str(Path(__file__).resolve().parents[2] / "loadtest" / "locustfile.py"),
                    "--headless",
                    "--host",
                    host,
                    "-u",
                    str(options["users"]),
                    "-r",
                    str(options["spawn_rate"]),
                    "--run-time",
                    options["run_time"],
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--stop-timeout",
                    "5",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=3600,
            )
            if locust.returncode not in (0, 1):
                raise CommandError(f"locust failed: {locust.stderr[-2000:]}")
            self._report(prefix)
        finally:
            stop_group(gunicorn, grace=15)

    def _wait(self, host: str) -> None:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{host}/healthz", timeout=2):  # noqa: S310 (loopback)
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise CommandError("gunicorn did not start")
        # measure the steady state: wait (at most two minutes) until every worker answering has warmed its
        # matching engine, i.e. twenty answers in a row say so
        started, ready_in_a_row = time.monotonic(), 0
        while ready_in_a_row < 20 and time.monotonic() - started < 120:
            try:
                with urllib.request.urlopen(f"{host}/healthz", timeout=5) as response:  # noqa: S310
                    ready = json.loads(response.read()).get("matching") == "ready"
            except (OSError, ValueError):
                ready = False
            ready_in_a_row = ready_in_a_row + 1 if ready else 0
            if not ready:
                time.sleep(0.5)
        self.stdout.write(f"workers warm after {time.monotonic() - started:.1f} s")

    def _report(self, prefix: Path) -> None:
        rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))  # noqa: SIM115
        trivial = next((r for r in rows if r["Name"] == "trivial /healthz"), None)
        floor = float(trivial["Average Response Time"]) if trivial else None
        header = (
            f"{'page':58} {'reqs':>6} {'fail':>5} {'rps':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'ratio':>6}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        failures = 0
        for r in sorted(rows, key=lambda r: (r["Name"] != "trivial /healthz", r["Name"])):
            mean = float(r["Average Response Time"] or 0)
            ratio = f"{floor / mean:.0%}" if floor and mean and r["Name"] != "Aggregated" else ""
            failures += int(r["Failure Count"]) if r["Name"] != "Aggregated" else 0
            self.stdout.write(
                f"{r['Name'][:58]:58} {r['Request Count']:>6} {r['Failure Count']:>5} "
                f"{float(r['Requests/s']):7.1f} {r['50%']:>6} {r['95%']:>6} {r['99%']:>6} {ratio:>6}"
            )
        self.stdout.write(
            f"(times in ms; ratio = mean latency of /healthz ÷ page's mean latency; failures: {failures})"
        )
        if trivial:
            fastest = float(trivial["Min Response Time"] or 0)
            median = float(trivial["50%"] or 0)
            self.stdout.write(f"/healthz: fastest {fastest:.1f} ms, median {median:.1f} ms")
            if fastest and median > 5 * max(fastest, 2.0):
                self.stdout.write(
                    "warning: the server was saturated (requests queued), so the ratios understate the "
                    "differences between pages; run again with fewer --users"
                )
        if failures:
            for r in csv.DictReader(open(f"{prefix}_failures.csv", encoding="utf-8")):  # noqa: SIM115
                self.stdout.write(f"  failure: {r['Name']} {r['Error']} ×{r['Occurrences']}")
