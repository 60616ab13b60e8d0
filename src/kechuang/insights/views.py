"""Leader and operator dashboards, KPI drill-down, exports and the one-page briefing.

Every view needs the leader or operator role; drill-down lists start from the source model's own
visibility queryset. Each export goes through core.excel (formula-safe cells) and is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import json_script
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from kechuang.core import exporting
from kechuang.core.excel import SheetData, workbook_bytes, xlsx_response
from kechuang.core.figures import cached_figures

from . import exports
from . import kpis as registry
from .forms import KpiTargetForm
from .permissions import may_edit_targets, may_view_insights
from .selectors import chart_data, heights, kpi_row, kpi_table, map_data, parse_year, targets_for
from .services import export_recorded, kpi_target_set

PAGE_SIZE = 50


class InsightsMixin(LoginRequiredMixin):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not may_view_insights(request.user):
            raise PermissionDenied(_("数据洞察仅对班子领导和运营人员开放。"))
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _kpi_or_404(code: str) -> registry.Kpi:
    kpi = registry.get_kpi(code)
    if kpi is None:
        raise Http404(_("没有这个指标。"))
    return kpi


def _years(year: int) -> list[int]:
    now = timezone.localdate().year
    return list(range(now, now - 5, -1)) if year >= now - 4 else [year, *range(now, now - 5, -1)]


def _script(element_id: str, part: str, compute: Callable[[], Any]) -> SafeString:
    """``compute()`` as a JSON ``<script>`` element, kept with the figures it is drawn from until the next
    write (core.figures): the dashboard's charts and map are some 30 KB of JSON, dumped and escaped on
    every visit otherwise (docs/adr/0029-page-speed.md). Per language and day (labels; vacancy moves with
    the date)."""
    key = f"insights:script:{element_id}:{part}:{get_language()}:{timezone.localdate()}"
    return cached_figures(key, lambda: json_script(compute(), element_id))


def _dashboard_context(request: HttpRequest) -> dict[str, Any]:
    year = parse_year(request.GET.get("year"))
    rows = kpi_table(year)
    return {
        "year": year,
        "years": _years(year),
        "rows": rows,
        "heights": heights(rows),
        "charts_script": _script("insights-chart-data", str(year), lambda: chart_data(rows, year)),
        "may_edit": may_edit_targets(request.user),
        "today": timezone.localdate(),
    }


class LeaderDashboardView(InsightsMixin, View):
    """五大高地: each height's figures against its targets, trends and the district map."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = _dashboard_context(request)
        context["map_script"] = _script("district-map-data", "district", map_data)
        return render(request, "insights/dashboard.html", context)


class OperatorDashboardView(InsightsMixin, View):
    """The full KPI table with definitions, targets (editable by operators), exports."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "insights/operator.html", _dashboard_context(request))


class KpiDetailView(InsightsMixin, View):
    """One KPI: definition, trend by month and quarter, and the records behind it."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        kpi = _kpi_or_404(code)
        year = parse_year(request.GET.get("year"))
        row = kpi_row(kpi, year, targets_for(year).get(kpi.code))
        page = None
        hidden = 0
        if row["drillable"]:
            qs = registry.records(kpi, request.user, year)
            page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
            hidden = max(registry.records_total(kpi, year) - page.paginator.count, 0)
            page.rows = [[registry.cell(obj, c.path) for c in kpi.columns] for obj in page.object_list]  # type: ignore[attr-defined]
        return render(
            request,
            "insights/kpi_detail.html",
            {
                "kpi": kpi,
                "row": row,
                "year": year,
                "years": _years(year),
                "page": page,
                "hidden": hidden,
                "columns": [str(c.label) for c in kpi.columns],
                "charts": chart_data([row], year),
                "may_edit": may_edit_targets(request.user),
            },
        )


