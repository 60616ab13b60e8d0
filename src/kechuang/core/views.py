"""Home page per role, health check and error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of

logger = logging.getLogger(__name__)

# The order decides which home a person with several roles sees first.
HOME_ORDER = [Role.LEADER, Role.OPERATOR, Role.COMMISSIONER, Role.INSTITUTE, Role.ENTERPRISE,
              Role.PROVIDER, Role.EXPERT, Role.SYSADMIN, Role.AUDITOR]


def home_role(user: Any) -> str:
    roles = roles_of(user)
    for role in HOME_ORDER:
        if role in roles:
            return str(role)
    return "member" if getattr(user, "is_authenticated", False) else "public"


class HomeView(TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from kechuang.core.home import home_context

        context = super().get_context_data(**kwargs)
        role = home_role(self.request.user)
        context["home_role"] = role
        context.update(home_context(self.request, role))
        return context


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database status, for load balancers and the operator."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = {"status": "ok", "vendor": connection.vendor}
        status = 200
    except Exception:  # noqa: BLE001 - report, do not raise, and do not leak details
        logger.exception("health check: database unavailable")
        database = {"status": "unavailable", "vendor": connection.vendor}
        status = 503
    return JsonResponse({"status": "ok" if status == 200 else "degraded", "database": database}, status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """A generic page with the request's reference id and nothing else (RELIABILITY E1, C3)."""
    context = {"request_id": getattr(request, "request_id", "")}
    return render(request, "500.html", context, status=500)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"request_id": getattr(request, "request_id", "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {"request_id": getattr(request, "request_id", "")}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", {"request_id": getattr(request, "request_id", "")}, status=400)
