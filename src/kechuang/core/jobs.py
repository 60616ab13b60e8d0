"""The registry of periodic jobs that ``kechuang scheduler`` runs (ADR 0014, docs/reliability.md M4).

A module declares a job in its own ``jobs.py`` (found by :func:`registered_jobs`), in one line::

    @job("sla-tick", label=_("诉求时限检查"), schedule=Every(minutes=1))
    def sla_tick(run: JobContext) -> str:
        return services.sla_tick().summary()

or ``register(Job(...))``. A job must be idempotent: after a crash it may run again for the same due
time. It returns a one-line summary (or a dict, or None) that the run record keeps.

Schedules say when a job is due:

* ``Every(minutes=1)``: on a grid anchored at its first run; a missed stretch is run once, not replayed.
* ``Daily(time(8, 0))``: every day at that local time (``TIME_ZONE``, Asia/Shanghai).
* ``Monthly(day=1, at=time(1, 0))``: that day of every month at that local time.

A job first seen by the scheduler is due at once when it runs on an interval, and at its next
occurrence when it runs at a time of day (a monthly batch installed on the 15th waits for the 1st).

Modules may also register status notes for the scheduler's page (:func:`register_status_note`): a
short warning with a link, e.g. the service desk saying that a calendar year is not loaded.

Core imports no domain app: modules register here; nothing here knows them.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


class Schedule(Protocol):
    def first_due(self, now: dt.datetime) -> dt.datetime:
        """When a job never seen before is first due."""

    def next_due(self, due: dt.datetime, now: dt.datetime) -> dt.datetime:
        """The due time after a successful run for ``due`` that finished at ``now`` (always > now)."""

    def describe(self) -> str:
        """In Chinese, for the operator's page."""

    def key(self) -> str:
        """The same in any language (stored, so a changed schedule is noticed)."""


