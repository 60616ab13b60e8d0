"""The events panel on the home page: the next public events for everyone; the review queue for operators;
one's own places with their check-in codes."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection


def events_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from . import permissions as perms
    from . import selectors
    from .choices import ACTIVE_REGISTRATION

    user = request.user
    upcoming = selectors.public_upcoming(actor=user, limit=5)
    mine = []
    if getattr(user, "is_authenticated", False):
        mine = list(
            selectors.my_registrations(actor=user)
            .filter(status__in=ACTIVE_REGISTRATION, event__ends_at__gte=timezone.now())
            .order_by("event__starts_at")[:3]
        )
    pending = selectors.review_queue(actor=user).count() if perms.is_operator(user) else 0
    if not upcoming and not mine and not pending:
        return None
    return HomeSection(
        panels=[
            HomePanel(
                title=_("近期活动"),
                template="events/partials/home_panel.html",
                context={"upcoming": upcoming, "mine": mine, "pending": pending},
                url=reverse("events:event-list"),
                url_label=_("全部活动"),
                testid="events-home",
                width="half",
            )
        ]
    )
