"""``kechuang worker``: the background task worker (django-tasks-db's ``db_worker``, every queue).

SIGTERM or Ctrl+C lets the running task finish and then stops; a second signal stops at once and the
interrupted task is recorded as failed.
Each task's outcome is logged with its duration (logger ``kechuang.worker``). A heartbeat thread says
every half minute that the worker is alive (``core.heartbeat``; ``/readyz`` and ``/metrics`` read it).
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from kechuang.core.heartbeat import WorkerHeartbeat

logger = logging.getLogger("kechuang.worker")


def log_outcome(sender: Any, task_result: Any, **kwargs: Any) -> None:
    started, finished = task_result.started_at, task_result.finished_at
    duration = int((finished - started).total_seconds() * 1000) if started and finished else -1
    status = str(getattr(task_result.status, "value", task_result.status))
    path = task_result.task.module_path
    if status == "FAILED":
        errors = getattr(task_result, "errors", None) or []
        error = errors[-1].exception_class_path if errors else "?"
        logger.error("task %s id=%s failed after %d ms: %s", path, task_result.id, duration, error)
    else:
        logger.info("task %s id=%s %s in %d ms", path, task_result.id, status.lower(), duration)


class Command(BaseCommand):
    help = "运行后台任务进程（语义向量等）；收到 SIGTERM 后完成当前任务再退出。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-name", default="*", help="处理的队列，逗号分隔；* 表示全部（默认）")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时的检查间隔秒数（默认 1）")
        parser.add_argument("--batch", action="store_true", help="处理完现有任务后退出")
        parser.add_argument("--max-tasks", type=int, default=None, help="最多处理的任务数，之后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        from django_tasks.signals import task_finished

        task_finished.connect(log_outcome, dispatch_uid="kechuang.worker.log_outcome")
        worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}"
        self.stdout.write(f"后台任务进程已启动（{worker_id}）。")
        self.stdout.flush()
        extra: dict[str, Any] = {}
        if options["max_tasks"]:
            extra["max_tasks"] = options["max_tasks"]
        heartbeat = WorkerHeartbeat(worker_id)
        heartbeat.start()
        try:
            call_command(
                "db_worker",
                queue_name=options["queue_name"],
                interval=options["interval"],
                batch=options["batch"],
                reload=False,
                worker_id=worker_id,
                verbosity=options["verbosity"],
                **extra,
            )
        finally:  # also on SIGTERM: db_worker leaves through sys.exit
            heartbeat.stop()
