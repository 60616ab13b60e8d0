"""The records behind one KPI as Excel, built by the task worker (``core.exporting``; docs/adr/0027):
up to 50,000 rows, as the viewer may see them, formula-safe (``core.excel``) and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from kechuang.core.excel import SheetData, workbook_bytes
from kechuang.core.exporting import ExportFile, export
from kechuang.core.progress import Reporter

from . import kpis as registry
from .permissions import may_view_insights
from .selectors import parse_year
from .services import export_recorded

EXPORT_LIMIT = 50_000
STEP = 1000


@export(label=_("指标明细（Excel）"))
def kpi_records_xlsx(user: Any, params: dict[str, list[str]], reporter: Reporter) -> ExportFile:
    if not may_view_insights(user):  # checked again in the worker: the role may have gone meanwhile
        raise PermissionDenied
    code = (params.get("code") or [""])[0]
    kpi = registry.get_kpi(code)
    if kpi is None or kpi.visible is None:
        raise LookupError(code)
    year = parse_year((params.get("year") or [None])[0])
    qs = registry.records(kpi, user, year)[:EXPORT_LIMIT]
    total = qs.count()
    reporter.phase(str(_("读取记录")), total=total)
    rows = []
    for index, obj in enumerate(qs.iterator(chunk_size=2000), start=1):
        rows.append([registry.cell(obj, c.path) for c in kpi.columns])
        if index % STEP == 0:
            reporter.step(index)
    reporter.phase(str(_("生成 Excel 文件")))
    sheet = SheetData(
        title=str(kpi.name),
        header=[str(c.label) for c in kpi.columns],
        rows=rows,
        widths=[22] * len(kpi.columns),
    )
    content = workbook_bytes([sheet])
    export_recorded(actor=user, what=f"kpi-records:{kpi.code}", rows=len(rows), detail={"year": year})
    return ExportFile(filename=f"{kpi.name}-{year}-明细.xlsx", content=content, rows=len(rows))
