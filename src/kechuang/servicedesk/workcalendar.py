"""The editable working-day calendar: loading the official calendars from the data file into the
``CalendarDay`` table, and reading the table back as a pure ``clock.WorkCalendar``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .choices import CalendarDayKind
from .clock import WorkCalendar

DATA_FILE = Path(__file__).resolve().parent / "data" / "holidays_cn.yaml"

# The promised clocks per category (working days) when no SlaPolicy row says otherwise.
DEFAULT_SLA: dict[str, tuple[int, int]] = {
    "policy": (1, 5),
    "space": (1, 10),
    "talent": (1, 10),
    "financing": (2, 15),
    "ip": (1, 10),
    "approval": (1, 5),
    "other": (1, 7),
}


@dataclass(frozen=True)
class DaySpec:
    date: dt.date
    kind: str
    name: str
    source: str


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def parse_calendar_file(path: Path | str | None = None) -> list[DaySpec]:
    """Every exception day in the data file, sorted by date. Raises ValueError on a date listed twice."""
    raw = yaml.safe_load(Path(path or DATA_FILE).read_text(encoding="utf-8")) or {}
    days: dict[dt.date, DaySpec] = {}
    for year, info in sorted((raw.get("years") or {}).items()):
        source = str(info.get("notice") or raw.get("source") or "")[:120]
        for holiday in info.get("holidays") or []:
            name = str(holiday.get("name", ""))[:40]
            first, last = _as_date(holiday["from"]), _as_date(holiday.get("to", holiday["from"]))
            if last < first:
                raise ValueError(f"{year} 年“{name}”的结束日期早于开始日期。")
            day = first
            while day <= last:
                if day in days:
                    raise ValueError(f"{day} 在日历文件中出现了两次。")
                days[day] = DaySpec(day, CalendarDayKind.HOLIDAY, name, source)
                day += dt.timedelta(days=1)
            for value in holiday.get("workdays") or []:
                workday = _as_date(value)
                if workday in days:
                    raise ValueError(f"{workday} 在日历文件中出现了两次。")
                if workday.weekday() < 5:
                    raise ValueError(f"调休上班日 {workday} 不是周末，无需列出。")
                days[workday] = DaySpec(workday, CalendarDayKind.WORKDAY, f"{name}调休", source)
    return [days[d] for d in sorted(days)]


def file_years(path: Path | str | None = None) -> dict[int, str]:
    """The years the data file covers, with the notice each comes from."""
    raw = yaml.safe_load(Path(path or DATA_FILE).read_text(encoding="utf-8")) or {}
    return {
        int(year): str((info or {}).get("notice") or raw.get("source") or "")[:200]
        for year, info in (raw.get("years") or {}).items()
    }


def load_calendar_rows(
    model: Any,
    *,
    year_model: Any = None,
    replace: bool = False,
    path: Path | str | None = None,
    years: set[int] | None = None,
) -> dict[str, int]:
    """Write the data file's days into ``model`` (the CalendarDay model, or its historical version in a
    migration). Existing dates are left alone (operators may have edited them) unless ``replace``.
    With ``year_model`` (CalendarYear), the file's years are also marked as loaded in full."""
    specs = [s for s in parse_calendar_file(path) if years is None or s.date.year in years]
    if year_model is not None:
        covered = {y: notice for y, notice in file_years(path).items() if years is None or y in years}
        have = set(year_model.objects.filter(year__in=list(covered)).values_list("year", flat=True))
        year_model.objects.bulk_create(
            [year_model(year=y, source=notice) for y, notice in sorted(covered.items()) if y not in have]
        )
    existing = {row.date: row for row in model.objects.filter(date__in=[s.date for s in specs])}
    created = updated = unchanged = 0
    new_rows = []
    for spec in specs:
        row = existing.get(spec.date)
        if row is None:
            new_rows.append(model(date=spec.date, kind=spec.kind, name=spec.name, source=spec.source))
            created += 1
        elif replace and (row.kind, row.name, row.source) != (spec.kind, spec.name, spec.source):
            row.kind, row.name, row.source = spec.kind, spec.name, spec.source
            row.save(update_fields=["kind", "name", "source", "updated_at"])
            updated += 1
        else:
            unchanged += 1
    model.objects.bulk_create(new_rows)
    return {"created": created, "updated": updated, "unchanged": unchanged}


