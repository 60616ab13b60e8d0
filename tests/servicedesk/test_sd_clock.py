"""docs/reliability.md H1: due times on the working-day clock, against values computed by hand, to the minute.

The rule (kechuang.servicedesk.clock): office hours 09:00–17:30 on working days (Mon–Fri, minus public
holidays, plus 调休 working weekends); N working days = N × 8.5 working hours counted from the moment of
filing, or from the next opening when filed outside office hours; a clock that runs out exactly at
closing is due at 17:30 that day. The calendar is the official one (data/holidays_cn.yaml).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sd_helpers import at

from kechuang.servicedesk import clock
from kechuang.servicedesk.workcalendar import calendar_from_file

CAL = calendar_from_file()

# (filed at, working days, due at) — each worked out by hand below.
HAND_COMPUTED = [
    # Wed 30 Sep 2026 15:00, 2 days = 17 h: 30 Sep 15:00–17:30 (2.5 h); 1–7 Oct National Day holiday;
    # Thu 8 Oct 8.5 h (11 h in all); Fri 9 Oct 09:00 + 6 h = 15:00.
    (at(2026, 9, 30, 15), 2, at(2026, 10, 9, 15)),
    # the same with 1 day: 2.5 h on 30 Sep, 6 h on 8 Oct → 15:00.
    (at(2026, 9, 30, 15), 1, at(2026, 10, 8, 15)),
    # Fri 13 Feb 2026 10:00, 1 day: 7.5 h on Friday, 1 h on Sat 14 Feb (调休 working day) → 10:00 Saturday.
    (at(2026, 2, 13, 10), 1, at(2026, 2, 14, 10)),
    # the same with 2 days (17 h): 7.5 h Friday, 8.5 h all Saturday (16 h); Spring Festival 15–23 Feb;
    # Tue 24 Feb 09:00 + 1 h = 10:00.
    (at(2026, 2, 13, 10), 2, at(2026, 2, 24, 10)),
    # Sat 14 Feb 2026 16:00 (a working day): 1.5 h on Saturday, holiday to 23 Feb, 7 h on 24 Feb → 16:00.
    (at(2026, 2, 14, 16), 1, at(2026, 2, 24, 16)),
    # Sat 28 Feb 2026 (调休 working day) 09:00, 1 day: the whole Saturday → 17:30 the same day.
    (at(2026, 2, 28, 9), 1, at(2026, 2, 28, 17, 30)),
    # filed on a holiday (Fri 2 Oct 2026 11:00): the clock starts Thu 8 Oct 09:00 → 17:30 that day.
    (at(2026, 10, 2, 11), 1, at(2026, 10, 8, 17, 30)),
    # after hours (Wed 30 Sep 2026 18:00): starts Thu 8 Oct 09:00 → 17:30.
    (at(2026, 9, 30, 18), 1, at(2026, 10, 8, 17, 30)),
    # before hours (Thu 8 Oct 2026 07:30): starts 09:00 the same day → 17:30.
    (at(2026, 10, 8, 7, 30), 1, at(2026, 10, 8, 17, 30)),
    # exactly at closing (Fri 9 Oct 2026 17:30): starts Sat 10 Oct 09:00 (调休 working day) → 17:30 Sat.
    (at(2026, 10, 9, 17, 30), 1, at(2026, 10, 10, 17, 30)),
    # an ordinary weekend: Fri 13 Mar 2026 16:00, 1 day: 1.5 h Friday, 7 h Monday → Mon 16 Mar 16:00.
    (at(2026, 3, 13, 16), 1, at(2026, 3, 16, 16)),
    # Sunday (Sun 15 Mar 2026 10:00), 1 day: starts Mon 09:00 → Mon 17:30.
    (at(2026, 3, 15, 10), 1, at(2026, 3, 16, 17, 30)),
    # Mon 16 Mar 2026 09:00, 1 day → 17:30 the same day (not 09:00 next morning).
    (at(2026, 3, 16, 9), 1, at(2026, 3, 16, 17, 30)),
    # Labour Day 2026: Thu 30 Apr 12:00, 5 days = 42.5 h: 5.5 h on 30 Apr; 1–5 May holiday; Wed 6, Thu 7,
    # Fri 8 May (25.5 h → 31 h); Sat 9 May 调休 (39.5 h); Sun 10 May rest; Mon 11 May 09:00 + 3 h = 12:00.
    (at(2026, 4, 30, 12), 5, at(2026, 5, 11, 12)),
    # New Year 2026: Wed 31 Dec 2025 10:00, 1 day: 7.5 h on 31 Dec; 1–3 Jan holiday; Sun 4 Jan 调休
    # working day, 09:00 + 1 h → 10:00 Sunday.
    (at(2025, 12, 31, 10), 1, at(2026, 1, 4, 10)),
    # Spring Festival 2025: Fri 24 Jan 14:00, 2 days: 3.5 h Friday; Sat 25 rest; Sun 26 Jan 调休 8.5 h
    # (12 h); Mon 27 Jan 09:00 + 5 h = 14:00.
    (at(2025, 1, 24, 14), 2, at(2025, 1, 27, 14)),
    # the same with 3 days (25.5 h): 3.5 h Friday, 8.5 h Sun 26 Jan, 8.5 h all Mon 27 Jan (20.5 h);
    # 28 Jan–4 Feb holiday; Wed 5 Feb 09:00 + 5 h = 14:00.
    (at(2025, 1, 24, 14), 3, at(2025, 2, 5, 14)),
    # National Day 2025: Fri 26 Sep 17:00, 3 days = 25.5 h: 0.5 h Friday; Sat 27 rest; Sun 28 Sep 调休
    # 8.5 h (9 h); Mon 29 Sep 8.5 h (17.5 h); Tue 30 Sep 09:00 + 8 h = 17:00.
    (at(2025, 9, 26, 17), 3, at(2025, 9, 30, 17)),
    # ... and one more day crosses 1–8 Oct 2025: Tue 30 Sep 17:00 + 0.5 h, 8 h on Thu 9 Oct → 17:00.
    (at(2025, 9, 30, 17), 1, at(2025, 10, 9, 17)),
    # Labour Day 2025: Fri 25 Apr 15:30, 1 day: 2 h Friday; Sat 26 rest; Sun 27 Apr 调休, 09:00 + 6.5 h →
    # 15:30 Sunday.
    (at(2025, 4, 25, 15, 30), 1, at(2025, 4, 27, 15, 30)),
    # Dragon Boat 2025 (31 May–2 Jun): Fri 30 May 11:00, 1 day: 6.5 h Friday, 2 h on Tue 3 Jun → 11:00.
    (at(2025, 5, 30, 11), 1, at(2025, 6, 3, 11)),
    # Mid-Autumn 2026 (25–27 Sep) then 调休 Sun 20 Sep: Fri 18 Sep 2026 17:00, 2 days: 0.5 h Friday,
    # Sun 20 Sep 8.5 h (9 h), Mon 21 Sep 09:00 + 8 h = 17:00.
    (at(2026, 9, 18, 17), 2, at(2026, 9, 21, 17)),
    # minutes are kept: Tue 17 Mar 2026 14:47, 1 day → Wed 18 Mar 14:47.
    (at(2026, 3, 17, 14, 47), 1, at(2026, 3, 18, 14, 47)),
]


@pytest.mark.parametrize(
    ("filed", "days", "due"), HAND_COMPUTED, ids=[f"{f:%Y%m%d-%H%M}+{d}" for f, d, _ in HAND_COMPUTED]
)
def test_due_time_matches_the_hand_computed_value_to_the_minute(filed, days, due):
    assert clock.add_working_days(filed, days, CAL) == due


def test_due_times_are_the_same_instant_whatever_the_timezone_of_the_input():
    filed_utc = at(2026, 9, 30, 15).astimezone(dt.UTC)
    assert clock.add_working_days(filed_utc, 2, CAL) == at(2026, 10, 9, 15)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.add_working_days(dt.datetime(2026, 9, 30, 15), 1, CAL)


def test_calendar_days_of_the_official_notices():
    # 调休 working days are weekends; holidays are not working days
    for day in [
        dt.date(2026, 1, 4),
        dt.date(2026, 2, 14),
        dt.date(2026, 2, 28),
        dt.date(2026, 5, 9),
        dt.date(2026, 9, 20),
        dt.date(2026, 10, 10),
        dt.date(2025, 1, 26),
        dt.date(2025, 2, 8),
        dt.date(2025, 4, 27),
        dt.date(2025, 9, 28),
        dt.date(2025, 10, 11),
    ]:
        assert day.weekday() >= 5 and CAL.is_working_day(day), day
    for day in [
        dt.date(2026, 1, 2),
        dt.date(2026, 2, 16),
        dt.date(2026, 2, 23),
        dt.date(2026, 4, 6),
        dt.date(2026, 5, 5),
        dt.date(2026, 6, 19),
        dt.date(2026, 9, 25),
        dt.date(2026, 10, 7),
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 28),
        dt.date(2025, 2, 4),
        dt.date(2025, 5, 5),
        dt.date(2025, 6, 2),
        dt.date(2025, 10, 8),
    ]:
        assert not CAL.is_working_day(day), day
    assert CAL.is_working_day(dt.date(2026, 10, 8))  # the day after National Day 2026 is a Thursday at work


def test_working_time_between_counts_only_office_hours():
    # Wed 30 Sep 2026 15:00 → Fri 9 Oct 15:00: 2.5 + 8.5 + 6 = 17 h = 1020 min
    assert clock.working_minutes_between(at(2026, 9, 30, 15), at(2026, 10, 9, 15), CAL) == 1020
    assert clock.working_minutes_between(at(2026, 10, 9, 15), at(2026, 9, 30, 15), CAL) == -1020
    assert clock.working_minutes_between(at(2026, 10, 3, 9), at(2026, 10, 3, 17), CAL) == 0  # a holiday


def test_split_minutes_uses_working_days_of_eight_and_a_half_hours():
    span = clock.split_minutes(510 + 135)
    assert (span.days, span.hours, span.minutes) == (1, 2, 15)


moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 20), timezones=st.just(clock.TZ)
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=20 * 510))
def test_property_adding_working_time_then_measuring_it_gives_it_back(start, minutes):
    due = clock.add_working_minutes(start, minutes, CAL)
    assert due >= start
    assert clock.working_time_between(start, due, CAL) == dt.timedelta(minutes=minutes)
    local = due.astimezone(clock.TZ)
    if minutes:
        assert CAL.is_working_day(local.date())
        assert clock.OFFICE_START < local.time() <= clock.OFFICE_END


@settings(max_examples=200, deadline=None)
@given(start=moments, days=st.integers(min_value=1, max_value=15))
def test_property_one_more_working_day_is_one_more_working_day_later(start, days):
    first = clock.add_working_days(start, days, CAL)
    second = clock.add_working_days(start, days + 1, CAL)
    assert clock.working_minutes_between(first, second, CAL) == 510