@dataclass(frozen=True)
class Every:
    """Every ``interval`` (seconds, minutes, hours or days, or a timedelta)."""

    seconds: float = 0
    minutes: float = 0
    hours: float = 0
    days: float = 0
    delta: dt.timedelta | None = None

    @property
    def interval(self) -> dt.timedelta:
        interval = self.delta or dt.timedelta(
            seconds=self.seconds, minutes=self.minutes, hours=self.hours, days=self.days
        )
        if interval <= dt.timedelta(0):
            raise ValueError("a job's interval must be positive")
        return interval

    def first_due(self, now: dt.datetime) -> dt.datetime:
        return now

    def next_due(self, due: dt.datetime, now: dt.datetime) -> dt.datetime:
        # the first point of the grid due + k·interval that lies after now: a job that ran late, or a
        # scheduler that was down for an hour, runs once and then keeps its rhythm
        interval = self.interval
        if due > now:
            return due + interval
        steps = (now - due) // interval + 1
        return due + interval * steps

    def describe(self) -> str:
        seconds = int(self.interval.total_seconds())
        if seconds % 86400 == 0:
            return _("每 %(n)s 天") % {"n": seconds // 86400} if seconds != 86400 else _("每天")
        if seconds % 3600 == 0:
            return _("每 %(n)s 小时") % {"n": seconds // 3600} if seconds != 3600 else _("每小时")
        if seconds % 60 == 0:
            return _("每 %(n)s 分钟") % {"n": seconds // 60} if seconds != 60 else _("每分钟")
        return _("每 %(n)s 秒") % {"n": seconds}

    def key(self) -> str:
        return f"every {self.interval.total_seconds():g}s"


@dataclass(frozen=True)
class Daily:
    """Every day at ``at`` local time."""

    at: dt.time

    def _occurrence(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.at, tzinfo=_zone())

    def after(self, moment: dt.datetime) -> dt.datetime:
        day = moment.astimezone(_zone()).date()
        candidate = self._occurrence(day)
        while candidate <= moment:
            day += dt.timedelta(days=1)
            candidate = self._occurrence(day)
        return candidate

    def first_due(self, now: dt.datetime) -> dt.datetime:
        return self.after(now)

    def next_due(self, due: dt.datetime, now: dt.datetime) -> dt.datetime:
        return self.after(max(due, now))

    def describe(self) -> str:
        return _("每天 %(time)s") % {"time": self.at.strftime("%H:%M")}

    def key(self) -> str:
        return f"daily {self.at:%H:%M}"


@dataclass(frozen=True)
class Monthly:
    """On ``day`` of every month (the month's last day when it is shorter) at ``at`` local time."""

    day: int = 1
    at: dt.time = dt.time(1, 0)

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise ValueError("day of month must be 1–31")

    def _occurrence(self, year: int, month: int) -> dt.datetime:
        day = min(self.day, _calendar.monthrange(year, month)[1])
        return dt.datetime.combine(dt.date(year, month, day), self.at, tzinfo=_zone())

    def after(self, moment: dt.datetime) -> dt.datetime:
        local = moment.astimezone(_zone())
        year, month = local.year, local.month
        candidate = self._occurrence(year, month)
        while candidate <= moment:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            candidate = self._occurrence(year, month)
        return candidate

    def first_due(self, now: dt.datetime) -> dt.datetime:
        return self.after(now)

    def next_due(self, due: dt.datetime, now: dt.datetime) -> dt.datetime:
        return self.after(max(due, now))

    def describe(self) -> str:
        return _("每月 %(day)s 日 %(time)s") % {"day": self.day, "time": self.at.strftime("%H:%M")}

    def key(self) -> str:
        return f"monthly {self.day} {self.at:%H:%M}"


@dataclass(frozen=True)
class JobContext:
    """What a running job knows: the due time it serves, when it started, which attempt this is."""

    name: str
    due_at: dt.datetime
    started_at: dt.datetime
    attempt: int = 1


@dataclass(frozen=True)
class Job:
    """A periodic job. ``name`` is its key (also in the run records); ``command`` names the management
    command that does the same by hand, if there is one."""

    name: str
    run: Callable[[JobContext], Any]
    schedule: Schedule
    label: Any
    description: Any = ""
    command: str = ""
    # a running job holds its lease this long past the last heartbeat; a crashed scheduler's job is
    # taken over after at most this long (ADR 0014)
    lease: dt.timedelta = field(default=dt.timedelta(minutes=5))

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 64:
            raise ValueError("a job needs a name of at most 64 characters")


_registry: dict[str, Job] = {}
_discovered = False


def register(job_: Job) -> Job:
    """Add (or replace, by name) a job."""
    _registry[job_.name] = job_
    return job_


def job(
    name: str,
    *,
    schedule: Schedule,
    label: Any,
    description: Any = "",
    command: str = "",
    lease: dt.timedelta | None = None,
) -> Callable[[Callable[[JobContext], Any]], Callable[[JobContext], Any]]:
    """Decorator form of :func:`register`."""

    def decorate(function: Callable[[JobContext], Any]) -> Callable[[JobContext], Any]:
        register(
            Job(
                name=name,
                run=function,
                schedule=schedule,
                label=label,
                description=description,
                command=command,
                lease=lease or dt.timedelta(minutes=5),
            )
        )
        return function

    return decorate


def unregister(name: str) -> None:
    _registry.pop(name, None)


def discover() -> None:
    """Import every installed app's ``jobs`` module once (they register on import)."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    autodiscover_modules("jobs")
    from . import housekeeping  # noqa: F401  (core's own clean-up jobs)


def effective(job_: Job) -> Job:
    """The job with its interval overridden by ``SCHEDULER_INTERVALS`` (name → seconds), if set."""
    overrides = getattr(settings, "SCHEDULER_INTERVALS", {}) or {}
    seconds = overrides.get(job_.name)
    if seconds and isinstance(job_.schedule, Every):
        return replace(job_, schedule=Every(seconds=float(seconds)))
    return job_


def registered_jobs() -> list[Job]:
    """Every registered job, in name order, with the configured intervals."""
    discover()
    return [effective(_registry[name]) for name in sorted(_registry)]


def get_job(name: str) -> Job | None:
    discover()
    found = _registry.get(name)
    return effective(found) if found else None


# --- status notes for the scheduler's page -----------------------------------------------------------


@dataclass(frozen=True)
class StatusNote:
    """A line on the scheduler's page: ``level`` is "warning" or "info"."""

    text: str
    level: str = "warning"
    url: str = ""
    url_label: str = ""
    testid: str = ""


_note_providers: list[Callable[[], list[StatusNote]]] = []


def register_status_note(provider: Callable[[], list[StatusNote]]) -> None:
    if provider not in _note_providers:
        _note_providers.append(provider)


def status_notes() -> list[StatusNote]:
    """Every module's notes; a provider that fails is logged and skipped (the page must still show)."""
    discover()
    notes: list[StatusNote] = []
    for provider in _note_providers:
        try:
            notes.extend(provider() or [])
        except Exception:
            logger.exception("scheduler page: status note provider %r failed", provider)
    return notes
