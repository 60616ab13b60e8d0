"""What each role's home page shows. Modules add panels with ``register_home_panel``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

# Each provider returns extra context for (request, role); a module's AppConfig.ready() registers it.
HomeProvider = Callable[[HttpRequest, str], dict[str, Any]]
_providers: list[HomeProvider] = []


def register_home_panel(provider: HomeProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def home_context(request: HttpRequest, role: str) -> dict[str, Any]:
    from kechuang.directory.models import Organization
    from kechuang.directory.selectors import district_counts

    context: dict[str, Any] = {"counts": district_counts()}
    organization = getattr(request, "acting_organization", None)
    context["organization"] = organization
    if role in ("operator", "leader", "commissioner"):
        context["recent_organizations"] = list(
            Organization.objects.select_related("block", "park").order_by("-created_at", "-id")[:8]
        )
    for provider in _providers:
        context.update(provider(request, role))
    return context
