"""Role helpers and the navigation each role sees.

Later modules add their entries to ``NAVIGATION`` (url name, label, roles that see it; an empty role
set means everyone, ``None`` means signed-in users).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .choices import STAFF_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    roles: frozenset[str] | None  # None: any signed-in user; empty: everyone
    icon: str = ""


NAVIGATION: list[NavItem] = [
    NavItem("core:home", _("首页"), frozenset()),
    NavItem("directory:district", _("街区概况"), frozenset()),
    NavItem("directory:organization-list", _("机构名录"), frozenset()),
    NavItem("directory:person-list", _("人才与专家"), None),
    NavItem("directory:import-start", _("批量导入"), frozenset({Role.OPERATOR})),
    NavItem("admin:index", _("后台管理"), frozenset({Role.OPERATOR, Role.SYSADMIN})),
]


def register_navigation(*items: NavItem, before: str | None = None) -> None:
    """Modules add their menu entries from AppConfig.ready(); ``before`` names an existing url_name."""
    for item in items:
        if any(existing.url_name == item.url_name for existing in NAVIGATION):
            continue
        index = next((i for i, e in enumerate(NAVIGATION) if e.url_name == before), len(NAVIGATION))
        NAVIGATION.insert(index, item)


def roles_of(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return user.roles  # type: ignore[no-any-return]


def is_staff_role(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


def navigation_for(user: Any) -> list[dict[str, Any]]:
    roles = roles_of(user)
    signed_in = bool(getattr(user, "is_authenticated", False))
    items = []
    for item in NAVIGATION:
        if item.roles is None and not signed_in:
            continue
        if item.roles and not (roles & item.roles):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": item.label, "url_name": item.url_name})
    return items


def navigation_context(request: Any) -> dict[str, Any]:
    """The menu for every page (``core.context_processors.platform``)."""
    user = getattr(request, "user", None)
    return {"nav_items": navigation_for(user) if user is not None else []}
