"""The scheduler in one process with a frozen clock (ADR 0014, docs/reliability.md M4): due times on a grid,
at a time of day and on the 1st of the month; a failing job recorded, retried at the next tick and shown
on the operator's page; leases held and taken over; the clean-up job; the command; who sees the page.
Two real scheduler processes at once: test_scheduler_processes.py."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kechuang.core import jobs as registry
from kechuang.core.housekeeping import cleanup
from kechuang.core.jobs import Daily, Every, Job, JobContext, Monthly
from kechuang.core.models import JobRun, JobState, SchedulerProcess
from kechuang.core.scheduler import Scheduler, retry_delay

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=CST)


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment


@pytest.fixture
def probe():
    """Registers test jobs for one test; ``calls`` lists (name, due_at, attempt) of every call."""
    calls: list[tuple[str, dt.datetime, int]] = []
    added: list[str] = []

    def add(name: str, schedule, *, fail_times: int = 0) -> Job:
        def run(context: JobContext) -> str:
            calls.append((name, context.due_at, context.attempt))
            if len([c for c in calls if c[0] == name]) <= fail_times:
                raise RuntimeError(f"探针故障：{name} 第 {context.attempt} 次")
            return f"{name} 完成"

        added.append(name)
        return registry.register(Job(name=name, run=run, schedule=schedule, label=f"探针 {name}"))

    add.calls = calls  # type: ignore[attr-defined]
    yield add
    for name in added:
        registry.unregister(name)


# --- schedules ---------------------------------------------------------------------------------------


def test_every_keeps_its_grid_and_runs_a_missed_stretch_once():
    every = Every(minutes=1)
    due = at(2026, 11, 15, 10, 0)
    assert every.first_due(due) == due
    assert every.next_due(due, at(2026, 11, 15, 10, 0, 3)) == at(2026, 11, 15, 10, 1)
    # ten minutes late: the next point of the grid after now, not ten catch-up runs
    assert every.next_due(due, at(2026, 11, 15, 10, 10, 30)) == at(2026, 11, 15, 10, 11)
    assert every.describe() == "每分钟" and Every(hours=1).describe() == "每小时"
    with translation.override("en"):
        assert every.key() == "every 60s"  # what the state row keeps does not depend on the language
    with pytest.raises(ValueError):
        _ = Every().interval


def test_daily_and_monthly_due_times_in_shanghai_time():
    daily = Daily(dt.time(8, 0))
    assert daily.first_due(at(2026, 11, 15, 7, 0)) == at(2026, 11, 15, 8, 0)
    assert daily.first_due(at(2026, 11, 15, 9, 0)) == at(2026, 11, 16, 8, 0)
    assert daily.next_due(at(2026, 12, 31, 8, 0), at(2026, 12, 31, 8, 0, 5)) == at(2027, 1, 1, 8, 0)
    # 08:00 in Shanghai is 00:00 UTC
    assert daily.first_due(dt.datetime(2026, 11, 14, 23, 30, tzinfo=dt.UTC)) == at(2026, 11, 15, 8, 0)
    monthly = Monthly(day=1, at=dt.time(1, 0))
    assert monthly.first_due(at(2026, 11, 15, 10, 0)) == at(2026, 12, 1, 1, 0)
    assert monthly.next_due(at(2026, 12, 1, 1, 0), at(2026, 12, 1, 1, 0, 2)) == at(2027, 1, 1, 1, 0)
    assert Monthly(day=31).first_due(at(2027, 2, 1, 12, 0)) == at(2027, 2, 28, 1, 0)
    assert monthly.describe() == "每月 1 日 01:00" and daily.describe() == "每天 08:00"


def test_the_platform_declares_its_periodic_jobs_in_the_registry(settings):
    jobs = {j.name: j for j in registry.registered_jobs()}
    assert {
        name: jobs[name].schedule.describe()
        for name in (
            "sla-tick",
            "ledger-expire-holds",
            "vouchers-expire",
            "vouchers-monthly-batch",
            "challenges-close-due",
            "notifications-deliver",
            "notifications-digest",
            "cleanup",
        )
    } == {
        "sla-tick": "每分钟",
        "ledger-expire-holds": "每 5 分钟",
        "vouchers-expire": "每小时",
        "vouchers-monthly-batch": "每月 1 日 01:00",
        "challenges-close-due": "每小时",
        "notifications-deliver": "每分钟",
        "notifications-digest": "每天 08:00",
        "cleanup": "每天 03:30",
    }
    settings.SCHEDULER_INTERVALS = {"sla-tick": 300.0, "cleanup": 5.0}
    assert registry.get_job("sla-tick").schedule.describe() == "每 5 分钟"
    assert registry.get_job("cleanup").schedule.describe() == "每天 03:30"  # only intervals change


# --- running -----------------------------------------------------------------------------------------


def test_an_interval_job_runs_once_per_due_time(probe):
    probe("probe-every", Every(minutes=1))
    clock = Clock(at(2026, 11, 15, 10, 0))
    scheduler = Scheduler(clock=clock, names=["probe-every"])
    assert [r.outcome for r in scheduler.run_due()] == ["ok"]
    clock.set(at(2026, 11, 15, 10, 0, 30))
    assert scheduler.run_due() == []
    assert Scheduler(clock=clock, names=["probe-every"]).run_due() == []  # another scheduler: nothing due
    clock.set(at(2026, 11, 15, 10, 1))
    assert [r.due_at for r in scheduler.run_due()] == [at(2026, 11, 15, 10, 1)]
    clock.set(at(2026, 11, 15, 10, 20, 5))  # the scheduler was down for twenty minutes
    assert len(scheduler.run_due()) == 1
    state = JobState.objects.get(name="probe-every")
    assert state.next_run_at == at(2026, 11, 15, 10, 21) and state.last_outcome == "ok"
    assert [c[1] for c in probe.calls] == [
        at(2026, 11, 15, 10, 0),
        at(2026, 11, 15, 10, 1),
        at(2026, 11, 15, 10, 2),
    ]
    run = JobRun.objects.filter(name="probe-every").first()
    assert run.outcome == "ok" and run.summary == "probe-every 完成" and run.pid and run.host
    assert run.duration_ms is not None and run.finished_at == at(2026, 11, 15, 10, 20, 5)


def test_a_failing_job_is_recorded_retried_at_the_next_tick_and_shown_on_the_page(probe, client, operator):
    probe("probe-fails", Every(hours=1), fail_times=2)
    clock = Clock(at(2026, 11, 15, 10, 0))
    scheduler = Scheduler(clock=clock, names=["probe-fails"])
    [first] = scheduler.run_due()
    assert first.outcome == "failed" and "RuntimeError: 探针故障：probe-fails 第 1 次" in first.error
    state = JobState.objects.get(name="probe-fails")
    assert state.failures == 1 and state.next_run_at == at(2026, 11, 15, 10, 1)
    assert state.last_error.startswith("RuntimeError: 探针故障") and state.last_success_at is None

    client.force_login(operator)
    page = client.get(reverse("core:scheduler")).content.decode()
    assert 'data-testid="jobs-failing"' in page and "探针故障：probe-fails 第 1 次" in page
    assert "等待重试" in page and "已连续失败 1 次" in page

    clock.set(at(2026, 11, 15, 10, 0, 40))
    assert scheduler.run_due() == []  # not before the next tick
    clock.set(at(2026, 11, 15, 10, 1))
    [second] = scheduler.run_due()  # the next tick: attempt 2 of the same due time, fails again
    assert (second.outcome, second.due_at) == ("failed", at(2026, 11, 15, 10, 0))
    assert JobState.objects.get(name="probe-fails").next_run_at == at(2026, 11, 15, 10, 3)  # then 2 minutes
    clock.set(at(2026, 11, 15, 10, 3))
    [third] = scheduler.run_due()
    assert third.outcome == "ok" and third.due_at == at(2026, 11, 15, 10, 0)
    assert [c[2] for c in probe.calls] == [1, 2, 3]
    state.refresh_from_db()
    assert state.failures == 0 and state.last_success_at == at(2026, 11, 15, 10, 3)
    assert state.next_run_at == at(2026, 11, 15, 11, 0)  # back on its hourly grid
    assert list(
        JobRun.objects.filter(name="probe-fails").order_by("started_at").values_list("outcome", "attempt")
    ) == [
        ("failed", 1),
        ("failed", 2),
        ("ok", 3),
    ]
    page = client.get(reverse("core:scheduler")).content.decode()
    assert 'data-testid="jobs-failing"' not in page


def test_retries_back_off_to_thirty_minutes():
    assert [retry_delay(n) for n in range(1, 8)] == [
        dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 30, 30)
    ]


def test_a_held_lease_blocks_other_schedulers_and_an_expired_one_is_taken_over(probe):
    job = probe("probe-lease", Every(minutes=1))
    clock = Clock(at(2026, 11, 15, 10, 0))
    crashed = Scheduler(clock=clock, names=["probe-lease"])
    crashed.ensure_states(clock())
    assert crashed.claim(job, clock()) is not None  # it claims the job, starts it, and dies
    JobRun.objects.create(
        name="probe-lease", due_at=clock(), started_at=clock(), owner=crashed.owner, host="old", pid=1
    )
    other = Scheduler(clock=clock, names=["probe-lease"])
    assert other.claim(job, clock()) is None
    clock.set(at(2026, 11, 15, 10, 4, 59))
    assert other.run_due() == []
    clock.set(at(2026, 11, 15, 10, 5))  # the 5-minute lease has run out
    [result] = other.run_due()
    assert result.outcome == "ok" and result.due_at == at(2026, 11, 15, 10, 0)
    abandoned = JobRun.objects.get(owner=crashed.owner)
    assert abandoned.outcome == "abandoned" and "未完成" in abandoned.error


def test_a_daily_job_at_eight_shanghai_time(probe):
    probe("probe-digest", Daily(dt.time(8, 0)))
    clock = Clock(at(2026, 11, 15, 7, 0))
    scheduler = Scheduler(clock=clock, names=["probe-digest"])
    assert scheduler.run_due() == []
    assert JobState.objects.get(name="probe-digest").next_run_at == at(2026, 11, 15, 8, 0)
    clock.set(at(2026, 11, 15, 7, 59, 59))
    assert scheduler.run_due() == []
    clock.set(at(2026, 11, 15, 8, 0))
    assert [r.due_at for r in scheduler.run_due()] == [at(2026, 11, 15, 8, 0)]
    clock.set(at(2026, 11, 15, 20, 0))
    assert scheduler.run_due() == []
    assert JobState.objects.get(name="probe-digest").next_run_at == at(2026, 11, 16, 8, 0)


def test_the_monthly_settlement_batch_is_due_on_the_first_and_covers_the_month_before():
    clock = Clock(at(2026, 11, 15, 10, 0))
    scheduler = Scheduler(clock=clock, names=["vouchers-monthly-batch"])
    assert scheduler.run_due() == []  # first seen mid-month: waits for the 1st
    assert JobState.objects.get(name="vouchers-monthly-batch").next_run_at == at(2026, 12, 1, 1, 0)
    clock.set(at(2026, 12, 1, 0, 59))
    assert scheduler.run_due() == []
    clock.set(at(2026, 12, 1, 1, 0, 1))
    [result] = scheduler.run_due()
    assert result.outcome == "ok" and result.summary == "2026-11 没有待结算的申请"
    assert JobState.objects.get(name="vouchers-monthly-batch").next_run_at == at(2027, 1, 1, 1, 0)


def test_a_changed_interval_reschedules_the_job(probe, settings):
    probe("probe-hourly", Every(hours=1))
    clock = Clock(at(2026, 11, 15, 10, 0))
    Scheduler(clock=clock, names=["probe-hourly"]).run_due()
    settings.SCHEDULER_INTERVALS = {"probe-hourly": 60}
    clock.set(at(2026, 11, 15, 10, 0, 10))
    assert len(Scheduler(clock=clock, names=["probe-hourly"]).run_due()) == 1
    assert JobState.objects.get(name="probe-hourly").schedule == "every 60s"


# --- the clean-up job --------------------------------------------------------------------------------


def test_cleanup_removes_expired_sessions_old_task_results_lockouts_and_runs_and_keeps_the_rest():
    from axes.models import AccessAttempt, AccessLog
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    Session.objects.create(
        session_key="expired" + "x" * 20, session_data="", expire_date=now - dt.timedelta(hours=1)
    )
    Session.objects.create(
        session_key="current" + "x" * 20, session_data="", expire_date=now + dt.timedelta(hours=1)
    )

    def task(status: str, age_days: int) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="kechuang.transfer.tasks.index_missing",
            backend_name="default",
            run_after=now,
            finished_at=now - dt.timedelta(days=age_days),
        )

    old_ok, new_ok, old_failed = task("SUCCESSFUL", 20), task("SUCCESSFUL", 2), task("FAILED", 20)
    attempt_old = AccessAttempt.objects.create(username="a", ip_address="127.0.0.1", failures_since_start=5)
    AccessAttempt.objects.filter(pk=attempt_old.pk).update(attempt_time=now - dt.timedelta(minutes=10))
    AccessAttempt.objects.create(username="b", ip_address="127.0.0.1", failures_since_start=2)
    log_old = AccessLog.objects.create(username="a", ip_address="127.0.0.1")
    AccessLog.objects.filter(pk=log_old.pk).update(attempt_time=now - dt.timedelta(days=200))
    AccessLog.objects.create(username="a", ip_address="127.0.0.1")
    JobRun.objects.create(name="sla-tick", due_at=now, started_at=now - dt.timedelta(days=100))
    JobRun.objects.create(name="sla-tick", due_at=now, started_at=now - dt.timedelta(days=1))

    summary = cleanup(JobContext(name="cleanup", due_at=now, started_at=now))
    assert summary == {"会话": 1, "任务结果": 1, "锁定与登录记录": 2, "运行记录": 1, "导入与导出文件": 0}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "x" * 20]
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {new_ok.id, old_failed.id}
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["b"]
    assert AccessLog.objects.count() == 1 and JobRun.objects.count() == 1
    del old_ok


# --- the command -------------------------------------------------------------------------------------


def test_scheduler_once_runs_what_is_due_and_exits_1_when_a_job_failed(probe):
    probe("probe-fine", Every(minutes=1))
    probe("probe-broken", Every(minutes=1), fail_times=5)
    out = StringIO()
    call_command("scheduler", "--once", "--job", "probe-fine", stdout=out)
    assert "probe-fine：成功" in out.getvalue()
    out = StringIO()
    call_command("scheduler", "--once", "--job", "probe-fine", stdout=out)
    assert "没有到期的任务" in out.getvalue()
    with pytest.raises(SystemExit) as exit_info:
        call_command("scheduler", "--once", "--job", "probe-broken", stdout=StringIO())
    assert exit_info.value.code == 1
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "sla-tick" in out.getvalue() and "每分钟" in out.getvalue()
    with pytest.raises(CommandError, match="未知的定时任务"):
        call_command("scheduler", "--once", "--job", "no-such-job")


# --- the page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("operator", 200),
        ("commissioner", 403),
        ("leader", 403),
        ("sysadmin", 403),
        ("auditor", 403),
        ("enterprise_user", 403),
        ("anonymous", 302),
    ],
)
def test_only_operators_see_the_scheduler_page(request, client, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("core:scheduler"))
    assert response.status_code == status
    home = client.get("/").content.decode()
    assert (reverse("core:scheduler") in home) == (who == "operator")


def test_scheduler_page_lists_every_job_and_says_whether_a_scheduler_runs(
    client, operator, django_assert_max_num_queries
):
    client.force_login(operator)
    Scheduler(names=["sla-tick", "ledger-expire-holds"]).run_due()
    page = client.get(reverse("core:scheduler")).content.decode()
    for job in registry.registered_jobs():
        assert f'data-job="{job.name}"' in page
    assert "诉求时限检查" in page and "每分钟" in page and "临期提醒 0 条" in page
    assert 'data-testid="scheduler-missing"' in page
    SchedulerProcess.objects.create(
        owner="web-1:4242:abcd", host="web-1", pid=4242, started_at=timezone.now(), seen_at=timezone.now()
    )
    page = client.get(reverse("core:scheduler")).content.decode()
    assert 'data-testid="scheduler-alive"' in page and "web-1" in page
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("core:scheduler"))
    for hours in range(1, 21):
        later = timezone.now() + dt.timedelta(hours=hours)
        Scheduler(names=["sla-tick"], clock=lambda later=later: later).run_due()
    with django_assert_max_num_queries(len(first)):
        response = client.get(reverse("core:scheduler") + "?job=sla-tick")
    assert response.content.decode().count('data-testid="run-row"') == 21
