"""Request id, the security headers of docs/reliability.md D2/E2, and the NUL-character guard of K2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from . import request_meta

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RequestIdMiddleware:
    """Gives every request an id (shown on error pages, stored in audit records, sent as X-Request-ID)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_meta.begin(request)
        try:
            response = self.get_response(request)
        finally:
            request_meta.end(token)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


class SecurityHeadersMiddleware:
    """CSP with no external origin, and no-store on every page that is not a static asset.

    Pages carry personal data often enough (names, masked phones, listings) that caching is refused
    for all dynamic responses; static files are served by WhiteNoise before this runs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if not request.path.startswith(settings.STATIC_URL):
            response["Cache-Control"] = "no-store"
        return response


NUL = "\x00"


def _has_nul(query: Any) -> bool:
    return any(NUL in key or any(NUL in value for value in query.getlist(key)) for key in query)


class RejectNullCharactersMiddleware:
    """A NUL character in the path, the query string or a form body is refused with 400 (docs/reliability.md K2).

    No legitimate input carries one, and PostgreSQL refuses it in any text value, so without this a
    lookup such as ``/api/v1/fields/%00/`` or ``?q=%00`` would be a 500 there (SQLite accepts it).
    JSON bodies are checked by ``kechuang.api.parsers``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        form_body = request.content_type == "application/x-www-form-urlencoded" and request.method == "POST"
        if NUL in request.path or _has_nul(request.GET) or (form_body and _has_nul(request.POST)):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        message = _("请求中含有空字符（\\0），请删除后重试。")
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(message)}, status=400)
        from .views import bad_request

        return bad_request(request)


DRAIN_MAX_BYTES = 64 * 1024 * 1024


class DrainUnreadBodyMiddleware:
    """Read what is left of a request body the view never read (a throttled or refused POST, a body over
    the size limit) before the answer goes out (docs/reliability.md K5).

    The server keeps a connection alive only if it can skip the rest of the body, and gunicorn skips at
    most 64 KB: without this, a client that sent a large body gets an answer promising keep-alive and
    then a dropped connection. Bodies beyond ``DRAIN_MAX_BYTES`` are left to the server, which closes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return response
        if 0 < length <= DRAIN_MAX_BYTES and not getattr(request, "_read_started", True):
            stream = getattr(request, "_stream", None)
            try:
                while stream is not None and stream.read(64 * 1024):
                    pass
            except OSError:
                pass
        return response
