"""The shared-instruments panel on the home page: an enterprise's upcoming bookings, an owner's queue,
the district's figures for staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection


def instruments_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from kechuang.core.figures import cached_figures

    from . import permissions as perms
    from . import selectors
    from .choices import BookingStatus

    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    context: dict[str, Any] = {"role": role}
    if role in ("institute", "provider") and perms.owner_organization_ids(user):
        owned = perms.owner_organization_ids(user)
        context["requested"] = (
            selectors.booking_list(actor=user)
            .filter(instrument__owner__in=owned, status=BookingStatus.REQUESTED)
            .count()
        )
        title, url = _("仪器管理"), reverse("instruments:owner-queue")
    elif role == "enterprise":
        context["upcoming"] = list(
            selectors.booking_list(actor=user)
            .filter(
                organization__in=perms.member_organization_ids(user),
                status__in=[BookingStatus.REQUESTED, BookingStatus.CONFIRMED],
                start_at__gte=timezone.now(),
            )
            .order_by("start_at")[:5]
        )
        title, url = _("共享仪器"), reverse("instruments:booking-list")
    elif role in ("operator", "leader"):
        context["figures"] = cached_figures("instruments:district-figures", selectors.district_figures)
        title, url = _("共享仪器"), reverse("instruments:overview")
    else:
        return None
    return HomeSection(
        panels=[
            HomePanel(
                title=title,
                template="instruments/partials/home_panel.html",
                context=context,
                url=url,
                url_label=_("查看"),
                testid="instruments-home",
                width="half",
            )
        ]
    )
