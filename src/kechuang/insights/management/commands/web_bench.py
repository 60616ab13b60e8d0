"""``kechuang web-bench``: how fast every main page answers, per role, against the server's own floor.

    kechuang web-bench [--seconds 6] [--concurrency 8] [--workers 2 --threads 4] [--url URL] [--json FILE]
                       [--pages role:/path/,/path/,…]

On the current database: signs in one demo user per role (a server-side session, no password), starts
the production web server (gunicorn with the project's configuration, ``--workers`` × ``--threads``) on
a free loopback port unless ``--url`` names a running one, and drives each main page of each role (the
role's menu, its home page and the load harness's extras) for ``--seconds`` with ``--concurrency``
closed-loop clients (one connection each, in separate processes so the client is not the bottleneck).
Then it prints per page requests/s, p50, p95, p99 and the share of ``/healthz``'s requests/s, with
``/healthz`` measured before and after the pages. When the two ``/healthz`` runs differ by more than
``--max-drift`` (25%) the machine was busy with something else, and the command refuses to report
(exit status 3) rather than print numbers that mean nothing (docs/reliability.md I1, docs/benchmarks.md).
It also refuses to measure signed-out pages: demo accounts outside demo mode, or a session the server
does not know (its personal page must answer 200 first). ``--pages`` measures a subset.

The locust harness (``kechuang load_test``) stays for mixed load and errors under load; this command is
the per-page measurement of issue-tracker tables.
"""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core.processes import sigterm_raises_exit, stop_group

from .load_test import ROLES, _free_port, _pages_of, _session_for


@dataclass
class Measured:
    """One page driven for a while: what came back and how fast."""

    role: str
    path: str
    requests: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    share: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status != 200)


