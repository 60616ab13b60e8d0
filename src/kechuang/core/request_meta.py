"""The current request's metadata (user, address, request id), kept in a context variable.

The audit log reads it, so a service function records who did what from where without every caller
passing the request down.
"""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class RequestMeta:
    request_id: str
    ip: str
    user_agent: str = ""
    # the request itself, so a log line can name the signed-in user's id (core.logging.user_id_of)
    request: Any = field(default=None, compare=False, repr=False)


_current: contextvars.ContextVar[RequestMeta | None] = contextvars.ContextVar(
    "kechuang_request", default=None
)


def client_ip(request: HttpRequest) -> str:
    """The client address. Behind a trusted proxy set TRUSTED_PROXY_COUNT; otherwise REMOTE_ADDR."""
    from django.conf import settings

    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        forwarded = [p.strip() for p in header.split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", "") or "")


def begin(request: HttpRequest) -> contextvars.Token[RequestMeta | None]:
    meta = RequestMeta(
        request_id=uuid.uuid4().hex[:16],
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
        request=request,
    )
    request.request_id = meta.request_id  # type: ignore[attr-defined]
    return _current.set(meta)


def end(token: contextvars.Token[RequestMeta | None]) -> None:
    _current.reset(token)


def current() -> RequestMeta | None:
    return _current.get()
