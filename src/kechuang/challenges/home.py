"""The challenge panel on each role's home page (registered in ChallengesConfig.ready)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection

from . import selectors

TEMPLATE = "challenges/partials/home_panel.html"


def challenge_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    user = request.user
    if role in ("operator", "leader"):
        context = {
            "section": "staff",
            "figures": selectors.overall_figures(),
            "todo": selectors.work_queue(actor=user, limit=5),
        }
    elif role in ("enterprise", "institute", "expert"):
        context = {
            "section": role,
            "todo": selectors.work_queue(actor=user, limit=5),
            "open_challenges": list(selectors.open_challenges()[:4]),
        }
    else:
        return None
    return HomeSection(
        panels=[
            HomePanel(title=_("揭榜挂帅"), url=reverse("challenges:work"), template=TEMPLATE, context=context)
        ]
    )
