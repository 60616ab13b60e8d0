"""The leader's (and operator's) home panel: the five heights, actual against this year's target."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def insights_home_panel(request: HttpRequest, role: str) -> dict[str, Any]:
    if role not in ("leader", "operator"):
        return {}
    from .selectors import current_year, heights, kpi_table

    year = current_year()
    return {
        "home_panels": [
            {
                "title": _("五大高地 · %(year)s 年") % {"year": year},
                "template": "insights/partials/home_panel.html",
                "url": reverse("insights:dashboard"),
                "url_label": _("打开驾驶舱"),
                "context": {"heights": heights(kpi_table(year)), "year": year},
                "testid": "insights-heights",
                "width": "full",
            }
        ]
    }
