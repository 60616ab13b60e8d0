"""The leader's (and operator's) home panel: the five heights, actual against this year's target."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.registry import HomePanel, HomeSection


def insights_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    if role not in ("leader", "operator"):
        return None
    from .selectors import current_year, heights, kpi_table

    year = current_year()
    return HomeSection(
        panels=[
            HomePanel(
                title=_("五大高地 · %(year)s 年") % {"year": year},
                template="insights/partials/home_panel.html",
                url=reverse("insights:dashboard"),
                url_label=_("打开驾驶舱"),
                context={"heights": heights(kpi_table(year)), "year": year},
                testid="insights-heights",
                width="full",
            )
        ]
    )
