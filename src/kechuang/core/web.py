"""What every module's web views and API views share (ADR 0019): the acting organization, service errors
as messages and on forms, pagination, and the one-POST-one-service action view."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View

from . import registry
from .figures import kept_count


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


class KeptPaginator(Paginator[Any]):
    """A paginator whose total is kept until the next write (``figures.kept_count``): a list page asks for
    it on every visit, and it is the same for every viewer whose query is the same."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return kept_count(self.object_list)
        return int(super().count)


def paginate(request: HttpRequest, items: QuerySet[Any] | list[Any], per_page: int) -> Page[Any]:
    """The page ``?page=`` asks for (the last one when past the end, the first when not a number)."""
    return KeptPaginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The list's query string without ``page``, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def safe_next(request: HttpRequest, allowed: Iterable[str], default: str) -> str:
    """The ``next`` the form posted when it is one of the pages the action may return to, else
    ``default``: a posted address is never followed blindly (no open redirect)."""
    posted = request.POST.get("next") or ""
    return posted if posted in set(allowed) else default


class ActionView(LoginRequiredMixin, View):
    """One POST, one service call (ADR 0019; docs/conventions.md, "Views"). The subclass says which
    object the action is on (looked up among what the user may see, so another organization's object
    answers 404), who may act (a refusal answers 403 with ``denied_message``), the optional form, the
    service call, and where to go next. The view never saves: a service's refusal comes back as an
    error message on the page it returns to, and nothing is written.
    """

    form_class: type[forms.Form] | None = None
    denied_message: Any = ""
    success_message: Any = ""

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Any:
        raise NotImplementedError

    def allowed(self, request: HttpRequest, obj: Any) -> bool:
        return True

    def perform(self, request: HttpRequest, obj: Any, data: dict[str, Any]) -> Any:
        """Call the one service with ``actor=request.user``; return what it returns."""
        raise NotImplementedError

    def next_url(self, request: HttpRequest, obj: Any) -> str:
        raise NotImplementedError

    def message(self, obj: Any, result: Any) -> str:
        return str(self.success_message)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        obj = self.get_object(request, **kwargs)
        if not self.allowed(request, obj):
            raise PermissionDenied(str(self.denied_message) or _("您无权执行该操作。"))
        data: dict[str, Any] = {}
        if self.form_class is not None:
            form = self.form_class(request.POST, request.FILES)
            if not form.is_valid():
                messages.error(request, form_errors_text(form))
                return HttpResponseRedirect(self.next_url(request, obj))
            data = form.cleaned_data
        try:
            result = self.perform(request, obj, data)
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            text = self.message(obj, result)
            if text:
                messages.success(request, text)
        return HttpResponseRedirect(self.next_url(request, obj))
