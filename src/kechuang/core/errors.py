"""Application errors: a service refuses with a Chinese message and a code (ADR 0019).

Each is a Django ``ValidationError``, so forms, views and tests that catch ``ValidationError`` keep
working; ``status`` is the HTTP answer the API gives it (``core.api.exception_handler``), and web views
show its message (``core.web.error_text``). A plain ``ValidationError`` is a 400; ``PermissionDenied`` a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class ApplicationError(ValidationError):
    """A refusal by a service: nothing was written. ``status`` is 400 unless a subclass says otherwise."""

    status = 400
    default_code = "invalid"

    def __init__(
        self, message: Any, *, code: str | None = None, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, code=code or self.default_code, params=params)

    @property
    def text(self) -> str:
        return " ".join(self.messages)


class Conflict(ApplicationError):
    """The request clashes with what is stored (an idempotency key reused for a different request, a
    stale version): 409."""

    status = 409
    default_code = "conflict"


class Busy(ApplicationError):
    """The database stayed busy through every retry (deadlocks, serialization failures): 503; the
    client may try again, nothing was written."""

    status = 503
    default_code = "busy"


def http_status(error: Exception) -> int:
    """The HTTP status of a service's error: its own for an ApplicationError, 400 for any other
    ValidationError."""
    return getattr(error, "status", 400) if isinstance(error, ValidationError) else 400
