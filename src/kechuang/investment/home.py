"""The investment panel on the home page of district staff: open leads by stage, clocks run out, key
projects at risk, open retention cases."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection


def investment_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from . import permissions as perms
    from . import selectors

    user = request.user
    if not perms.is_district_staff(user):
        return None
    context = selectors.home_figures(actor=user)
    return HomeSection(
        panels=[
            HomePanel(
                title=_("招商稳商"),
                template="investment/partials/home_panel.html",
                context=context,
                url=reverse("investment:lead-board"),
                url_label=_("招商线索"),
                testid="investment-home",
                width="half",
            )
        ]
    )
