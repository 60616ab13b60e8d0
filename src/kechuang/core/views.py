"""Home page per role, health check and error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from . import registry
from .roles import Role, roles_of

logger = logging.getLogger(__name__)

# The order decides which home a person with several roles sees first.
HOME_ORDER = [
    Role.LEADER,
    Role.OPERATOR,
    Role.COMMISSIONER,
    Role.INSTITUTE,
    Role.ENTERPRISE,
    Role.PROVIDER,
    Role.EXPERT,
    Role.SYSADMIN,
    Role.AUDITOR,
]


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


class SchedulerStatusView(LoginRequiredMixin, TemplateView):
    """定时任务: every periodic job with its interval, last run, last success, last error, next due time
    and whether it runs now; the scheduler processes alive; the modules' notes (ADR 0014)."""

    template_name = "core/scheduler.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and Role.OPERATOR not in roles_of(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from .jobs import status_notes
        from .scheduler import ALIVE_WITHIN, job_statuses, recent_runs, schedulers_alive

        context = super().get_context_data(**kwargs)
        statuses = job_statuses()
        names = {s.job.name for s in statuses}
        chosen = self.request.GET.get("job", "")
        chosen = chosen if chosen in names else ""
        context.update(
            statuses=statuses,
            runs=recent_runs(name=chosen, limit=30),
            chosen=chosen,
            schedulers=schedulers_alive(),
            alive_minutes=int(ALIVE_WITHIN.total_seconds() // 60),
            notes=status_notes(),
            failing=[s for s in statuses if s.state and s.state.failures],
        )
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
    except Exception:
        logger.exception("health check: database unavailable")
        database = {"status": "unavailable", "vendor": connection.vendor}
        status = 503
    overall = "ok" if status == 200 else "degraded"
    index = registry.search_index()  # this worker's matching engine (kechuang.gunicorn_conf)
    matching = "none" if index is None else ("ready" if index.is_ready() else "warming")
    return JsonResponse({"status": overall, "database": database, "matching": matching}, status=status)


def _api_error(request: HttpRequest, status: int, message: Any) -> JsonResponse | None:
    """On /api/ paths an error Django answers itself (a body over the size limit, an unknown path, a
    crash) is JSON like the API's own errors, not the site's HTML page (docs/reliability.md K5)."""
    if not request.path.startswith("/api/"):
        return None
    body = {"detail": str(message)}
    request_id = getattr(request, "request_id", "")
    if request_id:
        body["request_id"] = request_id
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def server_error(request: HttpRequest) -> HttpResponse:
    """A generic page with the request's reference id and nothing else (docs/reliability.md E1, C3).

    If the page itself cannot be drawn (the database is down, so are the menus), a bare page with
    the same reference id is sent rather than a second failure.
    """
    api = _api_error(request, 500, _("服务器出了点问题，我们已记录；请稍后重试，或把参考编号告诉运营人员。"))
    if api is not None:
        return api
    request_id = getattr(request, "request_id", "")
    try:
        return render(request, "500.html", {"request_id": request_id}, status=500)
    except Exception:
        logger.exception("error page could not be rendered")
        body = (
            '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>500</title></head>'
            "<body><h1>500</h1><p>服务器出了点问题，我们已记录。</p>"
            f"<p>参考编号：<code>{escape(request_id)}</code></p></body></html>"
        )
        return HttpResponse(body, status=500, content_type="text/html; charset=utf-8")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 403, _("您没有执行该操作的权限。"))
    if api is not None:
        return api
    return render(request, "403.html", {"request_id": getattr(request, "request_id", "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 404, _("未找到：请检查地址和编号。"))
    if api is not None:
        return api
    return render(request, "404.html", {"request_id": getattr(request, "request_id", "")}, status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token (an expired page, cookies off, another origin): the
    site's own page in Chinese with the reference id, not Django's technical one (docs/reliability.md E1)."""
    logger.warning("CSRF check failed: %s", reason)
    context = {"request_id": getattr(request, "request_id", "")}
    return render(request, "403_csrf.html", context, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        api = _api_error(
            request, 413, _("请求体超过 %(n)s MB 的上限：请缩小内容，文件请分开上传。") % {"n": limit}
        )
    elif isinstance(exception, TooManyFieldsSent):
        api = _api_error(request, 400, _("请求中的字段过多，请减少后重试。"))
    else:
        api = _api_error(request, 400, _("请求有误，请检查后重试。"))
    if api is not None:
        return api
    return render(request, "400.html", {"request_id": getattr(request, "request_id", "")}, status=400)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send them to the vendored
    icon (served offline with the other static files)."""
    return redirect(static("kechuang/favicon.ico"))
