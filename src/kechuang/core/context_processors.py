"""Template context shared by every page: the district profile's names, the user's roles and menu
(the first two from the modules' registered page context, ``core.registry.register_page_context``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .registry import page_context


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        **page_context(request),
        "acting_organization": getattr(request, "acting_organization", None),
        "demo_mode": settings.DEMO_MODE,
        "request_id": getattr(request, "request_id", ""),
    }
