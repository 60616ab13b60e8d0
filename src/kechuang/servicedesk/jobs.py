"""The service desk's periodic job and its line on the scheduler's page (ADR 0014).

``sla-tick`` reminds and escalates every minute. The status note says when a calendar year is not
loaded: how many open requests have due times estimated Monday to Friday (docs/reliability.md M5).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Every, JobContext, StatusNote, job, register_status_note

from . import clock
from .models import OPEN_STATUSES, ServiceRequest
from .services import sla_tick
from .workcalendar import calendar_status


@job(
    "sla-tick",
    schedule=Every(minutes=1),
    label=gettext_lazy("诉求时限检查"),
    description=gettext_lazy("临期提醒专员，超时升级至包保领导并通知"),
    command="kechuang sla-tick",
)
def tick(run: JobContext) -> str:
    return str(sla_tick().summary())


def estimated_open_requests(years: list[int]) -> int:
    """Open requests whose clocks run through one of ``years`` (so their due times are estimates)."""
    overlap = Q()
    for year in years:
        first = dt.datetime(year, 1, 1, tzinfo=clock.TZ)
        after = dt.datetime(year + 1, 1, 1, tzinfo=clock.TZ)
        overlap |= Q(resolution_due_at__gte=first, filed_at__lt=after)
    if not years:
        return 0
    return ServiceRequest.objects.filter(overlap, status__in=list(OPEN_STATUSES)).count()


def calendar_notes() -> list[StatusNote]:
    status = calendar_status()
    if not status.warning:
        return []
    missing = "、".join(str(y) for y in status.missing_years)
    text = _("%(years)s 年的法定节假日与调休安排尚未录入：涉及这些年份的诉求时限按周一至周五估算。") % {
        "years": missing
    }
    count = estimated_open_requests(status.missing_years)
    if count:
        text += _("目前 %(n)s 件未办结诉求的时限为估算值。") % {"n": count}
    text += _("国务院办公厅发布通知后，请在工作日历页录入并确认。")
    return [
        StatusNote(
            text=text,
            level="warning",
            url=reverse("servicedesk:calendar") + f"?year={status.missing_years[-1]}",
            url_label=_("去录入工作日历"),
            testid="calendar-fallback-note",
        )
    ]


register_status_note(calendar_notes)
