"""The service desk's panel on the home page of enterprises, commissioners, leaders and operators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.figures import cached_figures
from kechuang.core.registry import HomeAlert, HomePanel, HomeSection

from . import clock

STAFF_HOMES = ("commissioner", "leader", "operator")


def _urgent(qs: Any, limit: int = 5) -> list[Any]:
    from .models import OPEN_STATUSES
    from .selectors import annotate_clock_states

    rows = list(
        qs.filter(status__in=list(OPEN_STATUSES))
        .select_related("organization")
        .order_by("resolution_due_at", "id")[:limit]
    )
    return annotate_clock_states(rows)


def calendar_home_alert() -> HomeAlert | None:
    """The operator's notice that a calendar year is not loaded (docs/reliability.md M5)."""
    from .workcalendar import calendar_status

    status = calendar_status()
    if not status.warning:
        return None
    years = "、".join(str(y) for y in status.missing_years)
    if status.current_missing:
        text = _(
            "%(years)s 年的法定节假日与调休安排尚未录入：诉求时限正按周一至周五估算。"
            "请按国务院办公厅的通知录入并确认。"
        ) % {"years": years}
    else:
        text = _(
            "%(years)s 年的法定节假日与调休安排尚未录入。国务院办公厅发布通知后，请在工作日历页录入或导入并确认；"
            "在此之前，跨入 %(years)s 年的诉求时限按周一至周五估算。"
        ) % {"years": years}
    return HomeAlert(
        text=text,
        level="warning",
        url=reverse("servicedesk:calendar") + f"?year={status.missing_years[-1]}",
        url_label=_("录入工作日历"),
        testid="home-calendar-warning",
    )


def servicedesk_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from .permissions import request_visible_to
    from .selectors import figures, my_enterprise_context, request_counts, unassigned_enterprises
    from .views import acting_enterprise

    alerts: list[HomeAlert] = []
    user = request.user
    if role == "enterprise":
        organization = acting_enterprise(request)
        if organization is None:
            return None
        mine = request_visible_to(user).filter(organization=organization)
        context = {
            "role": role,
            "counts": request_counts(actor=user),
            "requests": _urgent(mine),
            **my_enterprise_context(actor=user, organization=organization),
        }
        title = _("我的诉求")
    elif role in STAFF_HOMES:
        visible = request_visible_to(user)
        counts = cached_figures(f"servicedesk:home-counts:{user.pk}", lambda: request_counts(actor=user))
        context = {"role": role, "counts": counts}
        if role == "leader":
            escalated = visible.filter(
                Q(response_escalated_at__isnull=False) | Q(resolution_escalated_at__isnull=False)
            )
            context["requests"] = _urgent(escalated)
            context["total"] = cached_figures(
                f"servicedesk:home-total-90d:{user.pk}",
                lambda: figures(actor=user, since=clock.now() - dt.timedelta(days=90))["total"],
            )
            title = _("企业诉求督办")
        elif role == "operator":
            alert = calendar_home_alert()
            alerts = [alert] if alert else []
            context["requests"] = _urgent(visible)
            context["unassigned"] = cached_figures(
                "servicedesk:unassigned-enterprises", lambda: unassigned_enterprises().count()
            )
            title = _("企业服务")
        else:
            context["requests"] = _urgent(visible.filter(commissioner=user))
            title = _("我的诉求待办")
    else:
        return None
    return HomeSection(
        alerts=alerts,
        panels=[
            HomePanel(
                title=title,
                template="servicedesk/partials/home_panel.html",
                context=context,
                url=reverse("servicedesk:request-list"),
                width="half",
            )
        ],
    )
