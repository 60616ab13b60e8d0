"""The IP module's periodic jobs (ADR 0014): annuity and expiry reminders to the holder's technology
transfer office, and the daily refresh of the high-value flag (ten years of maintenance pass by the
calendar alone)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Daily, JobContext, job

from .services import high_value_refresh_all, reminders_send_due


@job(
    "ip-reminders",
    schedule=Daily(at=dt.time(8, 30)),
    label=gettext_lazy("专利年费与届满提醒"),
    description=gettext_lazy(
        "年费缴纳期限前 60 天内、滞纳期内和保护期届满前 180 天内提醒权利人（每个期限一次）"
    ),
)
def send_reminders(run: JobContext) -> str:
    return _("已发送 %(n)s 条提醒") % {"n": reminders_send_due(today=timezone.localtime(run.due_at).date())}


@job(
    "ip-high-value",
    schedule=Daily(at=dt.time(2, 15)),
    label=gettext_lazy("高价值专利认定"),
    description=gettext_lazy("按维持年限等标准重新认定高价值发明专利"),
)
def refresh_high_value(run: JobContext) -> str:
    return _("%(n)s 件专利的认定有变化") % {
        "n": high_value_refresh_all(today=timezone.localtime(run.due_at).date())
    }
