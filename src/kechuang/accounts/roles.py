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
        return {"nav_items": [], "nav_groups": []}
    return {"nav_items": navigation_for(user), "nav_groups": navigation_groups_for(user, request.path)}
