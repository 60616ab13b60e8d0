"""The import pages, the same for every spec: upload → dry run (review, error report) → commit
(docs/design.md §3.1, docs/reliability.md K4).

The dry run and the commit run as background tasks (``tasks``; docs/adr/0027): the upload page checks
the file as a whole and answers at once, the review page shows a progress bar (polled with htmx) while
the task works and the result when it is done, or the task's failure in Chinese.

A module wires them in its urls.py with its spec: ``ImportStartView.as_view(spec=SPEC)``. Signed-in users
with the spec's permission only (others: the login page, or 403). An upload belongs to the user who sent
it: anybody else gets 404 for its review page, its error report and its commit, and nothing changes
(docs/reliability.md B2).
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from kechuang.core import excel
from kechuang.core import progress as background

from . import files, stored, tasks
from .report import ImportResult, error_report_workbook
from .spec import ImportSpec, error_report_filename
from .stored import StoredUpload

logger = logging.getLogger(__name__)

SHOWN_PROBLEMS = 1000


class ImportForm(forms.Form):
    """The file, and for a spec with several kinds of sheet, which one a CSV (or a lone sheet) holds."""

    file = forms.FileField(label=gettext_lazy("Excel 或 CSV 文件"))

    def __init__(self, *args: Any, spec: ImportSpec, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        file = self.fields["file"]
        file.widget.attrs.update({"accept": ".xlsx,.csv", "class": "form-control"})
        file.allow_empty_file = True  # type: ignore[attr-defined]  # the checker explains an empty file itself
        file.error_messages["required"] = _("请选择要上传的 Excel 或 CSV 文件。")
        file.help_text = _("支持 .xlsx 与 .csv（UTF-8 或 GBK），不超过 %(size)s，最多 %(rows)s 行。") % {
            "size": files.human_size(files.limits_for(files.TABLES).max_bytes),
            "rows": settings.IMPORT_MAX_ROWS,
        }
        if len(spec.kinds) > 1:
            self.fields["kind"] = forms.ChoiceField(
                label=_("数据类型"),
                choices=[("", _("自动识别")), *((kind.key, kind.label) for kind in spec.kinds)],
                required=False,
                help_text=str(spec.kind_help),
            )
            self.fields["kind"].widget.attrs.update({"class": "form-select"})


class ImportAccessMixin(LoginRequiredMixin):
    """Signed in (else the login page), then the spec's permission (else 403)."""

    spec: ImportSpec | None = None

    def get_spec(self) -> ImportSpec:
        assert self.spec is not None, "wire the view with as_view(spec=...)"
        return self.spec

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.get_spec().can_import(request.user):
            raise PermissionDenied(str(self.get_spec().denied_message))
        return super().dispatch(request, *args, **kwargs)

    def own_upload(self, request: HttpRequest, token: str) -> StoredUpload:
        upload = self.get_spec().load_upload(token, actor=request.user)
        if upload is None:
            raise Http404(_("找不到这次导入。"))
        return upload


