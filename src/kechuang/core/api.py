"""Shared API pieces: pagination and an exception handler that never leaks internals."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import http_status


class Pagination(pagination.PageNumberPagination):  # type: ignore[misc]
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def require_login(request: Request) -> None:
    """401 for an anonymous caller (views whose permission classes let anonymous readers in)."""
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Service errors as API answers, for every API view (ADR 0019): a ValidationError is a 400 with
    per-field Chinese messages; an ApplicationError with another status (409 conflict, 503 busy) answers
    that status with its message as ``detail``; PermissionDenied is a 403."""
    if isinstance(exc, DjangoValidationError):
        status_code = http_status(exc)
        if status_code != 400:
            answer = exceptions.APIException(" ".join(exc.messages), code=getattr(exc, "code", None))
            answer.status_code = status_code
            exc = answer
        elif hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
