"""The import pages, the same for every spec: upload → dry run (review, error report) → commit
(docs/design.md §3.1, docs/reliability.md K4).

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

from kechuang.core import excel

from . import files, stored
from .report import ImportResult, error_report_workbook
from .spec import ImportAlreadyCommitted, ImportSpec, error_report_filename
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
        try:
            files.refuse_if_too_large(uploaded.size, files.TABLES)
            data = uploaded.read(files.limits_for(files.TABLES).max_bytes + 1)
            info = spec.inspect(filename, data)
            title = excel.safe_sheet_title(filename.rsplit(".", 1)[0])
            result = spec.dry_run(data, info, kind=kind, title=title)
        except files.FileRefused as error:
            form.add_error("file", str(error))
            return self.page(request, form, status=400)
        stored.prune_uploads()
        upload = spec.store_upload(actor=request.user, filename=filename, data=data, info=info, kind=kind)
        stored.save_result(upload, result)
        return HttpResponseRedirect(reverse(spec.urls.review, args=[upload.token]))


class ImportReviewView(ImportAccessMixin, View):
    """GET: the dry run's result (or the commit's). POST: the commit."""

    template_name = "core/import_review.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = self.own_upload(request, token)
        return self.page(request, upload, stored.load_result(upload))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        spec = self.get_spec()
        upload = self.own_upload(request, token)
        here = reverse(spec.urls.review, args=[upload.token])
        try:
            outcome = spec.commit(actor=request.user, upload=upload)
        except ImportAlreadyCommitted:
            messages.info(request, _("这个文件已经导入过了，没有重复写入。"))
            return HttpResponseRedirect(here)
        except files.FileRefused as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse(spec.urls.start))
        except DatabaseError:
            logger.exception("import commit failed (%s)", spec.name)
            messages.error(request, _("导入失败，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"))
            return HttpResponseRedirect(here)
        stored.save_result(upload, outcome.result)
        if not outcome.committed:
            messages.error(
                request, _("数据与预检时相比有变化，发现了新的问题，没有写入任何数据。请修改后重新上传。")
            )
            return self.page(request, upload, outcome.result, status=409)
        return HttpResponseRedirect(here)  # the review page now shows the result (data-testid="import-done")

    def page(
        self, request: HttpRequest, upload: StoredUpload, result: ImportResult | None, status: int = 200
    ) -> HttpResponse:
        if result is None:
            raise Http404(_("找不到这次导入。"))
        spec = self.get_spec()
        event = spec.committed_event(upload.token)
        context = {
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
