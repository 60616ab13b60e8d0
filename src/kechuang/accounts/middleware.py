"""Which organization the signed-in user acts for in this request; the sliding idle timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "_kc_seen"

SESSION_KEY = "acting_organization_id"


def acting_organization_in_session(user: Any, session: Any) -> Any:
    """The organization ``user`` acts for: the one chosen in the session if a member, else the default."""
    from .selectors import acting_organization_for

    return acting_organization_for(user, session.get(SESSION_KEY) if session is not None else None)


class ActingOrganizationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.acting_organization = None  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.acting_organization = acting_organization_in_session(  # type: ignore[attr-defined]
                user, request.session
            )
        return self.get_response(request)


class SlidingSessionMiddleware:
    """docs/reliability.md A3, idle timeout, without a database write on every request.

    The stored expiry (``SESSION_COOKIE_AGE`` after the last save) slides forward when the session was
    last saved ``SESSION_TOUCH_SECONDS`` (default 60) or more ago: a session therefore ends between
    ``SESSION_COOKIE_AGE − SESSION_TOUCH_SECONDS`` and ``SESSION_COOKIE_AGE`` after its last request,
    and a busy user costs one session write a minute instead of one per request. Sits right inside
    ``SessionMiddleware`` (which saves a modified session on the way out).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.touch = int(getattr(settings, "SESSION_TOUCH_SECONDS", 60))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key or getattr(session, "_session_cache", None) is None:
            return response  # no session, or this request never read it (nothing to slide)
        if not session.modified and session.is_empty():
            return response
        now = int(time.time())
        try:
            seen = int(session.get(SEEN_KEY, 0))
        except (TypeError, ValueError):
            seen = 0
        if session.modified or not 0 <= now - seen < self.touch:
            session[SEEN_KEY] = now  # marks it modified: SessionMiddleware saves it with a new expiry
        return response
