"""A separate process that reads and writes the database the scheduler and worker processes use
(tests/core/test_scheduler_processes.py, test_demo_scheduler.py).

Usage (environment: DJANGO_SETTINGS_MODULE, DATABASE_URL or KECHUANG_HOME):
  ops_tool.py runs                 every JobRun as JSON
  ops_tool.py processes            every SchedulerProcess as JSON
  ops_tool.py workers              every WorkerProcess (task worker heartbeat) as JSON
  ops_tool.py readyz               what /readyz would answer, check by check, as JSON
  ops_tool.py enqueue-nap SECONDS  enqueue ops_probe.tasks.nap, print its id
  ops_tool.py task ID              the task's status as JSON
  ops_tool.py breach               file a request as the demo enterprise whose first-response time has
                                   just run out (not escalated), print its code
  ops_tool.py request CODE         the request's escalation state and event kinds as JSON
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")

import django

django.setup()

from django.utils import timezone  # noqa: E402


def say(value: object) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> None:
    command = argv[1]
    if command == "runs":
        from kechuang.core.models import JobRun

        say(
            [
                {
                    "name": r.name,
                    "due_at": r.due_at.isoformat(),
                    "outcome": r.outcome,
                    "attempt": r.attempt,
                    "pid": r.pid,
                    "started_at": r.started_at.timestamp(),
                    "finished_at": r.finished_at.timestamp() if r.finished_at else None,
                    "error": r.error[:200],
                }
                for r in JobRun.objects.order_by("started_at", "id")
            ]
        )
    elif command == "processes":
        from kechuang.core.models import SchedulerProcess

        say(list(SchedulerProcess.objects.values("owner", "pid", "stopped_at")))
    elif command == "workers":
        from kechuang.core.models import WorkerProcess

        say(list(WorkerProcess.objects.values("worker_id", "pid", "seen_at", "stopped_at")))
    elif command == "readyz":
        from kechuang.core.readiness import run_checks

        say(run_checks())
    elif command == "enqueue-nap":
        from ops_probe.tasks import nap

        say(str(nap.enqueue(float(argv[2])).id))
    elif command == "task":
        from django_tasks_db.models import DBTaskResult

        row = DBTaskResult.objects.get(id=argv[2])
        say({"status": row.status, "worker_ids": row.worker_ids})
    elif command == "breach":
        from kechuang.accounts.models import User
        from kechuang.servicedesk import services
        from kechuang.servicedesk.models import ServiceRequest

        user = User.objects.get(username="enterprise")
        organization = user.memberships.order_by("-is_default", "id").first().organization
        request = services.request_file(
            actor=user,
            organization=organization,
            category="policy",
            title="调度器测试：首次响应已超时的诉求",
            text="用于验证定时任务自动升级。",
        )
        # filed three days ago; its first-response time ran out a minute ago and nobody has answered
        now = timezone.now()
        ServiceRequest.objects.filter(pk=request.pk).update(
            filed_at=now - dt.timedelta(days=3),
            clock_started_at=now - dt.timedelta(days=3),
            response_due_at=now - dt.timedelta(minutes=1),
        )
        say(request.code)
    elif command == "request":
        from kechuang.servicedesk.models import ServiceRequest

        request = ServiceRequest.objects.get(code=argv[2])
        say(
            {
                "response_escalated_at": request.response_escalated_at,
                "response_breached": request.response_breached,
                "events": list(request.events.values_list("kind", flat=True)),
            }
        )
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv)