def _client_process() -> None:
    """A client process ends on the pool's SIGTERM whatever handler it inherited from the process that
    forked it (a test process that ran a command with its own handler, such as ``kechuang demo``): with
    that handler a client waiting for work never exits and the pool's shutdown waits for ever."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-quantile (0..1) of already sorted values, nearest rank; 0 for no values."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(q * len(sorted_values))  # nearest rank, 1-based
    return sorted_values[min(len(sorted_values), max(1, rank)) - 1]


def drift(before: float, after: float) -> float:
    """How far apart two runs of the same trivial page are, relative to the faster (0 = identical)."""
    if max(before, after) <= 0:
        return float("inf")
    return abs(before - after) / max(before, after)


def _client(args: tuple[str, int, str, str | None, float, float]) -> tuple[list[float], dict[int, int]]:
    """One closed-loop client: a kept-alive connection, GET after GET until the deadline."""
    host, port, path, cookie, start_at, seconds = args
    headers = {"Host": f"{host}:{port}", "Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connection = http.client.HTTPConnection(host, port, timeout=30)
    while time.time() < start_at:  # every client starts at the same moment
        time.sleep(0.001)
    deadline = start_at + seconds
    while True:
        started = time.perf_counter()
        if time.time() >= deadline:
            break
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    connection.close()
    return latencies, statuses


def chosen(role: str, path: str, pages: str) -> bool:
    """Whether ``--pages`` (``role:/path/`` or ``/path/`` entries, comma-separated; empty: all) takes it."""
    wanted = [entry.strip() for entry in pages.split(",") if entry.strip()]
    return not wanted or f"{role}:{path}" in wanted or path in wanted


def unmatched(pages: str, offered: list[tuple[str, str]]) -> list[str]:
    """The ``--pages`` entries that name no main page of any measured role (a typo, or a page web-bench
    does not measure): reported instead of silently measuring less than asked."""
    wanted = [entry.strip() for entry in pages.split(",") if entry.strip()]
    return [entry for entry in wanted if not any(chosen(role, path, entry) for role, path in offered)]


def signed_in(url: str, cookie: str) -> bool:
    """Whether the server knows this session's user: the personal page answers 200, not a redirect to
    the login page (a page measured signed out would be another page)."""
    from django.urls import reverse

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    try:
        connection.request("GET", reverse("accounts:profile"), headers={"Cookie": cookie})
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def drive(
    pool: Any, url: str, path: str, *, cookie: str | None, role: str, seconds: float, concurrency: int
) -> Measured:
    """``concurrency`` clients on ``path`` for ``seconds``; the latencies merged into one Measured."""
    parts = urllib.parse.urlsplit(url)
    start_at = time.time() + 0.2
    jobs = [(parts.hostname or "127.0.0.1", parts.port or 80, path, cookie, start_at, seconds)] * concurrency
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    for part, codes in pool.map(_client, jobs):
        latencies.extend(part)
        for status, count in codes.items():
            statuses[status] = statuses.get(status, 0) + count
    latencies.sort()
    return Measured(
        role=role,
        path=path,
        requests=len(latencies),
        seconds=seconds,
        statuses=statuses,
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
    )


class Command(BaseCommand):
    help = "每个角色的主要页面：每秒请求数、p50/p95/p99，以及相对 /healthz 的比例（同一次运行内测得）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seconds", type=float, default=6.0, help="每个页面的测量时长（秒）")
        parser.add_argument("--concurrency", type=int, default=8, help="同时请求的客户端数")
        parser.add_argument("--workers", type=int, default=2, help="启动的 gunicorn 进程数")
        parser.add_argument("--threads", type=int, default=4, help="每个 gunicorn 进程的线程数")
        parser.add_argument("--url", default="", help="已在运行的服务器（同一数据库），不另行启动")
        parser.add_argument("--roles", default=",".join(ROLES), help="逗号分隔的角色，默认全部")
        parser.add_argument(
            "--pages",
            default="",
            help="逗号分隔，只测这些页面：角色:/路径/ 或 /路径/（所有角色），默认每个角色的全部主要页面",
        )
        parser.add_argument("--max-drift", type=float, default=0.25, help="前后两次 /healthz 允许的差异")
        parser.add_argument("--json", default="", help="另存结果为 JSON 文件")

    @sigterm_raises_exit()  # stopped by SIGTERM, it stops the server it started too (its finally)
    def handle(self, *args: Any, **options: Any) -> None:
        from kechuang.accounts.backends import demo_account_refused
        from kechuang.accounts.models import User  # type: ignore[attr-defined]

        if not 1 <= options["concurrency"] <= 64 or not 0 < options["seconds"] <= 600:
            raise CommandError("--concurrency 1…64, --seconds 0…600：这是一个只打本机回环地址的有界测量。")
        plans = []
        offered: list[tuple[str, str]] = []  # every (role, main page) there is, for --pages
        for role in [r.strip() for r in options["roles"].split(",") if r.strip()]:
            if role not in ROLES:
                raise CommandError(f"未知角色 {role}；可选：{', '.join(ROLES)}")
            user = User.objects.filter(groups__name=role, is_active=True).order_by("pk").first()
            if user is None:
                self.stderr.write(f"没有启用的 {role} 用户：跳过该角色")
                continue
            if demo_account_refused(user):
                # the server would treat the session as signed out and every page as the public one
                raise CommandError(
                    f"{role} 是演示账号，演示模式未开启时不能登录，测得的将是未登录的页面。"
                    "请以演示模式运行（KECHUANG_DEMO=1 kechuang web-bench），与 kechuang demo 的服务器相同。"
                )
            cookie = f"{settings.SESSION_COOKIE_NAME}={_session_for(user)}"
            main_pages = list(dict.fromkeys(["/", *_pages_of(user, role)]))
            offered.extend((role, path) for path in main_pages)
            pages = [path for path in main_pages if chosen(role, path, options["pages"])]
            if pages:
                plans.append((role, cookie, pages))
        if missing := unmatched(options["pages"], offered):
            known = "，".join(f"{role}:{path}" for role, path in offered)
            raise CommandError(
                f"--pages 中的 {'，'.join(missing)} 不是所测角色的主要页面（写法为 角色:/路径/ 或 /路径/）。"
                f"可测的页面：{known}"
            )
        if not plans:
            raise CommandError(
                "没有任何角色的用户：请先载入演示数据（kechuang demo 或 kechuang demo-data）。"
            )

        server = None if options["url"] else self._start(options["workers"], options["threads"])
        url = options["url"].rstrip("/") or server[1]  # type: ignore[index]
        try:
            results = self._measure(url, plans, options)
        finally:
            if server is not None:
                stop_group(server[0], grace=20)
        self._report(results, options)

    def _start(self, workers: int, threads: int) -> tuple[subprocess.Popen[bytes], str]:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = Path(tempfile.mkdtemp(prefix="kc-web-bench-")) / "server.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "kechuang",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                ],
                env={
                    **os.environ,
                    "WEB_THREADS": str(threads),
                    "WEB_ACCESS_LOG": "",
                    "WEB_LOG_LEVEL": "warning",
                    "WEB_MAX_REQUESTS": "0",  # no worker is replaced (and its index rebuilt) mid-measurement
                },
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:  # a SIGTERM (sigterm_raises_exit) while it starts: stopped here, the caller has no handle yet
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise CommandError(f"服务器启动失败：\n{log.read_text(errors='replace')[-3000:]}")
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    connection.request("GET", "/healthz")
                    body = connection.getresponse().read()
                    if json.loads(body).get("matching") == "ready":
                        break
                except (OSError, ValueError, http.client.HTTPException):
                    pass
                time.sleep(0.3)
            else:
                raise CommandError("服务器三分钟内未就绪（/healthz 的 matching 不是 ready）。")
        except BaseException:
            stop_group(process, grace=20)
            raise
        self.stdout.write(f"gunicorn {url}：{workers} 个进程 × {threads} 个线程")
        return process, url

    def _measure(
        self, url: str, plans: list[tuple[str, str, list[str]]], options: dict[str, Any]
    ) -> dict[str, Any]:
        seconds, concurrency = options["seconds"], options["concurrency"]
        context = multiprocessing.get_context("fork")
        with context.Pool(concurrency, initializer=_client_process) as pool:
            for role, cookie, _paths in plans:
                if not signed_in(url, cookie):
                    raise CommandError(
                        f"{role} 的会话在服务器上未登录（个人中心转向了登录页）：服务器与本命令是否用同一数据库"
                        "和同一 SECRET_KEY？演示账号另需演示模式（KECHUANG_DEMO=1）。"
                    )
            for role, cookie, paths in plans:  # warm every page once: first visits' caches are not measured
                for path in paths:
                    drive(pool, url, path, cookie=cookie, role=role, seconds=0.3, concurrency=1)
            before = drive(
                pool, url, "/healthz", cookie=None, role="-", seconds=seconds, concurrency=concurrency
            )
            self.stdout.write(f"/healthz（之前）：{before.rps:.0f} 次/秒，p99 {before.p99_ms:.1f} ms")
            pages: list[Measured] = []
            for role, cookie, paths in plans:
                for path in paths:
                    measured = drive(
                        pool, url, path, cookie=cookie, role=role, seconds=seconds, concurrency=concurrency
                    )
                    measured.share = measured.rps / before.rps if before.rps else None
                    pages.append(measured)
                    self.stdout.write(f"  {role:12} {path:48} {measured.rps:7.1f} 次/秒", ending="\n")
            after = drive(
                pool, url, "/healthz", cookie=None, role="-", seconds=seconds, concurrency=concurrency
            )
        self.stdout.write(f"/healthz（之后）：{after.rps:.0f} 次/秒，p99 {after.p99_ms:.1f} ms")
        floor = (before.rps + after.rps) / 2
        for measured in pages:
            measured.share = measured.rps / floor if floor else None
        return {"before": before, "after": after, "pages": pages, "floor_rps": floor}

    def _report(self, results: dict[str, Any], options: dict[str, Any]) -> None:
        before, after, pages = results["before"], results["after"], results["pages"]
        apart = drift(before.rps, after.rps)
        if options["json"]:
            Path(options["json"]).write_text(
                json.dumps(
                    {
                        "seconds": options["seconds"],
                        "concurrency": options["concurrency"],
                        "healthz_before_rps": before.rps,
                        "healthz_after_rps": after.rps,
                        "drift": apart,
                        "pages": [{**asdict(m), "rps": m.rps, "errors": m.errors} for m in pages],
                    },
                    ensure_ascii=False,
                    indent=1,
                ),
                encoding="utf-8",
            )
        if apart > options["max_drift"]:
            self.stderr.write(
                f"前后两次 /healthz 相差 {apart:.0%}（{before.rps:.0f} 与 {after.rps:.0f} 次/秒），超过 "
                f"{options['max_drift']:.0%}：测量期间机器另有负载，结果不可比，不予报告。请在空闲时重跑。"
            )
            sys.exit(3)
        header = (
            f"{'角色':10} {'页面':46} {'次/秒':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'占比':>6} {'错误':>5}"
        )
        self.stdout.write("")
        self.stdout.write(header)
        self.stdout.write("-" * 104)
        for m in sorted(pages, key=lambda m: m.share or 0):
            share = f"{m.share:.1%}" if m.share is not None else "—"
            self.stdout.write(
                f"{m.role:12} {m.path:48} {m.rps:7.1f} {m.p50_ms:7.1f} {m.p95_ms:7.1f} {m.p99_ms:7.1f} "
                f"{share:>6} {m.errors:>5}"
            )
        self.stdout.write(
            f"（时间单位 ms；占比 = 页面每秒请求数 ÷ /healthz 每秒请求数，/healthz 为前后两次的平均 "
            f"{results['floor_rps']:.0f} 次/秒，相差 {apart:.0%}；{options['concurrency']} 个客户端，"
            f"每页 {options['seconds']:g} 秒）"
        )
        failing = [m for m in pages if m.errors]
        for m in failing:
            self.stdout.write(f"  非 200 应答：{m.role} {m.path} {dict(sorted(m.statuses.items()))}")
