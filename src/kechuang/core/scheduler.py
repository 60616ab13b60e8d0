"""Running the periodic jobs of :mod:`kechuang.core.jobs` (``kechuang scheduler``; ADR 0014).

Each job has one ``JobState`` row. A scheduler runs a job only after claiming that row with one
conditional UPDATE — "due, and nobody holds an unexpired lease" — which both SQLite (one writer at a
time) and PostgreSQL (the second UPDATE waits for the first and re-reads the row) answer for exactly
one claimer. While the job runs, a heartbeat thread extends the lease; a scheduler that dies leaves a
lease that runs out, and the next scheduler takes the job over (the job is idempotent). Success moves
the due time to the schedule's next point; failure keeps it and retries after a minute, then backs
off to at most thirty minutes. Every run is recorded (``JobRun``) and logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.db.models import Q
from django.utils import timezone

from . import jobs as registry
from .logging import redact
from .models import JobOutcome, JobRun, JobState, SchedulerProcess

logger = logging.getLogger("kechuang.scheduler")

RETRY_MAX = dt.timedelta(minutes=30)
ALIVE_EVERY = dt.timedelta(seconds=30)  # how often a scheduler says it is alive
ALIVE_WITHIN = dt.timedelta(minutes=2)  # the page counts a scheduler seen this recently as running
ERROR_MAX = 8000


def retry_delay(failures: int) -> dt.timedelta:
    """After ``SCHEDULER_RETRY_SECONDS`` (60: the next tick), then doubling: 1, 2, 4, 8, 16 minutes,
    then every 30 minutes."""
    first = dt.timedelta(seconds=float(getattr(settings, "SCHEDULER_RETRY_SECONDS", 60)))
    delay: dt.timedelta = min(first * (2 ** max(0, failures - 1)), max(first, RETRY_MAX))
    return delay


def _summary(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        value = "，".join(f"{k} {v}" for k, v in value.items())
    return str(value)[:500]


@dataclass(frozen=True)
class RunResult:
    name: str
    due_at: dt.datetime
    outcome: str
    summary: str
    error: str
    duration_ms: int


class Scheduler:
    """One scheduler process. ``clock`` is where it reads the time (tests pass a frozen one)."""

    def __init__(
        self,
        *,
        clock: Callable[[], dt.datetime] = timezone.now,
        poll: float = 10.0,
        names: list[str] | None = None,
    ) -> None:
        self.clock = clock
        self.poll = poll
        self.names = set(names) if names else None
        self.host = socket.gethostname()[:80]
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.stopping = threading.Event()
        self.running_job: str | None = None
        self._last_alive: dt.datetime | None = None

    # --- the job table ------------------------------------------------------------------------------

    def jobs(self) -> dict[str, registry.Job]:
        found = {j.name: j for j in registry.registered_jobs()}
        if self.names is not None:
            unknown = self.names - set(found)
            if unknown:
                raise ValueError("未知的定时任务：" + "、".join(sorted(unknown)))
            found = {name: j for name, j in found.items() if name in self.names}
        return found

    def ensure_states(self, now: dt.datetime) -> None:
        """Create the state rows of new jobs; reschedule jobs whose schedule changed."""
        jobs = self.jobs()
        existing = {s.name: s for s in JobState.objects.filter(name__in=list(jobs))}
        new = []
        for name, job in jobs.items():
            described = job.schedule.key()[:64]
            state = existing.get(name)
            if state is None:
                first = job.schedule.first_due(now)
                new.append(JobState(name=name, schedule=described, due_at=first, next_run_at=first))
            elif state.schedule != described:
                first = job.schedule.first_due(now)
                # only if nobody runs it now; the next run keeps the new rhythm
                JobState.objects.filter(pk=state.pk, lease_owner="").update(
                    schedule=described, due_at=first, next_run_at=first
                )
        if new:
            JobState.objects.bulk_create(new, ignore_conflicts=True)  # another scheduler may add them too

    # --- claiming and running -----------------------------------------------------------------------

    def claim(self, job: registry.Job, now: dt.datetime) -> JobState | None:
        """Take the job's lease if it is due and free. One UPDATE: exactly one claimer wins."""
        free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
        taken = (
            JobState.objects.filter(name=job.name, next_run_at__lte=now)
            .filter(free)
            .update(lease_owner=self.owner, lease_expires_at=now + job.lease, running_since=now)
        )
        if taken != 1:
            return None
        return JobState.objects.get(name=job.name)

    def _heartbeat(self, name: str, lease: dt.timedelta, done: threading.Event) -> None:
        try:
            while not done.wait(max(1.0, lease.total_seconds() / 3)):
                try:
                    JobState.objects.filter(name=name, lease_owner=self.owner).update(
                        lease_expires_at=self.clock() + lease
                    )
                except DatabaseError:
                    logger.warning("scheduler: could not extend the lease of %s", name, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    def run_job(self, job: registry.Job, state: JobState) -> RunResult:
        started = self.clock()
        attempt = state.failures + 1
        # runs that a dead scheduler left "running" are over
        JobRun.objects.filter(name=job.name, outcome=JobOutcome.RUNNING).exclude(owner=self.owner).update(
            outcome=JobOutcome.ABANDONED,
            error="调度器在运行中退出，本次运行未完成（租约到期后由其他调度器接手）。",
        )
        run = JobRun.objects.create(
            name=job.name,
            due_at=state.due_at,
            started_at=started,
            attempt=attempt,
            host=self.host,
            pid=self.pid,
            owner=self.owner,
        )
        JobState.objects.filter(name=job.name, lease_owner=self.owner).update(last_started_at=started)
        # set before the "started" line: a SIGTERM that follows that line finds the job named
        self.running_job = job.name
        logger.info(
            "job %s started (due %s, attempt %s)",
            job.name,
            timezone.localtime(state.due_at).isoformat(),
            attempt,
        )
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job.name, job.lease, done), daemon=True)
        beat.start()
        tick = time.monotonic()
        error = ""
        summary = ""
        try:
            context = registry.JobContext(
                name=job.name, due_at=state.due_at, started_at=started, attempt=attempt
            )
            summary = _summary(job.run(context))
        except Exception as exc:
            error = redact(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")[:ERROR_MAX]
        finally:
            done.set()
            beat.join()
            self.running_job = None
        duration_ms = int((time.monotonic() - tick) * 1000)
        finished = self.clock()
        if error:
            failures = state.failures + 1
            retry_at = finished + retry_delay(failures)
            kept = JobState.objects.filter(name=job.name, lease_owner=self.owner).update(
                lease_owner="",
                lease_expires_at=None,
                running_since=None,
                next_run_at=retry_at,
                last_finished_at=finished,
                last_outcome=JobOutcome.FAILED,
                last_error_at=finished,
                last_error=error,
                failures=failures,
            )
            JobRun.objects.filter(pk=run.pk).update(
                finished_at=finished, outcome=JobOutcome.FAILED, error=error, duration_ms=duration_ms
            )
            logger.error(
                "job %s failed after %d ms (attempt %d, retry at %s): %s",
                job.name,
                duration_ms,
                attempt,
                timezone.localtime(retry_at).isoformat(),
                error.splitlines()[0],
            )
            outcome = JobOutcome.FAILED
        else:
            due = job.schedule.next_due(state.due_at, finished)
            kept = JobState.objects.filter(name=job.name, lease_owner=self.owner).update(
                lease_owner="",
                lease_expires_at=None,
                running_since=None,
                due_at=due,
                next_run_at=due,
                last_finished_at=finished,
                last_outcome=JobOutcome.OK,
                last_success_at=finished,
                last_summary=summary,
                failures=0,
            )
            JobRun.objects.filter(pk=run.pk).update(
                finished_at=finished, outcome=JobOutcome.OK, summary=summary, duration_ms=duration_ms
            )
            logger.info("job %s ok in %d ms: %s", job.name, duration_ms, summary or "-")
            outcome = JobOutcome.OK
        if kept != 1:
            logger.warning("job %s: the lease was lost while it ran (took longer than its lease?)", job.name)
        return RunResult(job.name, state.due_at, outcome, summary, error, duration_ms)

    def run_due(self) -> list[RunResult]:
        """Run every job that is due now, one after another; returns what ran."""
        now = self.clock()
        self.ensure_states(now)
        jobs = self.jobs()
        due = (
            JobState.objects.filter(name__in=list(jobs), next_run_at__lte=now)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
            .order_by("next_run_at", "name")
            .values_list("name", flat=True)
        )
        results = []
        for name in list(due):
            if self.stopping.is_set():
                break
            state = self.claim(jobs[name], self.clock())
            if state is not None:
                results.append(self.run_job(jobs[name], state))
        return results

    # --- the process --------------------------------------------------------------------------------

    def say_alive(self, *, force: bool = False) -> None:
        now = self.clock()
        if not force and self._last_alive and now - self._last_alive < ALIVE_EVERY:
            return
        SchedulerProcess.objects.update_or_create(
            owner=self.owner,
            defaults={"host": self.host, "pid": self.pid, "seen_at": now, "stopped_at": None},
            create_defaults={
                "host": self.host,
                "pid": self.pid,
                "seen_at": now,
                "started_at": now,
            },
        )
        self._last_alive = now

    def say_stopped(self) -> None:
        try:
            SchedulerProcess.objects.filter(owner=self.owner).update(stopped_at=self.clock())
        except DatabaseError:
            logger.warning("scheduler: could not record the stop", exc_info=True)

    def next_wake(self) -> float:
        """Seconds until the next due job, at most ``poll``, with jitter so that several schedulers
        do not poll in step."""
        soonest = (
            JobState.objects.filter(name__in=list(self.jobs()))
            .order_by("next_run_at")
            .values_list("next_run_at", flat=True)
            .first()
        )
        wait = self.poll
        if soonest is not None:
            wait = min(wait, max(0.0, (soonest - self.clock()).total_seconds()))
        return wait + random.uniform(0, min(1.0, self.poll / 2))

    def loop(self) -> None:
        """Run due jobs until asked to stop. Database trouble is logged and retried, never fatal."""
        logger.info("scheduler %s started: %s", self.owner, ", ".join(sorted(self.jobs())))
        try:
            while not self.stopping.is_set():
                close_old_connections()
                wait = self.poll
                try:
                    self.say_alive()
                    self.run_due()
                    wait = self.next_wake()
                except DatabaseError:
                    logger.exception("scheduler: database unavailable; trying again in %.0f s", self.poll)
                    connections.close_all()
                self.stopping.wait(wait)
        finally:
            self.say_stopped()
            logger.info("scheduler %s stopped", self.owner)

    def stop(self) -> None:
        self.stopping.set()


# --- what the operator's page shows ------------------------------------------------------------------


@dataclass
class JobStatus:
    job: registry.Job
    state: JobState | None

    @property
    def running(self) -> bool:
        state = self.state
        return bool(
            state and state.lease_owner and state.lease_expires_at and state.lease_expires_at > timezone.now()
        )

    @property
    def overdue(self) -> bool:
        """Due more than two polls ago and not running: no scheduler is taking it."""
        state = self.state
        return bool(state and not self.running and state.next_run_at < timezone.now() - ALIVE_WITHIN)


def job_statuses() -> list[JobStatus]:
    """Every registered job with its state (one query)."""
    jobs = registry.registered_jobs()
    states = {s.name: s for s in JobState.objects.filter(name__in=[j.name for j in jobs])}
    return [JobStatus(job=j, state=states.get(j.name)) for j in jobs]


def recent_runs(*, name: str = "", limit: int = 50) -> list[JobRun]:
    runs = JobRun.objects.all()
    if name:
        runs = runs.filter(name=name)
    return list(runs.order_by("-started_at", "-id")[:limit])


def schedulers_alive(now: dt.datetime | None = None) -> list[SchedulerProcess]:
    now = now or timezone.now()
    return list(SchedulerProcess.objects.filter(stopped_at__isnull=True, seen_at__gte=now - ALIVE_WITHIN))
