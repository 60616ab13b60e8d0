"""Exports of large tables as background tasks (docs/adr/0027, issue 14 item 10).

A module declares an export with :func:`export`: a function of the user, the request's query parameters
and a progress reporter (``core.progress.Reporter``) that returns an :class:`ExportFile`. Its page links
to its own URL, whose view calls :func:`start`: the work is recorded as queued, handed to the task
worker, and the browser goes to the export's page (``core:export``), which shows a progress bar polled
with htmx and, when the file is ready, the download button. The file is kept in the file storage
(``exports/``) for its owner alone and pruned with the imports after ``IMPORT_RETENTION_DAYS``.

The function runs in the worker with the user who asked, so it applies the same visibility rules as the
page did; it records its own audit event.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRefresh
from django_tasks import task

from . import excel, storage
from . import progress as background

logger = logging.getLogger(__name__)

WORK = "export"
FOLDER = "exports"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass
class ExportFile:
    filename: str  # what the browser saves it as
    content: bytes
    content_type: str = excel.XLSX_CONTENT_TYPE
    rows: int = 0


Builder = Callable[[Any, dict[str, list[str]], background.Reporter], ExportFile]
_EXPORTS: dict[str, tuple[Builder, Any]] = {}  # path → (function, label)


def export(label: Any) -> Callable[[Builder], Builder]:
    """Declare a background export; ``label`` (Chinese) names it on its page."""

    def register(function: Builder) -> Builder:
        _EXPORTS[path_of(function)] = (function, label)
        return function

    return register


def path_of(function: Builder) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _builder(path: str) -> tuple[Builder, Any]:
    if path not in _EXPORTS:
        import_string(path)  # importing the module declares it (the worker has not imported it yet)
    if path not in _EXPORTS:
        raise LookupError(f"{path} is not a declared export")
    return _EXPORTS[path]


def file_name(token: str) -> str:
    return f"{FOLDER}/{token}.bin"


def params_of(query: QueryDict) -> dict[str, list[str]]:
    return {key: [value[:200] for value in query.getlist(key)][:50] for key in list(query)[:50]}


def start(
    request: HttpRequest, function: Builder, *, params: dict[str, list[str]] | None = None
) -> HttpResponse:
    """Queue ``function`` for the signed-in user and send the browser to the export's page."""
    if not request.user.is_authenticated:
        raise PermissionDenied
    owner_id = int(request.user.pk)
    path = path_of(function)
    _function, label = _builder(path)
    token = secrets.token_urlsafe(24)
    background.start(
        token,
        owner_id=owner_id,
        work=WORK,
        scope=WORK,
        phase=_("等待后台任务开始导出"),
        label=str(label),
        back=request.META.get("HTTP_REFERER", "")[:500] if _same_site(request) else "",
    )
    try:
        run_export.enqueue(path=path, token=token, owner_id=owner_id, params=params or {})
    except DatabaseError:
        logger.exception("could not enqueue the export %s", path)
        reporter = background.reporter_for(token)
        if reporter is not None:
            reporter.fail(_("无法启动后台任务。请稍后重试；如仍失败，请联系系统管理员。"))
    return HttpResponseRedirect(reverse("core:export", args=[token]))


def _same_site(request: HttpRequest) -> bool:
    referer = request.META.get("HTTP_REFERER", "")
    return bool(referer) and referer.startswith(f"{request.scheme}://{request.get_host()}/")


def run(path: str, token: str, owner_id: int, params: dict[str, list[str]]) -> str:
    """Build the file and keep it for its owner; the record says how it went."""
    reporter = background.reporter_for(token)
    if reporter is None:
        return "no-record"
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        reporter.fail(_("账号已停用，导出已取消。"))
        return "failed"
    try:
        function, _label = _builder(path)
        reporter.phase(_("读取数据"))
        made = function(owner, params, reporter)
        reporter.phase(_("生成文件"))
        storage.write_file(file_name(token), made.content)
    except Exception:
        logger.exception("export %s failed", path)
        reporter.fail(_("导出失败，没有生成文件。请稍后重试；如仍失败，请联系系统管理员。"))
        return "failed"
    reporter.finish(
        rows=made.rows, filename=made.filename, content_type=made.content_type, size=len(made.content)
    )
    return "done"


@task()
def run_export(path: str, token: str, owner_id: int, params: dict[str, list[str]]) -> str:
    return run(path, token, owner_id, params)


class ExportView(LoginRequiredMixin, View):
    """The export's page: progress while the task works, then the download button (or the failure)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        job = background.load_for(token, owner=request.user, scope=WORK)
        if job is None:
            raise Http404(_("找不到这次导出。"))
        htmx = bool(getattr(request, "htmx", False))
        if htmx and job.finished:
            return HttpResponseClientRefresh()
        context = {
            "job": job,
            "poll_url": request.path,
            "token": token,
            "label": job.extra.get("label", ""),
            "keep_days": getattr(settings, "IMPORT_RETENTION_DAYS", 7),
        }
        if htmx:
            return render(request, "core/partials/progress_bar.html", context)
        return render(request, "core/export.html", context)


class ExportDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        job = background.load_for(token, owner=request.user, scope=WORK)
        if job is None or job.state != background.DONE:
            raise Http404(_("找不到这次导出。"))
        try:
            content = storage.read_file(file_name(token))
        except OSError as error:
            raise Http404(_("导出的文件已过期，请重新导出。")) from error
        response = HttpResponse(
            content, content_type=str(job.extra.get("content_type", excel.XLSX_CONTENT_TYPE))
        )
        response["Content-Disposition"] = excel.content_disposition(
            str(job.extra.get("filename", "export.xlsx"))
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response


def prune(days: int) -> int:
    return storage.prune(FOLDER, older_than=timezone.now() - dt.timedelta(days=days))
