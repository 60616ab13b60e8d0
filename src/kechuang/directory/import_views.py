"""Bulk import pages: upload → dry run (review, error report) → commit (docs/design.md §3.1, docs/reliability.md K4).

Operators only. An upload belongs to the operator who sent it: anybody else gets 404 for its review
page, its error report and its commit, and nothing changes (docs/reliability.md B2).
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

from . import importing
from .forms import ImportUploadForm
from .permissions import can_import_directory

logger = logging.getLogger(__name__)

SHOWN_PROBLEMS = 1000
TEMPLATE_KINDS = {"organizations": importing.ORGANIZATIONS, "people": importing.PEOPLE, "all": "all"}


class ImportForm(ImportUploadForm):
    """The file, and for a CSV (or a workbook with one unnamed sheet) what it holds."""

    kind = forms.ChoiceField(
        label=gettext_lazy("数据类型"),
        choices=[
            ("", gettext_lazy("自动识别")),
            (importing.ORGANIZATIONS, gettext_lazy("机构")),
            (importing.PEOPLE, gettext_lazy("人员")),
        ],
        required=False,
        help_text=gettext_lazy(
            "Excel 文件按工作表名称（“机构”“人员”）识别；CSV 文件按表头识别，也可在此指定。"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".xlsx,.csv", "class": "form-control"})
        self.fields["file"].allow_empty_file = True  # type: ignore[attr-defined]  # the importer explains an empty file itself
        self.fields["file"].error_messages["required"] = _("请选择要上传的 Excel 或 CSV 文件。")
        self.fields["kind"].widget.attrs.update({"class": "form-select"})
        self.fields["file"].help_text = _(
            "支持 .xlsx 与 .csv（UTF-8 或 GBK），不超过 %(size)s，最多 %(rows)s 行。"
        ) % {"size": importing.human_size(settings.IMPORT_MAX_BYTES), "rows": settings.IMPORT_MAX_ROWS}


class _ImportAccessMixin(LoginRequiredMixin):
    """Signed in (else the login page), then operator (else 403)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can_import_directory(request.user):
            raise PermissionDenied(_("只有运营人员可以批量导入。"))
        return super().dispatch(request, *args, **kwargs)


def _own_upload(request: HttpRequest, token: str) -> importing.StoredUpload:
    upload = importing.load_upload(token, actor=request.user)
    if upload is None:
        raise Http404(_("找不到这次导入。"))
    return upload


def _start_context(form: ImportForm) -> dict[str, Any]:
    return {
        "form": form,
        "organization_columns": importing.ORGANIZATION_COLUMNS,
        "person_columns": importing.PERSON_COLUMNS,
        "max_rows": settings.IMPORT_MAX_ROWS,
    }


class ImportStartView(_ImportAccessMixin, View):
    template_name = "directory/import_start.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, _start_context(ImportForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, _start_context(form), status=400)
        uploaded = form.cleaned_data["file"]
        kind = form.cleaned_data.get("kind") or None
        filename = importing.safe_filename(uploaded.name)
        try:
            if uploaded.size > settings.IMPORT_MAX_BYTES:
                raise importing.ImportFileError(
                    _("文件大小 %(size)s 超过上限 %(limit)s，请拆分成多个文件后分别导入。")
                    % {
                        "size": importing.human_size(uploaded.size),
                        "limit": importing.human_size(settings.IMPORT_MAX_BYTES),
                    }
                )
            data = uploaded.read(settings.IMPORT_MAX_BYTES + 1)
            info = importing.inspect_upload(filename, data)
            title = excel.safe_sheet_title(filename.rsplit(".", 1)[0])
            result = importing.dry_run(data, info, kind=kind, title=title)
        except importing.ImportFileError as error:
            form.add_error("file", str(error))
            return render(request, self.template_name, _start_context(form), status=400)
        importing.prune_uploads()
        upload = importing.store_upload(
            actor=request.user, filename=filename, data=data, info=info, kind=kind
        )
        importing.save_result(upload, result)
        return HttpResponseRedirect(reverse("directory:import-review", args=[upload.token]))


class ImportReviewView(_ImportAccessMixin, View):
    template_name = "directory/import_review.html"

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = _own_upload(request, token)
        return self._render(request, upload, importing.load_result(upload))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = _own_upload(request, token)
        here = reverse("directory:import-review", args=[upload.token])
        try:
            outcome = importing.import_commit(actor=request.user, upload=upload)
        except importing.ImportAlreadyCommitted:
            messages.info(request, _("这个文件已经导入过了，没有重复写入。"))
            return HttpResponseRedirect(here)
        except importing.ImportFileError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("directory:import-start"))
        except DatabaseError:
            logger.exception("import commit failed")
            messages.error(request, _("导入失败，没有写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"))
            return HttpResponseRedirect(here)
        importing.save_result(upload, outcome.result)
        if not outcome.committed:
            messages.error(
                request, _("数据与预检时相比有变化，发现了新的问题，没有写入任何数据。请修改后重新上传。")
            )
            return self._render(request, upload, outcome.result, status=409)
        return HttpResponseRedirect(here)  # the review page now shows the result (data-testid="import-done")

    def _render(
        self,
        request: HttpRequest,
        upload: importing.StoredUpload,
        result: importing.ImportResult | None,
        status: int = 200,
    ) -> HttpResponse:
        if result is None:
            raise Http404(_("找不到这次导入。"))
        event = importing.committed_event(upload.token)
        context = {
            "upload": upload,
            "result": result,
            "totals": result.totals,
            "problems": result.problems[:SHOWN_PROBLEMS],
            "problems_hidden": max(result.problem_count - SHOWN_PROBLEMS, 0),
            "committed": event is not None,
            "event": event,
            "done": _done_counts(event.detail) if event is not None else None,
        }
        return render(request, self.template_name, context, status=status)


def _done_counts(detail: dict[str, Any]) -> dict[str, Any]:
    empty = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
    organizations = detail.get("organizations") or empty
    people = detail.get("people") or empty
    return {
        "organizations": organizations,
        "people": people,
        "created": organizations.get("created", 0) + people.get("created", 0),
        "updated": organizations.get("updated", 0) + people.get("updated", 0),
        "unchanged": organizations.get("unchanged", 0) + people.get("unchanged", 0),
    }


class ImportErrorReportView(_ImportAccessMixin, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = _own_upload(request, token)
        result = importing.load_result(upload)
        if result is None:
            raise Http404(_("找不到这次导入。"))
        stem = upload.filename.rsplit(".", 1)[0]
        return excel.xlsx_response(importing.error_report_workbook(result), f"错误报告-{stem}.xlsx")


class ImportTemplateView(_ImportAccessMixin, View):
    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in TEMPLATE_KINDS:
            raise Http404
        names = {
            "organizations": "机构导入模板.xlsx",
            "people": "人员导入模板.xlsx",
            "all": "机构与人员导入模板.xlsx",
        }
        return excel.xlsx_response(importing.template_workbook(TEMPLATE_KINDS[kind]), names[kind])
