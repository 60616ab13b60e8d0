"""The challenge panel on each role's home page (registered in ChallengesConfig.ready)."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors

logger = logging.getLogger(__name__)
TEMPLATE = "challenges/partials/home_panel.html"


def challenge_home_panel(request: HttpRequest, role: str) -> dict[str, Any]:
    user = request.user
    try:
        if role in ("operator", "leader"):
            return {
                "home_panels": [
                    {
                        "title": _("揭榜挂帅"),
                        "url": reverse("challenges:work"),
                        "template": TEMPLATE,
                        "context": {
                            "section": "staff",
                            "figures": selectors.overall_figures(),
                            "todo": selectors.work_queue(actor=user, limit=5),
                        },
                    }
                ]
            }
        if role in ("enterprise", "institute", "expert"):
            return {
                "home_panels": [
                    {
                        "title": _("揭榜挂帅"),
                        "url": reverse("challenges:work"),
                        "template": TEMPLATE,
                        "context": {
                            "section": role,
                            "todo": selectors.work_queue(actor=user, limit=5),
                            "open_challenges": list(selectors.open_challenges()[:4]),
                        },
                    }
                ]
            }
    except Exception:  # a broken panel must not take the home page down
        logger.exception("challenge home panel failed")
    return {}
