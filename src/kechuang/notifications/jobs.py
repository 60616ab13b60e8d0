"""The notification module's periodic jobs (ADR 0014, ADR 0015): copies by email and work chat that are
due (new and retried) every minute, and the daily digest at 08:00 Asia/Shanghai."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Daily, Every, JobContext, job

from .delivery import deliver_due, digest_run


@job(
    "notifications-deliver",
    schedule=Every(minutes=1),
    label=gettext_lazy("通知投递"),
    command="kechuang notifications-deliver",
)
def deliver(run: JobContext) -> str:
    report = deliver_due()
    return _("发送 %(sent)s 条，待重试 %(retry)s 条，失败 %(failed)s 条") % {
        "sent": report.sent,
        "retry": report.retry,
        "failed": report.failed,
    }


@job(
    "notifications-digest",
    schedule=Daily(dt.time(8, 0)),
    label=gettext_lazy("每日通知汇总"),
    command="kechuang notifications-digest",
)
def digest(run: JobContext) -> str:
    report = digest_run()
    return _("新建 %(created)s 封，发送 %(sent)s 封，今日已发过 %(already)s 人") % {
        "created": report.created,
        "sent": report.sent,
        "already": report.already,
    }
