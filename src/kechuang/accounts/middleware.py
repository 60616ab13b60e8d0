"""Which organization the signed-in user acts for in this request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

SESSION_KEY = "acting_organization_id"


class ActingOrganizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.acting_organization = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            from .selectors import acting_organization_for

            request.acting_organization = acting_organization_for(  # type: ignore[attr-defined]
                user, request.session.get(SESSION_KEY)
            )
        return self.get_response(request)
