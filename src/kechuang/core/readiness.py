"""``/readyz``: is the whole platform able to do its work? (docs/adr/0021-observability.md)

``/healthz`` stays the load balancer's liveness probe: it answers from this process with one
``SELECT 1`` and writes nothing. ``/readyz`` asks every part a district depends on:

``database``   one query answers;
``cache``      the shared cache (``CACHE_URL``) stores and returns a value (a key per process);
``storage``    the file storage takes a small file and deletes it again (``core.storage.PROBE_FOLDER``,
               which backups leave out);
``worker``     a task worker said it was alive within ``READYZ_WORKER_SEEN_SECONDS`` and no task ready to
               run has waited longer than ``READYZ_TASK_WAIT_SECONDS`` (skipped when tasks do not go
               through the database);
``scheduler``  a scheduler was seen within ``READYZ_SCHEDULER_SEEN_SECONDS`` (its own heartbeat, a job it
               runs now, or a run it finished: ``--once`` from cron counts) and no job is late by more
               than its interval plus ``READYZ_JOB_GRACE_SECONDS``.

200 when every check passes, 503 otherwise; the body names every check, its state and a few figures,
and lists the failing ones. No error text, address, credential or personal data is sent: a failure is
logged (redacted, with the request id) and answered with a fixed phrase. ``?check=database,cache`` runs
only the named checks (a readiness probe that must not take web servers out of rotation because the
worker stopped). About six queries and one storage write in all; nothing scales with the data.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger("kechuang.readiness")


@dataclass
class CheckResult:
    ok: bool
    detail: str = ""  # a fixed phrase for people, never an exception's text
    figures: dict[str, Any] = field(default_factory=dict)

    def as_json(self, milliseconds: float) -> dict[str, Any]:
        answer: dict[str, Any] = {"state": "ok" if self.ok else "failing", **self.figures}
        if self.detail:
            answer["detail"] = self.detail
        answer["ms"] = round(milliseconds, 1)
        return answer


def _seconds(name: str, default: float) -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, name, default)))


# --- the checks ----------------------------------------------------------------------------------------


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return CheckResult(True, figures={"vendor": connection.vendor})


_cache_key = f"kechuang:readyz:{socket.gethostname()[:40]}:{uuid.uuid4().hex[:8]}"


def check_cache() -> CheckResult:
    """A set and a get of a fresh value under this process's own key (other processes never race it)."""
    value = uuid.uuid4().hex
    cache.set(_cache_key, value, timeout=60)
    if cache.get(_cache_key) != value:
        return CheckResult(False, _("共享缓存写入后读不回同一个值。"))
    return CheckResult(True)


def check_storage() -> CheckResult:
    """Write a small file on the file storage and delete it."""
    from .storage import PROBE_FOLDER

    name = default_storage.save(f"{PROBE_FOLDER}/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        if not default_storage.exists(name):
            return CheckResult(False, _("文件存储写入后找不到刚写入的文件。"))
    finally:
        default_storage.delete(name)
    return CheckResult(True)


def _tasks_in_database() -> bool:
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def check_worker() -> CheckResult:
    from .heartbeat import workers_alive
    from .metrics import task_figures

    if not _tasks_in_database():
        return CheckResult(True, figures={"tasks": "in-process"})  # nothing waits for a worker
    now = timezone.now()
    alive = workers_alive(now)
    figures = task_figures(now)
    waited = figures["oldest_waiting_seconds"]
    answer = {
        "workers_alive": alive,
        "tasks_ready": figures["ready"],
        "oldest_waiting_seconds": round(waited),
    }
    limit = _seconds("READYZ_TASK_WAIT_SECONDS", 300)
    if not alive:
        return CheckResult(False, _("没有正在运行的后台任务进程（kechuang worker）。"), answer)
    if waited > limit.total_seconds():
        return CheckResult(
            False,
            _("最早的待办后台任务已等待 %(n)s 秒（上限 %(limit)s 秒）。")
            % {"n": round(waited), "limit": round(limit.total_seconds())},
            answer,
        )
    return CheckResult(True, figures=answer)


def check_scheduler() -> CheckResult:
    from .metrics import job_figures, schedulers_alive

    now = timezone.now()
    seen_within = _seconds("READYZ_SCHEDULER_SEEN_SECONDS", 120)
    grace = _seconds("READYZ_JOB_GRACE_SECONDS", 300)
    jobs = job_figures(now)
    alive = schedulers_alive(now)
    # a scheduler busy with a long job does not say it is alive meanwhile, but its lease heartbeat runs;
    # `kechuang scheduler --once` from cron leaves only its finished runs
    working = any(j.running or (j.last_finished and j.last_finished >= now - seen_within) for j in jobs)
    late = sorted(j.name for j in jobs if j.lag_seconds > (j.interval + grace).total_seconds())
    answer: dict[str, Any] = {"schedulers_alive": alive, "jobs": len(jobs), "late_jobs": late}
    if not alive and not working:
        return CheckResult(False, _("没有正在运行的定时任务调度器（kechuang scheduler）。"), answer)
    if late:
        return CheckResult(
            False, _("有定时任务超过应运行时间未完成：%(jobs)s。") % {"jobs": "、".join(late)}, answer
        )
    return CheckResult(True, figures=answer)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "worker": check_worker,
    "scheduler": check_scheduler,
}
NEEDS_DATABASE = {"worker", "scheduler"}


def run_checks(names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Run the named checks (all by default); a check that raises is failing, its error only logged."""
    results: dict[str, dict[str, Any]] = {}
    for name in names or list(CHECKS):
        start = time.perf_counter()
        if name in NEEDS_DATABASE and results.get("database", {}).get("state") == "failing":
            result = CheckResult(False, _("数据库不可用，无法检查。"))
        else:
            try:
                result = CHECKS[name]()
            except Exception:
                logger.exception("readiness: the %s check failed", name)
                result = CheckResult(False, _("不可用（详情见服务器日志，按请求编号查找）。"))
        results[name] = result.as_json((time.perf_counter() - start) * 1000)
    return results


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503; ``?check=a,b`` runs only those."""
    wanted = [n.strip() for n in request.GET.get("check", "").split(",") if n.strip()]
    unknown = [n for n in wanted if n not in CHECKS]
    if unknown:
        return JsonResponse(
            {
                "detail": _("未知的检查项：%(names)s。可用：%(known)s。")
                % {"names": "、".join(unknown), "known": "、".join(CHECKS)}
            },
            status=400,
        )
    names = [n for n in CHECKS if n in wanted] if wanted else list(CHECKS)
    if "database" not in names and NEEDS_DATABASE & set(names):
        names = ["database", *names]  # they read the database: ask it first, once
    checks = run_checks(names)
    failing = [name for name, answer in checks.items() if answer["state"] != "ok"]
    _log_change(failing)
    body = {"status": "failing" if failing else "ok", "checks": checks, "failing": failing}
    response = JsonResponse(body, status=503 if failing else 200, json_dumps_params={"ensure_ascii": False})
    # Django logs every 5xx answer as an error; a probe every few seconds would repeat one line
    # thousands of times, so only a change is logged (above)
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


_last_failing: list[str] = []


def _log_change(failing: list[str]) -> None:
    """One log line when this process sees the set of failing checks change (not one per probe)."""
    global _last_failing
    if failing == _last_failing:
        return
    if failing:
        logger.warning("readiness: failing %s", ", ".join(failing))
    else:
        logger.info("readiness: every check passes again")
    _last_failing = list(failing)
