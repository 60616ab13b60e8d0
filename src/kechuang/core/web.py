"""What every module's web views and API views share (ADR 0019): the acting organization, service errors
as messages and on forms, and pagination."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from . import registry


def acting_organization(request: Any) -> Any:
    """The organization the user acts for. Browsers: what ``ActingOrganizationMiddleware`` worked out
    from the session. API calls (a DRF ``Request``): the same, or for token clients, whose user is known
    only once DRF has authenticated them, the registered resolver's answer (the default membership)."""
    inner = getattr(request, "_request", request)
    organization = getattr(inner, "acting_organization", None)
    user = getattr(request, "user", None)
    if organization is None and inner is not request and user is not None and user.is_authenticated:
        organization = registry.resolve_acting_organization(user, getattr(inner, "session", None))
    return organization


def error_text(error: ValidationError | PermissionDenied) -> str:
    """A service's refusal as one line for a message or a page: every message, joined by "；"."""
    if isinstance(error, PermissionDenied):
        return str(error) or _("您无权执行该操作。")
    if hasattr(error, "error_dict"):
        return "；".join(str(m) for messages in error.message_dict.values() for m in messages)
    return "；".join(str(m) for m in error.messages)


def form_errors_text(form: Any) -> str:
    """A bound form's errors as one line."""
    return "；".join(str(m) for errors in form.errors.values() for m in errors)


def attach_errors(form: Any, error: ValidationError, aliases: Mapping[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: a field's messages on the form field of that name
    (or of its alias: ``{"asking_price_fen": "asking_price_wan"}``), the rest on the whole form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            name = (aliases or {}).get(field, field)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def paginate(request: HttpRequest, items: QuerySet[Any] | list[Any], per_page: int) -> Page[Any]:
    """The page ``?page=`` asks for (the last one when past the end, the first when not a number)."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The list's query string without ``page``, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