class ImportStartView(ImportAccessMixin, View):
    template_name = "core/import_start.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, ImportForm(spec=self.get_spec()))

    def page(self, request: HttpRequest, form: ImportForm, status: int = 200) -> HttpResponse:
        spec = self.get_spec()
        context = {
            "spec": spec,
            "form": form,
            "kinds": spec.kinds,
            "urls": spec.urls,
            "several": len(spec.kinds) > 1,
            "max_rows": settings.IMPORT_MAX_ROWS,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        spec = self.get_spec()
        form = ImportForm(request.POST, request.FILES, spec=spec)
        if not form.is_valid():
            return self.page(request, form, status=400)
        uploaded = form.cleaned_data["file"]
        kind = form.cleaned_data.get("kind") or None
        filename = files.clean_name(uploaded.name, default="upload")
        try:  # the quick checks of the file as a whole; reading every row is the task's
            files.refuse_if_too_large(uploaded.size, files.TABLES)
            data = uploaded.read(files.limits_for(files.TABLES).max_bytes + 1)
            info = spec.inspect(filename, data)
        except files.FileRefused as error:
            form.add_error("file", str(error))
            return self.page(request, form, status=400)
        stored.prune_uploads()
        upload = spec.store_upload(actor=request.user, filename=filename, data=data, info=info, kind=kind)
        start_task(spec, upload.token, request.user, tasks.CHECK)
        return HttpResponseRedirect(reverse(spec.urls.review, args=[upload.token]))


def start_task(spec: ImportSpec, token: str, user: Any, work: str) -> None:
    """Record the work as queued, then hand it to the task worker (run at once by the tests' backend)."""
    phase = _("等待后台任务开始预检") if work == tasks.CHECK else _("等待后台任务开始导入")
    background.start(token, owner_id=user.pk, work=work, scope=spec.name, phase=phase)
    runner = tasks.check_import if work == tasks.CHECK else tasks.commit_import
    try:
        runner.enqueue(spec=tasks.spec_path(spec), token=token, owner_id=user.pk)
    except DatabaseError:
        logger.exception("could not enqueue the import task (%s)", spec.name)
        reporter = background.reporter_for(token)
        if reporter is not None:
            reporter.fail(_("无法启动后台任务，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"))


class ImportReviewView(ImportAccessMixin, View):
    """GET: the task's progress while it works, then the dry run's result (or the commit's), or the
    task's failure. POST: start the commit."""

    template_name = "core/import_review.html"
    progress_template = "core/import_progress.html"
    failed_template = "core/import_failed.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        spec = self.get_spec()
        job = background.load_for(token, owner=request.user, scope=spec.name)
        if job is not None and not job.finished:
            return self.progress_page(request, job)
        if getattr(request, "htmx", False) and job is not None:
            return HttpResponseClientRefresh()  # the poll saw the end: show the whole result page
        upload = spec.load_upload(token, actor=request.user)
        result = stored.load_result(upload) if upload is not None else None
        failed = job if job is not None and job.state == background.FAILED else None
        if failed is not None and (upload is None or result is None or failed.work == tasks.CHECK):
            return self.failed_page(request, failed)
        if upload is None:
            raise Http404(_("找不到这次导入。"))
        if (
            failed is not None
        ):  # the commit failed: the last check's result, and what went wrong (nothing written)
            changed = bool(failed.extra.get("changed"))
            return self.page(request, upload, result, status=409 if changed else 200, error=failed.message)
        if job is not None and job.extra.get("note") == "already":
            messages.info(request, _("这个文件已经导入过了，没有重复写入。"))
            job.extra.pop("note")
            job.save()
        return self.page(request, upload, result)

    def progress_page(self, request: HttpRequest, job: background.Progress) -> HttpResponse:
        spec = self.get_spec()
        context = {
            "spec": spec,
            "urls": spec.urls,
            "job": job,
            "committing": job.work == tasks.COMMIT,
            "poll_url": request.path,
        }
        if getattr(request, "htmx", False):
            return render(request, "core/partials/progress_bar.html", context)
        return render(request, self.progress_template, context)

    def failed_page(self, request: HttpRequest, job: background.Progress) -> HttpResponse:
        spec = self.get_spec()
        context = {"spec": spec, "urls": spec.urls, "job": job, "committing": job.work == tasks.COMMIT}
        return render(request, self.failed_template, context, status=400 if job.extra.get("refused") else 200)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        spec = self.get_spec()
        upload = self.own_upload(request, token)
        here = reverse(spec.urls.review, args=[upload.token])
        if spec.committed_event(upload.token) is not None:
            messages.info(request, _("这个文件已经导入过了，没有重复写入。"))
            return HttpResponseRedirect(here)
        job = background.load_for(token, owner=request.user, scope=spec.name)
        if job is not None and not job.finished:
            return HttpResponseRedirect(here)  # a second click while the task works: nothing new
        result = stored.load_result(upload)
        if result is None or result.has_errors:  # the commit would refuse it: say so now, write nothing
            messages.error(request, _("预检发现了问题，没有写入任何数据。请按错误报告修改后重新上传。"))
            if result is None:
                return HttpResponseRedirect(here)
            return self.page(request, upload, result, status=409)
        start_task(spec, upload.token, request.user, tasks.COMMIT)
        return HttpResponseRedirect(here)  # progress, then the result (data-testid="import-done")

    def page(
        self,
        request: HttpRequest,
        upload: StoredUpload,
        result: ImportResult | None,
        status: int = 200,
        error: str = "",
    ) -> HttpResponse:
        if result is None:
            raise Http404(_("找不到这次导入。"))
        spec = self.get_spec()
        event = spec.committed_event(upload.token)
        context = {
            "task_error": error,
            "spec": spec,
            "urls": spec.urls,
            "upload": upload,
            "result": result,
            "sheets": [(sheet, spec.kind_label(sheet.kind)) for sheet in result.sheets],
            "several": len(spec.kinds) > 1,
            "totals": result.totals,
            "problems": result.problems[:SHOWN_PROBLEMS],
            "problems_hidden": max(result.problem_count - SHOWN_PROBLEMS, 0),
            "shown_problems": SHOWN_PROBLEMS,
            "committed": event is not None,
            "event": event,
            "done": done_counts(spec, event.detail) if event is not None else None,
        }
        return render(request, self.template_name, context, status=status)


def done_counts(spec: ImportSpec, detail: dict[str, Any]) -> dict[str, Any]:
    """What a commit's audit event says it did: totals, and per kind for a spec with several."""
    empty = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
    by_kind = [(str(kind.label), detail.get(kind.key) or empty) for kind in spec.kinds]
    return {
        "created": detail.get("created", sum(counts.get("created", 0) for _label, counts in by_kind)),
        "updated": detail.get("updated", sum(counts.get("updated", 0) for _label, counts in by_kind)),
        "unchanged": detail.get("unchanged", sum(counts.get("unchanged", 0) for _label, counts in by_kind)),
        "by_kind": by_kind,
    }


class ImportReportView(ImportAccessMixin, View):
    """The error report of an upload's last dry run (or commit), as .xlsx."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = self.own_upload(request, token)
        result = stored.load_result(upload)
        if result is None:
            raise Http404(_("找不到这次导入。"))
        return excel.xlsx_response(
            error_report_workbook(result), error_report_filename(self.get_spec(), upload)
        )


class ImportTemplateView(ImportAccessMixin, View):
    """An empty template: ``kind`` is a sheet kind's key, or "all"; a spec with one kind needs none."""

    def get(self, request: HttpRequest, kind: str | None = None) -> HttpResponse:
        spec = self.get_spec()
        names = spec.template_kinds()
        key = kind if kind is not None else (spec.kinds[0].key if len(spec.kinds) == 1 else "")
        if key not in names:
            raise Http404
        return excel.xlsx_response(spec.template_workbook(key), names[key])
