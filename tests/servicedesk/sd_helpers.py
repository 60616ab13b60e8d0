"""Helpers shared by the service-desk tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

import datetime as dt

from kechuang.servicedesk import clock

TZ = clock.TZ


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A moment in China Standard Time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


class FrozenClock:
    """Stands in for ``clock.now``."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment

    def advance(self, **delta: float) -> dt.datetime:
        self.moment = self.moment + dt.timedelta(**delta)
        return self.moment