def ensure_default_policies(model: Any) -> int:
    """Create the SlaPolicy rows missing for a category; returns how many were created."""
    have = set(model.objects.values_list("category", flat=True))
    rows = [
        model(category=c, response_days=r, resolution_days=d)
        for c, (r, d) in DEFAULT_SLA.items()
        if c not in have
    ]
    model.objects.bulk_create(rows)
    return len(rows)


def loaded_years() -> frozenset[int]:
    """The years whose arrangement is loaded in full (one query)."""
    from .models import CalendarYear

    return frozenset(CalendarYear.objects.values_list("year", flat=True))


def work_calendar() -> WorkCalendar:
    """The calendar as it stands in the database (two queries): its days, and which years are loaded
    (clocks in other years count Monday to Friday and are marked as estimates)."""
    from .models import CalendarDay

    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays).add(day)
    return WorkCalendar.from_days(holidays, workdays, loaded_years=loaded_years())


def shown_calendar() -> WorkCalendar:
    """:func:`work_calendar` for pages that show clocks (request lists, the desk's tabs): kept in the shared
    cache until the next write (``core.figures``; the calendar's own writes, audited or through the admin,
    retire it: ``servicedesk.apps``). Services that set a due time read :func:`work_calendar` itself."""
    from kechuang.core.figures import cached_figures

    return cached_figures("servicedesk:work-calendar", work_calendar)


def shown_loaded_years() -> frozenset[int]:
    """:func:`loaded_years` for the pages' calendar warning: the kept calendar's own, so a page that shows
    clocks and the warning reads one value from the shared cache, not two (docs/adr/0029-page-speed.md)."""
    years = shown_calendar().loaded_years
    return loaded_years() if years is None else years


@dataclass(frozen=True)
class CalendarStatus:
    """Whether this year's and next year's arrangements are loaded, and what to warn about
    (docs/reliability.md M5): from November on, a missing next year; at any time, a missing current year."""

    today: dt.date
    loaded: frozenset[int]

    @property
    def year(self) -> int:
        return self.today.year

    @property
    def next_year(self) -> int:
        return self.today.year + 1

    @property
    def current_missing(self) -> bool:
        return self.year not in self.loaded

    @property
    def next_missing(self) -> bool:
        return self.next_year not in self.loaded

    @property
    def warn_next(self) -> bool:
        return self.today.month >= WARN_FROM_MONTH and self.next_missing

    @property
    def warning(self) -> bool:
        return self.current_missing or self.warn_next

    @property
    def missing_years(self) -> list[int]:
        years = [self.year] if self.current_missing else []
        return years + ([self.next_year] if self.warn_next else [])


WARN_FROM_MONTH = 11  # the State Council usually publishes next year's arrangement in October–November


def calendar_status(today: dt.date | None = None) -> CalendarStatus:
    from . import clock

    today = today or clock.now().astimezone(clock.TZ).date()
    return CalendarStatus(today=today, loaded=shown_loaded_years())


def calendar_from_file(path: Path | str | None = None) -> WorkCalendar:
    """The calendar of the data file alone (for tests and checks; no database)."""
    specs = parse_calendar_file(path)
    return WorkCalendar.from_days(
        [s.date for s in specs if s.kind == CalendarDayKind.HOLIDAY],
        [s.date for s in specs if s.kind == CalendarDayKind.WORKDAY],
    )


def sla_for(category: str) -> tuple[int, int]:
    """(response days, resolution days) for a category: the policy row, else the default."""
    from .models import SlaPolicy

    row = SlaPolicy.objects.filter(category=category).values_list("response_days", "resolution_days").first()
    return (int(row[0]), int(row[1])) if row else DEFAULT_SLA.get(category, DEFAULT_SLA["other"])
