"""The shared-instrument module's periodic job (ADR 0014): the reminder the day before a booking."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Daily, JobContext, job

from .services import bookings_remind_due


@job(
    "instruments-remind",
    schedule=Daily(at=dt.time(9, 0)),
    label=gettext_lazy("仪器预约提醒"),
    description=gettext_lazy("提醒预约人次日的上机预约（每条预约一次）"),
)
def remind_bookings(run: JobContext) -> str:
    return _("已提醒 %(n)s 条次日预约") % {"n": bookings_remind_due(now=run.due_at)}
