"""``kechuang scheduler``: run every periodic job at its due time (ADR 0014, docs/reliability.md M4).

Several schedulers may run at once (on one host or several): a job is claimed through its lease row
in the database, so it runs once per due time. SIGTERM or Ctrl+C lets a running job finish, then
stops; a second signal stops at once (the job's lease runs out and another scheduler takes it over).

``--once`` runs the jobs that are due now and exits (exit status 1 if one failed), for cron users
and tests. ``--list`` shows every job with its schedule and state.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kechuang.core import jobs as registry
from kechuang.core.models import JobState
from kechuang.core.scheduler import Scheduler


class Command(BaseCommand):
    help = "运行定时任务（诉求时限检查、冻结与创新券到期、月度结算、揭榜截止、通知投递与汇总、数据清理），可多实例同时运行。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="只运行当前到期的任务一次后退出（供 cron 使用）"
        )
        parser.add_argument("--list", action="store_true", help="列出所有定时任务及其状态后退出")
        parser.add_argument("--job", action="append", default=None, help="只管理指定任务（可重复），默认全部")
        parser.add_argument(
            "--poll", type=float, default=10.0, help="空闲时检查到期任务的间隔秒数（默认 10）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["poll"] <= 0:
            raise CommandError("--poll 必须大于 0。")
        scheduler = Scheduler(poll=options["poll"], names=options["job"])
        try:
            jobs = scheduler.jobs()
        except ValueError as error:
            raise CommandError(
                f"{error}（可用：{'、'.join(j.name for j in registry.registered_jobs())}）"
            ) from error
        if options["list"]:
            self._list(jobs)
            return
        if options["once"]:
            results = scheduler.run_due()
            for result in results:
                line = f"{result.name}：{'成功' if result.outcome == 'ok' else '失败'}（{result.duration_ms} 毫秒）"
                detail = result.summary if result.outcome == "ok" else result.error.splitlines()[0]
                self.stdout.write(line + (f" {detail}" if detail else ""))
            if not results:
                self.stdout.write("没有到期的任务。")
            if any(r.outcome != "ok" for r in results):
                sys.exit(1)
            return
        self._install_signals(scheduler)
        self.stdout.write(f"调度器已启动（{scheduler.owner}）：{'、'.join(sorted(jobs))}")
        self.stdout.flush()
        scheduler.loop()

    def _install_signals(self, scheduler: Scheduler) -> None:
        def stop(signum: int, _frame: Any) -> None:
            if scheduler.stopping.is_set():
                raise SystemExit(1)  # second signal: stop now; the lease runs out
            if scheduler.running_job:
                self.stderr.write(
                    f"收到 {signal.Signals(signum).name}：等待任务 {scheduler.running_job} 完成后退出。"
                )
            scheduler.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def _list(self, jobs: dict[str, registry.Job]) -> None:
        states = {s.name: s for s in JobState.objects.filter(name__in=list(jobs))}
        local = timezone.localtime
        for name, job in sorted(jobs.items()):
            state = states.get(name)
            nxt = local(state.next_run_at).strftime("%Y-%m-%d %H:%M:%S") if state else "（尚未运行过）"
            last = (
                f"{local(state.last_started_at):%Y-%m-%d %H:%M:%S} {state.get_last_outcome_display()}"
                if state and state.last_started_at
                else "—"
            )
            self.stdout.write(
                f"{name:<24} {job.schedule.describe():<14} 下次 {nxt}  最近 {last}  {job.label}"
            )
