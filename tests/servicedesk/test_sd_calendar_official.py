"""The shipped calendar (servicedesk/data/holidays_cn.yaml) against an independent source: the
``chinesecalendar`` package (a pinned dev dependency), day by day for every year the file covers.

chinesecalendar 1.11.0 knows 2004–2026. When a newer release knows 2027, the last test here fails: that
is the signal to add 2027 to the data file from the State Council's notice (and to pin the new release).
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from kechuang.servicedesk.choices import CalendarDayKind
from kechuang.servicedesk.workcalendar import calendar_from_file, file_years, parse_calendar_file

# the package's English holiday names → the words the State Council's notices use
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
}


def _days(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize("year", sorted(file_years()))
def test_every_day_of_the_shipped_years_is_a_working_day_exactly_when_chinesecalendar_says_so(year):
    calendar = calendar_from_file()
    differences = [
        (day.isoformat(), calendar.is_working_day(day), chinese_calendar.is_workday(day))
        for day in _days(year)
        if calendar.is_working_day(day) != chinese_calendar.is_workday(day)
    ]
    assert differences == []


@pytest.mark.parametrize("year", sorted(file_years()))
def test_each_holiday_in_the_file_has_the_name_chinesecalendar_gives_it(year):
    for spec in parse_calendar_file():
        if spec.date.year != year or spec.kind != CalendarDayKind.HOLIDAY:
            continue
        on_holiday, name = chinese_calendar.get_holiday_detail(spec.date)
        if on_holiday and name:
            assert NAMES[name] in spec.name, (spec.date, spec.name, name)


def test_the_file_covers_2025_and_2026_and_nothing_unpublished():
    assert sorted(file_years()) == [2025, 2026]


def test_chinesecalendar_does_not_know_2027_yet():
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(dt.date(2027, 1, 4))
