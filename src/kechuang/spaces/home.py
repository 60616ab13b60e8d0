"""The spaces panel on the home page of enterprises, park operators and staff."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.registry import HomePanel, HomeSection


def spaces_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from kechuang.core.figures import cached_figures

    from . import permissions as perms
    from . import selectors
    from .choices import RequestStatus

    user = request.user
    if not getattr(user, "is_authenticated", False):
        return None
    context: dict[str, Any]
    if role == "enterprise":
        from .views import acting_enterprise

        organization = acting_enterprise(request)
        if organization is None:
            return None
        requests = list(
            selectors.request_list(actor=user).filter(organization=organization, status=RequestStatus.OPEN)[
                :5
            ]
        )
        context = {"role": role, "requests": requests, "viewings": selectors.open_viewings(actor=user)}
        title, url = _("我的用房需求"), reverse("spaces:request-list")
    elif role in ("operator", "leader", "commissioner") or perms.is_park_operator(user):
        figures = cached_figures("spaces:vacancy-figures", selectors.vacancy_figures)
        context = {
            "role": role,
            "figures": figures,
            "viewings": selectors.open_viewings(actor=user),
            "open_requests": cached_figures(
                f"spaces:home-open-requests:{user.pk}",
                lambda: selectors.request_counts(actor=user)["open"],
            ),
        }
        title, url = _("产业空间"), reverse("spaces:vacancy-map")
    else:
        return None
    return HomeSection(
        panels=[
            HomePanel(
                title=title,
                template="spaces/partials/home_panel.html",
                context=context,
                url=url,
                url_label=_("查看"),
                testid="spaces-home",
                width="half",
            )
        ]
    )
