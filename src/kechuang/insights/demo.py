"""Demo targets for the five heights: every KPI gets this year's and last year's target and an overall
(three-year) target, and the KPIs no module records yet get their actual figures, so the leader's
dashboard shows progress against a target everywhere instead of "未设目标" (issue 14 item 7).

Targets are set from what the demo data holds, as a district sets them from last year's figures: this
year's target a little above or below the actual so far (some KPIs ahead of plan, most behind), the
overall target about three years of it. Existing targets are left alone (an operator's edits win), so
running the generator again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from .kpis import FLOW, MANUAL, STOCK, all_kpis, compute
from .models import KpiTarget

# The figures typed in for KPIs that no module records yet, per scale: the year's actual as an operator's
# ledger would have it. None is left: the events module now records the science-literacy events and their
# check-ins (issue 17), so a KPI added as manual gets the default of 10.
MANUAL_ACTUALS: dict[str, dict[str, int]] = {"tiny": {}, "small": {}, "large": {}}


def _round_target(value: Decimal, decimals: int = 0) -> Decimal:
    """A target people would set: two significant figures (38 → 38, 1234 → 1200), whole numbers for
    counts (3.7 institutes → 4), one decimal at most for amounts (5.67 → 5.7)."""
    if value <= 0:
        return Decimal(0)
    digits = len(str(int(value))) if value >= 1 else 1
    step = Decimal(10) ** max(digits - 2, -min(decimals, 1))
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def make_demo_targets(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    today = timezone.localdate()
    year = today.year
    elapsed = max(0.25, (today - dt.date(year, 1, 1)).days / 365)  # share of the year gone
    manual = MANUAL_ACTUALS.get(scale, MANUAL_ACTUALS["small"])
    created = 0
    for kpi in all_kpis():
        for target_year in (year - 1, year):
            if KpiTarget.objects.filter(kpi_code=kpi.code, year=target_year).exists():
                continue
            values: dict[str, Any] = {"note": "演示数据：按上年实际与本年进度设定"}
            if kpi.kind == MANUAL:
                actual = Decimal(manual.get(kpi.code, 10))
                if target_year < year:
                    actual = (actual * Decimal("0.85")).quantize(Decimal(1))
                else:
                    actual = (actual * Decimal(str(elapsed))).quantize(Decimal(1))
                values["manual_actual"] = actual
                full_year = actual / Decimal(str(elapsed if target_year == year else 1))
            else:
                figure = compute(kpi, target_year, today=today).actual
                actual = Decimal(str(figure or 0))
                # a flow KPI's year so far, projected to the whole year; a stock is its level
                full_year = (
                    actual / Decimal(str(elapsed)) if kpi.kind == FLOW and target_year == year else actual
                )
            factor = Decimal(str(round(rng.uniform(0.9, 1.3), 2)))  # most KPIs a little behind their target
            target = _round_target(full_year * factor, kpi.decimals) or Decimal(1)
            values["this_year_target"] = target
            values["overall_target"] = (
                _round_target(target * 3, kpi.decimals)
                if kpi.kind != STOCK
                else _round_target(target * Decimal("1.3"), kpi.decimals)
            )
            KpiTarget.objects.create(kpi_code=kpi.code, year=target_year, **values)
            created += 1
    return {"kpi_targets": created}
