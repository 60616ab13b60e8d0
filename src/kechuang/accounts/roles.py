"""Role helpers and the navigation each role sees: kept in the kernel (``core.roles``), named here too."""

from __future__ import annotations

from typing import Any

from kechuang.core.roles import NAV_GROUPS as NAV_GROUPS
from kechuang.core.roles import NAVIGATION as NAVIGATION
from kechuang.core.roles import NavGroup as NavGroup
from kechuang.core.roles import NavItem as NavItem
from kechuang.core.roles import is_operator as is_operator
from kechuang.core.roles import is_staff_role as is_staff_role
from kechuang.core.roles import navigation_for as navigation_for
from kechuang.core.roles import navigation_groups_for as navigation_groups_for
from kechuang.core.roles import register_navigation as register_navigation
from kechuang.core.roles import roles_of as roles_of


def navigation_context(request: Any) -> dict[str, Any]:
    """The menu for every page (``core.context_processors.platform``)."""
    user = getattr(request, "user", None)
    if user is None:
        return {"nav_groups": [], "nav_key": ""}
    groups = navigation_groups_for(user, request.path)
    return {"nav_groups": groups, "nav_key": navigation_key(groups)}


def navigation_key(groups: list[dict[str, Any]]) -> str:
    """Everything the menu bar shows but its labels (constants of the code, per language): the entries,
    their addresses and which one is active. The base template keeps the rendered bar under this key
    (``{% memo %}``, docs/adr/0029-page-speed.md)."""
    return "|".join(
        f"{group['key']}{'*' if group['active'] else ''}:"
        + ",".join(
            f"{item['url_name']}={item['url']}{'*' if item['active'] else ''}" for item in group["items"]
        )
        for group in groups
    )