class KpiTargetEditView(InsightsMixin, View):
    def _check(self, request: HttpRequest) -> None:
        if not may_edit_targets(request.user):
            raise PermissionDenied(_("只有运营人员可以设置指标目标。"))

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        self._check(request)
        kpi = _kpi_or_404(code)
        year = parse_year(request.GET.get("year"))
        target = targets_for(year).get(kpi.code)
        initial = {"year": year}
        if target:
            initial.update(
                this_year_target=target.this_year_target,
                overall_target=target.overall_target,
                manual_actual=target.manual_actual,
                note=target.note,
            )
        form = KpiTargetForm(initial=initial, manual=kpi.kind == registry.MANUAL)
        return render(request, "insights/target_form.html", {"kpi": kpi, "form": form, "year": year})

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        self._check(request)
        kpi = _kpi_or_404(code)
        form = KpiTargetForm(request.POST, manual=kpi.kind == registry.MANUAL)
        if form.is_valid():
            data = form.cleaned_data
            try:
                kpi_target_set(
                    actor=request.user,
                    kpi_code=kpi.code,
                    year=data["year"],
                    this_year_target=data.get("this_year_target"),
                    overall_target=data.get("overall_target"),
                    manual_actual=data.get("manual_actual"),
                    note=data.get("note", ""),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("已保存“%(name)s”的目标。") % {"name": kpi.name})
                return HttpResponseRedirect(f"{reverse('insights:operator')}?year={data['year']}")
        return render(
            request,
            "insights/target_form.html",
            {"kpi": kpi, "form": form, "year": parse_year(request.POST.get("year"))},
            status=400,
        )


def kpi_sheet(rows: list[dict[str, Any]], year: int) -> SheetData:
    def number(value: Any) -> Any:
        return None if value is None else value

    header = [
        _("高地"),
        _("指标编码"),
        _("指标"),
        _("单位"),
        _("本年实际"),
        _("本年目标"),
        _("完成率（%）"),
        _("累计/当前"),
        _("总目标"),
        _("总目标完成率（%）"),
        _("定义"),
        *[_("%(m)s月") % {"m": m} for m in range(1, 13)],
    ]
    height_names = {h["code"]: h["name"] for h in heights(rows)}
    data = [
        [
            height_names.get(r["height"], r["height"]),
            r["code"],
            r["name"],
            r["unit"],
            number(r["actual"]),
            number(r["this_year_target"]),
            r["progress"],
            number(r["cumulative"]),
            number(r["overall_target"]),
            r["overall_progress"],
            r["definition"],
            *r["months"],
        ]
        for r in rows
    ]
    return SheetData(
        title=_("%(y)s年五大高地指标") % {"y": year},
        header=header,
        rows=data,
        widths=[16, 28, 20, 8, 12, 12, 12, 12, 12, 14, 60, *([8] * 12)],
    )


class KpiSheetExportView(InsightsMixin, View):
    """The KPI sheet (every KPI with definition, actuals, targets, months) as Excel."""

    def get(self, request: HttpRequest) -> HttpResponse:
        year = parse_year(request.GET.get("year"))
        rows = kpi_table(year)
        content = workbook_bytes([kpi_sheet(rows, year)])
        export_recorded(actor=request.user, what="kpi-sheet", rows=len(rows), detail={"year": year})
        return xlsx_response(content, f"五大高地指标-{year}.xlsx")


class KpiRecordsExportView(InsightsMixin, View):
    """The records behind one KPI (as the viewer may see them) as Excel, built by the task worker."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        kpi = _kpi_or_404(code)
        if kpi.visible is None:
            raise Http404(_("该指标由人工填报，没有明细记录。"))
        year = parse_year(request.GET.get("year"))
        return exporting.start(
            request, exports.kpi_records_xlsx, params={"code": [kpi.code], "year": [str(year)]}
        )


class BriefingView(InsightsMixin, View):
    """A one-page leader briefing (A4, prints cleanly): the five heights with actual vs target."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = _dashboard_context(request)
        from kechuang.directory.selectors import district_profile

        context["district"] = district_profile()
        return render(request, "insights/briefing.html", context)
