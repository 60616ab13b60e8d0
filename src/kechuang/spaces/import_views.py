"""Unit import pages: upload → dry run (review, error report) → commit. Operators only; an upload
belongs to the operator who sent it (anybody else gets 404 and nothing changes)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from kechuang.core import excel
from kechuang.directory.forms import ImportUploadForm

from . import importing
from .permissions import can_import_units

logger = logging.getLogger(__name__)
SHOWN_PROBLEMS = 1000


class UnitImportForm(ImportUploadForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".xlsx,.csv", "class": "form-control"})
        self.fields["file"].allow_empty_file = True  # type: ignore[attr-defined]
        self.fields["file"].error_messages["required"] = _("请选择要上传的 Excel 或 CSV 文件。")


class _ImportAccess(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not can_import_units(request.user):
            raise PermissionDenied(_("只有运营人员可以批量导入房源。"))
        return super().dispatch(request, *args, **kwargs)


def _own(request: HttpRequest, token: str) -> importing.StoredUpload:
    upload = importing.load_upload(token, actor=request.user)
    if upload is None:
        raise Http404(_("找不到这次导入。"))
    return upload


def _start(request: HttpRequest, form: UnitImportForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "spaces/import_start.html",
        {"form": form, "columns": importing.COLUMNS, "max_rows": settings.IMPORT_MAX_ROWS},
        status=status,
    )


class UnitImportStartView(_ImportAccess, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _start(request, UnitImportForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UnitImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return _start(request, form, 400)
        uploaded = form.cleaned_data["file"]
        filename = importing.base.safe_filename(uploaded.name)
        try:
            if uploaded.size > settings.IMPORT_MAX_BYTES:
                raise importing.ImportFileError(
                    _("文件大小超过上限 %(limit)s，请拆分成多个文件后分别导入。")
                    % {"limit": importing.base.human_size(settings.IMPORT_MAX_BYTES)}
                )
            data = uploaded.read(settings.IMPORT_MAX_BYTES + 1)
            info = importing.inspect_upload(filename, data)
            title = excel.safe_sheet_title(filename.rsplit(".", 1)[0])
            result = importing.dry_run(data, info, title=title)
        except importing.ImportFileError as error:
            form.add_error("file", str(error))
            return _start(request, form, 400)
        importing.base.prune_uploads()
        upload = importing.store_upload(actor=request.user, filename=filename, data=data, info=info)
        importing.save_result(upload, result)
        return HttpResponseRedirect(reverse("spaces:import-review", args=[upload.token]))


class UnitImportReviewView(_ImportAccess, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = _own(request, token)
        return self._render(request, upload, importing.load_result(upload))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = _own(request, token)
        here = reverse("spaces:import-review", args=[upload.token])
        try:
            outcome = importing.import_commit(actor=request.user, upload=upload)
        except importing.ImportAlreadyCommitted:
            messages.info(request, _("这个文件已经导入过了，没有重复写入。"))
            return HttpResponseRedirect(here)
        except importing.ImportFileError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("spaces:import-start"))
        except DatabaseError:
            logger.exception("space import commit failed")
            messages.error(request, _("导入失败，没有写入任何数据。请稍后重试。"))
            return HttpResponseRedirect(here)
        importing.save_result(upload, outcome.result)
        if not outcome.committed:
            messages.error(
                request, _("数据与预检时相比有变化，发现了新的问题，没有写入任何数据。请修改后重新上传。")
            )
            return self._render(request, upload, outcome.result, status=409)
        return HttpResponseRedirect(here)

    def _render(
        self, request: HttpRequest, upload: importing.StoredUpload, result: Any, status: int = 200
    ) -> HttpResponse:
        if result is None:
            raise Http404(_("找不到这次导入。"))
        event = importing.committed_event(upload.token)
        return render(
            request,
            "spaces/import_review.html",
            {
                "upload": upload,
                "result": result,
                "totals": result.totals,
                "problems": result.problems[:SHOWN_PROBLEMS],
                "problems_hidden": max(result.problem_count - SHOWN_PROBLEMS, 0),
                "committed": event is not None,
                "event": event,
            },
            status=status,
        )


class UnitImportReportView(_ImportAccess, View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        upload = _own(request, token)
        result = importing.load_result(upload)
        if result is None:
            raise Http404(_("找不到这次导入。"))
        stem = upload.filename.rsplit(".", 1)[0]
        return excel.xlsx_response(importing.error_report_workbook(result), f"房源导入错误报告-{stem}.xlsx")


class UnitImportTemplateView(_ImportAccess, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return excel.xlsx_response(importing.template_workbook(), "房源导入模板.xlsx")
