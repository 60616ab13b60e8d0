"""Core's own periodic job: clean-up of what grows without bound (ADR 0014).

Expired sessions; finished background-task results (django-tasks-db); lockout records of django-axes
(attempts whose cool-off is over, and the login logs past their retention); the scheduler's own run
records and stopped scheduler processes. How long each is kept comes from the settings
(``*_KEEP_DAYS``); login logs are kept 180 days by default, as the Cybersecurity Law asks of network
logs (at least six months).
"""

from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .jobs import Daily, JobContext, job


def _days(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, name, default)))


def clear_expired_sessions() -> int:
    """Delete expired sessions (database-backed engines; cache engines expire on their own)."""
    if settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        from django.contrib.sessions.models import Session

        return Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return 0


def prune_task_results(now: dt.datetime) -> int:
    from django_tasks_db.models import DBTaskResult

    done = DBTaskResult.objects.finished()
    ok = done.filter(status="SUCCESSFUL", finished_at__lt=now - _days("TASK_RESULTS_KEEP_DAYS", 14))
    failed = done.filter(status="FAILED", finished_at__lt=now - _days("TASK_FAILURES_KEEP_DAYS", 60))
    return ok.delete()[0] + failed.delete()[0]


def prune_lockout_records(now: dt.datetime) -> int:
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cooloff = get_cool_off()
    deleted: int = 0
    if cooloff:
        # an attempt row older than the cool-off locks nobody out any more
        deleted += AccessAttempt.objects.filter(attempt_time__lt=now - cooloff).delete()[0]
    keep = now - _days("LOGIN_LOGS_KEEP_DAYS", 180)
    deleted += AccessLog.objects.filter(attempt_time__lt=keep).delete()[0]
    deleted += AccessFailureLog.objects.filter(attempt_time__lt=keep).delete()[0]
    return int(deleted)


def prune_job_runs(now: dt.datetime) -> int:
    from .models import JobRun, SchedulerProcess, WorkerProcess

    deleted = JobRun.objects.filter(started_at__lt=now - _days("JOB_RUNS_KEEP_DAYS", 90)).delete()[0]
    deleted += SchedulerProcess.objects.filter(seen_at__lt=now - dt.timedelta(days=7)).delete()[0]
    deleted += WorkerProcess.objects.filter(seen_at__lt=now - dt.timedelta(days=7)).delete()[0]
    return deleted


def prune_import_export_files() -> int:
    """Uploaded import files, background-task progress records and export files past their retention."""
    from .exporting import prune as prune_exports
    from .importing.stored import prune_uploads, retention_days

    return prune_uploads() + prune_exports(retention_days())


@job(
    "cleanup",
    schedule=Daily(dt.time(3, 30)),
    label=_("过期数据清理"),
    description=_(
        "过期会话、后台任务结果、登录锁定记录与登录日志（保留 180 天）、定时任务运行记录、过期的导入与导出文件"
    ),
)
def cleanup(run: JobContext) -> dict[str, Any]:
    now = timezone.now()
    return {
        str(_("会话")): clear_expired_sessions(),
        str(_("任务结果")): prune_task_results(now),
        str(_("锁定与登录记录")): prune_lockout_records(now),
        str(_("运行记录")): prune_job_runs(now),
        str(_("导入与导出文件")): prune_import_export_files(),
    }
