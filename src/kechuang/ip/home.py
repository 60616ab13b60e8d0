"""The IP panel on the home page: a technology transfer office's deadlines and open licences, the
district's IP figures for staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection


def ip_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from kechuang.core.figures import cached_figures

    from . import permissions as perms
    from . import selectors
    from .choices import LegalStatus

    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    context: dict[str, Any] = {"role": role}
    if role in ("institute", "enterprise"):
        managed = perms.managed_organization_ids(user)
        if not managed:
            return None
        today = timezone.localdate()
        mine = selectors.asset_list(actor=user).filter(holder__in=managed)
        context["total"] = mine.count()
        context["high_value"] = mine.filter(high_value=True).count()
        context["due"] = list(
            mine.filter(
                legal_status=LegalStatus.GRANTED,
                annuity_due_on__isnull=False,
                annuity_due_on__lte=today + dt.timedelta(days=60),
            ).order_by("annuity_due_on")[:5]
        )
        if not context["total"]:
            return None
        title, url = _("知识产权管理"), reverse("ip:portfolio")
    elif role in ("operator", "leader"):
        context["figures"] = cached_figures("ip:district-figures", selectors.district_figures)["figures"]
        title, url = _("知识产权"), reverse("ip:overview")
    else:
        return None
    return HomeSection(
        panels=[
            HomePanel(
                title=title,
                template="ip/partials/home_panel.html",
                context=context,
                url=url,
                url_label=_("查看"),
                testid="ip-home",
                width="half",
            )
        ]
    )
