"""The directory's part of every home page: the district's figures and overview, the acting
organization's card and, for staff, the organizations that joined last (registered in
DirectoryConfig.ready, after the modules' work panels)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.core.home import district_overview
from kechuang.core.registry import HomePanel, HomeSection
from kechuang.core.web import acting_organization

from .models import Organization
from .selectors import district_counts, district_profile

STAFF_HOMES = ("operator", "leader", "commissioner")


def directory_home_panel(request: HttpRequest, role: str) -> HomeSection:
    organization = acting_organization(request)
    context: dict[str, Any] = {"counts": district_counts(), "overview": district_overview(district_profile())}
    panels = []
    if organization is not None and role not in STAFF_HOMES:
        panels.append(
            HomePanel(
                title=_("本机构"),
                template="core/partials/panel_my_organization.html",
                url=reverse("directory:organization-detail", args=[organization.pk]),
                url_label=_("机构主页"),
                context={"organization": organization},
                testid="my-organization-card",
            )
        )
    if role in STAFF_HOMES:
        recent = list(Organization.objects.select_related("block", "park").order_by("-created_at", "-id")[:8])
        if recent:
            panels.append(
                HomePanel(
                    title=_("最近加入的机构"),
                    template="core/partials/panel_recent_organizations.html",
                    url=reverse("directory:organization-list"),
                    url_label=_("机构名录"),
                    context={"organizations": recent},
                    testid="recent-organizations",
                )
            )
    return HomeSection(panels=panels, context=context)


def district_page_context(request: HttpRequest) -> dict[str, Any]:
    """The district profile's names on every page (``core.context_processors.platform``)."""
    return {"district": district_profile()}
