"""Reads of the insights module: the KPI table of a year, grouped by height, with targets and trends.

Query cost: one aggregate query per KPI plus one for the targets, whatever the number of records.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .kpis import HEIGHT_CODES, HEIGHT_FALLBACK_NAMES, MANUAL, Kpi, all_kpis, compute, quarters
from .models import KpiTarget


def current_year() -> int:
    return timezone.localdate().year


def parse_year(raw: Any) -> int:
    """A year from a query string; the current year for anything unusable."""
    try:
        year = int(str(raw))
    except (TypeError, ValueError):
        return current_year()
    return year if 2000 <= year <= current_year() + 1 else current_year()


def _ratio(actual: Any, target: Any) -> float | None:
    if actual is None or target in (None, 0, Decimal(0)):
        return None
    return round(float(Decimal(actual) * 100 / Decimal(target)), 1)


def kpi_row(kpi: Kpi, year: int, target: KpiTarget | None, *, today: dt.date | None = None) -> dict[str, Any]:
    """One KPI with its definition, values, targets and trend, in plain data (templates, API, Excel)."""
    values = compute(kpi, year, today=today)
    actual: Any = values.actual
    cumulative: Any = values.cumulative
    if kpi.kind == MANUAL:
        actual = target.manual_actual if target and target.manual_actual is not None else None
        cumulative = None
    this_year_target = target.this_year_target if target else None
    overall_target = target.overall_target if target else None
    return {
        "code": kpi.code,
        "height": kpi.height,
        "name": str(kpi.name),
        "unit": str(kpi.unit),
        "kind": kpi.kind,
        "module": kpi.module,
        "definition": str(kpi.definition),
        "year": year,
        "actual": actual,
        "cumulative": cumulative,
        "this_year_target": this_year_target,
        "overall_target": overall_target,
        "progress": _ratio(actual, this_year_target),
        "overall_progress": _ratio(cumulative if kpi.kind != MANUAL else actual, overall_target),
        "months": values.months,
        "quarters": quarters(kpi, values.months),
        "drillable": kpi.visible is not None,
    }


def targets_for(year: int) -> dict[str, KpiTarget]:
    return {t.kpi_code: t for t in KpiTarget.objects.filter(year=year)}


def kpi_table(year: int, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Every KPI's row for ``year``. Kept in the shared cache (``core.figures``) until the next write on
    any app server, or ``INSIGHTS_CACHE_SECONDS`` at most, since the dashboards and the leader's home
    page all show it; a target saved on one app server shows on every other at once."""
    if today is not None:
        return _kpi_table(year, today=today)
    from kechuang.core.figures import cached_figures

    return cached_figures(
        f"insights:kpi-table:{year}:{dt.date.today().isoformat()}", lambda: _kpi_table(year)
    )


def _kpi_table(year: int, *, today: dt.date | None = None) -> list[dict[str, Any]]:
    targets = targets_for(year)
    return [kpi_row(kpi, year, targets.get(kpi.code), today=today) for kpi in all_kpis()]


def heights(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The five heights in the profile's order and names, each with its KPI rows."""
    from kechuang.core.home import HEIGHT_ICONS
    from kechuang.directory.selectors import district_profile

    profile = {
        str(h.get("code")): h for h in district_profile().get("heights", []) or [] if isinstance(h, dict)
    }
    result = []
    for code in HEIGHT_CODES:
        item = profile.get(code, {})
        kpis = [r for r in rows if r["height"] == code]
        progresses = [r["progress"] for r in kpis if r["progress"] is not None]
        result.append(
            {
                "code": code,
                "name": item.get("name") or str(HEIGHT_FALLBACK_NAMES[code]),
                "description": item.get("description", ""),
                "icon": HEIGHT_ICONS.get(code, "bi-bar-chart"),
                "kpis": kpis,
                # the height's progress: the mean of its KPIs' progress against this year's targets
                "progress": round(sum(min(p, 100.0) for p in progresses) / len(progresses), 1)
                if progresses
                else None,
            }
        )
    return result


def chart_data(rows: list[dict[str, Any]], year: int) -> dict[str, Any]:
    """What insights/charts.js draws: progress per KPI, and each height's monthly trend."""

    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    return {
        "year": year,
        "months": [f"{m}月" for m in range(1, 13)],
        "progress": [
            {"code": r["code"], "name": r["name"], "height": r["height"], "value": r["progress"]}
            for r in rows
            if r["this_year_target"] is not None
        ],
        "trends": {
            r["code"]: {
                "name": r["name"],
                "unit": r["unit"],
                "kind": r["kind"],
                "months": [number(v) for v in r["months"]],
                "quarters": [number(v) for v in r["quarters"]],
            }
            for r in rows
            if r["kind"] != MANUAL
        },
    }


def map_data() -> dict[str, Any]:
    """The district map with a vacancy layer when the spaces module is present (its selector writes
    vacancy into the block and park labels); otherwise the directory's map as it is."""
    from django.apps import apps

    if apps.is_installed("kechuang.spaces"):
        try:
            from kechuang.spaces.selectors import vacancy_figures, vacancy_map_data
        except ImportError:  # pragma: no cover
            pass
        else:
            figures = vacancy_figures()
            data = vacancy_map_data(figures)
            data["vacancy_total"] = {k: figures[k] for k in ("units", "vacant_units", "vacancy_rate")}
            return data
    from kechuang.directory.selectors import district_map_data

    return district_map_data()
