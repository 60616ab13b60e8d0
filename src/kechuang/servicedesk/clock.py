"""The working-day clock of the service desk: pure functions, no Django, no database.

The rule (documented in docs/adr and on the 工作日历 page):

* A **working day** is Monday to Friday, unless the calendar marks it as a public holiday; a Saturday or
  Sunday the calendar marks as a 调休 working day is a working day.
* **Office hours** are 09:00–17:30 (China Standard Time), so one working day is 8.5 working hours
  (510 minutes).
* A clock of **N working days** is N × 510 working minutes, counted only inside office hours of working
  days, starting at the moment of filing. A request filed outside office hours (at night, on a weekend
  or a holiday) starts its clock at the next opening (09:00 of the next working day).
* When the time runs out exactly at a closing time the due time is that closing time (17:30), never the
  next morning.

Within office hours this is the same as "the same clock time N working days later": filed on Wednesday
2026-09-30 at 15:00 with 2 working days, the due time is Friday 2026-10-09 at 15:00 (1–7 October is the
National Day holiday; 8 and 9 October are working days). Filed at night or on a rest day with 1 working
day, the request is due at 17:30 of the next working day.

A year nobody loaded (its State Council notice not yet entered) is never a reason to stop: its dates
count Monday to Friday like any date the calendar does not mention, and a clock that runs through such
a year says that its due time is an estimate (``WorkCalendar.estimated_years``; docs/reliability.md M5).

Everything here takes and returns timezone-aware datetimes; ``now()`` is the one place the desk reads
the time, so tests freeze it by replacing this function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
OFFICE_START = dt.time(9, 0)
OFFICE_END = dt.time(17, 30)
MAX_SCAN_DAYS = 3660  # a calendar with no working day for ten years is a broken calendar


class CalendarError(ValueError):
    """The calendar has no working day within the scanned range."""


def now() -> dt.datetime:
    """The current time (aware, UTC). Tests replace this function to freeze the clock."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are working days, and the office hours of a working day."""

    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # 调休上班: weekend days that are worked
    start: dt.time = OFFICE_START
    end: dt.time = OFFICE_END
    tz: dt.tzinfo = TZ
    # years whose arrangement is loaded in full; None: the calendar does not say (treated as all loaded)
    loaded_years: frozenset[int] | None = None

    @classmethod
    def from_days(
        cls, holidays: Iterable[dt.date], workdays: Iterable[dt.date], **kwargs: object
    ) -> WorkCalendar:
        return cls(holidays=frozenset(holidays), workdays=frozenset(workdays), **kwargs)  # type: ignore[arg-type]

    @property
    def day_length(self) -> dt.timedelta:
        return dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(dt.date.min, self.start)

    @property
    def day_minutes(self) -> int:
        return int(self.day_length.total_seconds() // 60)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def opening(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.start, tzinfo=self.tz)

    def closing(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.end, tzinfo=self.tz)

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        for offset in range(1, MAX_SCAN_DAYS):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError("工作日历在十年内没有任何工作日，请检查日历设置。")

    def is_loaded(self, year: int) -> bool:
        return self.loaded_years is None or year in self.loaded_years

    def estimated_years(self, first: dt.datetime, last: dt.datetime) -> list[int]:
        """The years between two moments (local time, both included) that nobody loaded: a clock over
        that span counted them Monday to Friday, so its due time is an estimate."""
        a, b = _aware(first, self), _aware(last, self)
        if b < a:
            a, b = b, a
        return [year for year in range(a.year, b.year + 1) if not self.is_loaded(year)]

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days in ``[first, last]`` (both included)."""
        count, day = 0, first
        while day <= last:
            count += self.is_working_day(day)
            day += dt.timedelta(days=1)
        return count


def _aware(moment: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("clock functions need timezone-aware datetimes")
    return moment.astimezone(calendar.tz)


def clock_start(moment: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
    """When a clock started at ``moment`` begins to run: ``moment`` itself inside office hours of a
    working day, else the next opening."""
    return add_working_time(moment, dt.timedelta(0), calendar)


def add_working_time(start: dt.datetime, amount: dt.timedelta, calendar: WorkCalendar) -> dt.datetime:
    """The moment when ``amount`` of working time has passed since ``start``."""
    if amount < dt.timedelta(0):
        raise ValueError("amount must not be negative")
    local = _aware(start, calendar)
    day = local.date()
    remaining = amount
    for _ in range(MAX_SCAN_DAYS):
        if calendar.is_working_day(day):
            opening, closing = calendar.opening(day), calendar.closing(day)
            begin = max(local, opening)
            if begin < closing:
                available = closing - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise CalendarError("工作日历在十年内没有足够的工作日，请检查日历设置。")


def add_working_minutes(start: dt.datetime, minutes: int, calendar: WorkCalendar) -> dt.datetime:
    return add_working_time(start, dt.timedelta(minutes=minutes), calendar)


def add_working_days(start: dt.datetime, days: int, calendar: WorkCalendar) -> dt.datetime:
    """The due time of a clock of ``days`` working days started at ``start`` (see the module rule)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return add_working_time(start, calendar.day_length * days, calendar)


def working_time_between(first: dt.datetime, second: dt.datetime, calendar: WorkCalendar) -> dt.timedelta:
    """Working time from ``first`` to ``second``; negative when ``second`` is earlier."""
    a, b = _aware(first, calendar), _aware(second, calendar)
    if b < a:
        return -working_time_between(second, first, calendar)
    total = dt.timedelta(0)
    day = a.date()
    while day <= b.date():
        if calendar.is_working_day(day):
            begin = max(a, calendar.opening(day))
            end = min(b, calendar.closing(day))
            if end > begin:
                total += end - begin
        day += dt.timedelta(days=1)
    return total


def working_minutes_between(first: dt.datetime, second: dt.datetime, calendar: WorkCalendar) -> int:
    """Whole working minutes from ``first`` to ``second`` (rounded towards zero)."""
    seconds = working_time_between(first, second, calendar).total_seconds()
    return int(seconds / 60)


@dataclass(frozen=True)
class Span:
    """A working-time span split into working days, hours and minutes (for display)."""

    days: int
    hours: int
    minutes: int
    negative: bool = False


def split_minutes(minutes: int, calendar: WorkCalendar | None = None) -> Span:
    per_day = (calendar or WorkCalendar()).day_minutes
    negative = minutes < 0
    rest = abs(minutes)
    days, rest = divmod(rest, per_day)
    hours, mins = divmod(rest, 60)
    return Span(days=days, hours=hours, minutes=mins, negative=negative)
