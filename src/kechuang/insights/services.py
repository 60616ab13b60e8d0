"""Writes of the insights module: targets (audited) and the export audit record (C1)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.core import audit

from .kpis import MANUAL, get_kpi
from .models import KpiTarget
from .permissions import may_edit_targets


def kpi_target_set(
    *,
    actor: Any,
    kpi_code: str,
    year: int,
    this_year_target: Decimal | None,
    overall_target: Decimal | None,
    manual_actual: Decimal | None = None,
    note: str = "",
) -> KpiTarget:
    """Create or change the targets of one KPI for one year; audited as ``insights.target_set``."""
    if not may_edit_targets(actor):
        raise PermissionDenied(_("只有运营人员可以设置指标目标。"))
    kpi = get_kpi(kpi_code)
    if kpi is None:
        raise ValidationError(_("没有编码为 %(code)s 的指标。") % {"code": kpi_code})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError(_("年度应在 2000 至 2100 之间。"))
    for label, value in (
        (_("本年目标"), this_year_target),
        (_("总目标"), overall_target),
        (_("本年实际"), manual_actual),
    ):
        if value is not None and value < 0:
            raise ValidationError(_("%(field)s不能为负数。") % {"field": label})
    if kpi.kind != MANUAL:
        manual_actual = None
    with transaction.atomic():
        target = KpiTarget.objects.select_for_update().filter(kpi_code=kpi_code, year=year).first()
        before = (
            {
                "this_year_target": str(target.this_year_target),
                "overall_target": str(target.overall_target),
                "manual_actual": str(target.manual_actual),
            }
            if target
            else {}
        )
        if target is None:
            target = KpiTarget(kpi_code=kpi_code, year=year)
        target.this_year_target = this_year_target
        target.overall_target = overall_target
        target.manual_actual = manual_actual
        target.note = note[:300]
        target.updated_by = actor
        target.full_clean()
        target.save()
        audit.record(
            "insights.target_set",
            actor=actor,
            obj=target,
            detail={
                "kpi": kpi_code,
                "year": int(year),
                "before": before,
                "after": {
                    "this_year_target": str(this_year_target),
                    "overall_target": str(overall_target),
                    "manual_actual": str(manual_actual),
                },
            },
        )
        # the cached KPI table is retired on every app server when this commits (core.audit → core.figures)
    return target


def export_recorded(*, actor: Any, what: str, rows: int, detail: dict[str, Any] | None = None) -> None:
    """Every export leaves an ``insights.export`` audit record (docs/reliability.md C1)."""
    audit.record(
        "insights.export",
        actor=actor,
        object_type="insights.export",
        object_id=what[:64],
        object_repr=what[:200],
        detail={"rows": rows, **(detail or {})},
    )
