"""Template context shared by every page: the district profile's names, the user's roles and menu."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kechuang.accounts.roles import navigation_for


def platform(request: HttpRequest) -> dict[str, Any]:
    from kechuang.directory.selectors import district_profile

    user = getattr(request, "user", None)
    return {
        "district": district_profile(),
        "nav_items": navigation_for(user) if user is not None else [],
        "acting_organization": getattr(request, "acting_organization", None),
        "demo_mode": settings.DEMO_MODE,
        "request_id": getattr(request, "request_id", ""),
    }
