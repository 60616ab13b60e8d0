"""The KPI registry: each figure of the five heights (五大高地), with its written definition.

A KPI says what it counts, from which records and for which period, and computes itself with ONE
aggregate query whatever the number of records: the period's value, the value at each month of the
year, and the cumulative value, all as filtered aggregates of a single SELECT.

Two kinds:
- ``flow``: records whose date falls in the period are counted (or their amount summed), e.g. 合同成交额;
  the cumulative value is every record ever (for the overall target).
- ``stock``: records that exist at the end of the period are counted, e.g. 两院院士; months show the
  stock at each month's end; the cumulative value equals the stock now.
- ``manual``: no module records it yet; an operator enters this year's actual with the targets.

Modules contribute KPIs through ``register_kpi_provider``; a module that is not installed contributes
nothing (its provider is skipped), so the dashboard grows as modules land.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FLOW, STOCK, MANUAL = "flow", "stock", "manual"

# The five heights, in the profile's order. The profile may rename them; codes are the contract.
HEIGHT_CODES = ("transfer", "resources", "incubation", "talent", "literacy")
HEIGHT_FALLBACK_NAMES = {
    "transfer": _("科研成果转化高地"),
    "resources": _("科创资源汇聚高地"),
    "incubation": _("科技企业孵化高地"),
    "talent": _("科技人才集聚高地"),
    "literacy": _("科学素养培育高地"),
}


@dataclass(frozen=True)
class Column:
    """A column of a KPI's drill-down list: header, a dotted attribute path, and a link kind."""

    label: Any
    path: str


@dataclass(frozen=True)
class Kpi:
    code: str
    height: str
    name: Any
    unit: Any
    definition: Any
    kind: str = FLOW
    model: Callable[[], type[Model]] | None = None
    # Q restricting the model's rows to the KPI's records (status, kind, flags)
    condition: Callable[[], Q] = field(default=lambda: Q())
    date_field: str = ""  # the date (or datetime) that places a record in a period
    amount_field: str = ""  # summed instead of counted; "_fen" amounts are shown in 万元
    amount_divisor: int = 1  # a summed amount shown divided (minutes summed, hours shown: 60)
    distinct_field: str = ""  # counted once per distinct value instead of once per record
    # a count shown per 10,000 people: the callable returns the population (0 when unknown: no value)
    per_population: Callable[[], int] | None = None
    visible: Callable[[Any], QuerySet[Any]] | None = None  # the source's visibility queryset
    columns: tuple[Column, ...] = ()
    select_related: tuple[str, ...] = ()
    module: str = ""  # app label the figure comes from
    decimals: int = 0
    sort: int = 0

    @property
    def is_money(self) -> bool:
        return self.amount_field.endswith("_fen")

    def base(self) -> QuerySet[Any]:
        assert self.model is not None
        return self.model()._default_manager.filter(self.condition())

    def to_unit(self, raw: Any) -> Decimal | int:
        """A raw aggregate (count, fen, or a decimal sum) in the KPI's display unit."""
        if raw is None:
            return 0
        if self.per_population is not None:
            population = self.per_population()
            if population <= 0:
                return Decimal(0)
            return (Decimal(raw) * Decimal(10_000) / Decimal(population)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        if self.is_money:
            return (Decimal(raw) / Decimal(1_000_000)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if self.amount_divisor != 1:
            return (Decimal(raw) / Decimal(self.amount_divisor)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        if isinstance(raw, Decimal):
            return raw.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return int(raw)


# --- periods -------------------------------------------------------------------------------------------


def month_bounds(year: int) -> list[tuple[dt.date, dt.date]]:
    """[(first day, first day of the next month)] for the twelve months of ``year``."""
    bounds = []
    for month in range(1, 13):
        start = dt.date(year, month, 1)
        end = dt.date(year + (month == 12), month % 12 + 1, 1)
        bounds.append((start, end))
    return bounds


def _edge(kpi: Kpi, day: dt.date) -> Any:
    """A date bound in the type of the KPI's date field (aware midnight for datetimes)."""
    assert kpi.model is not None
    model: Any = kpi.model()
    model_field: Any = None
    for part in kpi.date_field.split("__"):  # a date reached through a relation (competition__finalized_at)
        model_field = model._meta.get_field(part)
        if model_field.is_relation:
            model = model_field.related_model
    if model_field.get_internal_type() == "DateTimeField":
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return day


def period_q(kpi: Kpi, start: dt.date | None, end: dt.date) -> Q:
    """Records dated in [start, end) — or, with no start, before ``end``."""
    if not kpi.date_field:
        return Q()
    q = Q(**{f"{kpi.date_field}__lt": _edge(kpi, end)})
    if start is not None:
        q &= Q(**{f"{kpi.date_field}__gte": _edge(kpi, start)})
    return q


def year_end(year: int, today: dt.date) -> dt.date:
    """The exclusive end of the period: tomorrow for the running year, 1 January next year otherwise."""
    end = dt.date(year + 1, 1, 1)
    return min(end, today + dt.timedelta(days=1))


# --- the registry --------------------------------------------------------------------------------------

KpiProvider = Callable[[], list[Kpi]]
_providers: list[tuple[str, KpiProvider]] = []


def register_kpi_provider(app_label: str, provider: KpiProvider) -> None:
    """A module adds its KPIs; skipped when ``app_label`` is not an installed app."""
    if all(existing is not provider for _label, existing in _providers):
        _providers.append((app_label, provider))


def all_kpis() -> list[Kpi]:
    kpis: list[Kpi] = []
    for label, provider in _providers:
        if label and not apps.is_installed(f"kechuang.{label}"):
            continue
        try:
            kpis.extend(provider())
        except ImportError:  # a module still being built contributes nothing
            continue
    order = {code: i for i, code in enumerate(HEIGHT_CODES)}
    return sorted(kpis, key=lambda k: (order.get(k.height, 99), k.sort))


def get_kpi(code: str) -> Kpi | None:
    return next((k for k in all_kpis() if k.code == code), None)


# --- computing -----------------------------------------------------------------------------------------


@dataclass
class KpiValues:
    actual: Decimal | int | None  # this period (flow) or at the period's end (stock)
    cumulative: Decimal | int | None  # every record ever (flow) or the stock now
    months: list[Decimal | int | None]  # per month of the year (None for months not yet begun)


def _aggregate(kpi: Kpi, predicate: Q) -> Any:
    if kpi.amount_field:
        return Sum(kpi.amount_field, filter=predicate, default=0)
    if kpi.distinct_field:
        return Count(kpi.distinct_field, filter=predicate, distinct=True)
    return Count("pk", filter=predicate)


def compute(kpi: Kpi, year: int, *, today: dt.date | None = None) -> KpiValues:
    """The KPI for ``year`` in one query: the year's value, twelve month values and the cumulative."""
    today = today or timezone.localdate()
    if kpi.kind == MANUAL or kpi.model is None:
        return KpiValues(actual=None, cumulative=None, months=[None] * 12)
    end = year_end(year, today)
    everything = Q(pk__isnull=False)
    aggregates: dict[str, Any] = {}
    months = [(s, e) for s, e in month_bounds(year) if s <= today]
    if kpi.kind == FLOW:
        aggregates["actual"] = _aggregate(kpi, period_q(kpi, dt.date(year, 1, 1), end))
        aggregates["cumulative"] = _aggregate(kpi, everything)
        for index, (start, stop) in enumerate(months):
            aggregates[f"m{index}"] = _aggregate(kpi, period_q(kpi, start, min(stop, end)))
    else:
        aggregates["actual"] = _aggregate(kpi, period_q(kpi, None, end))
        aggregates["cumulative"] = _aggregate(kpi, everything)
        for index, (_start, stop) in enumerate(months):
            aggregates[f"m{index}"] = _aggregate(kpi, period_q(kpi, None, min(stop, end)))
    row = kpi.base().aggregate(**aggregates)
    month_values: list[Decimal | int | None] = [kpi.to_unit(row[f"m{i}"]) for i in range(len(months))]
    month_values += [None] * (12 - len(month_values))
    return KpiValues(
        actual=kpi.to_unit(row["actual"]), cumulative=kpi.to_unit(row["cumulative"]), months=month_values
    )


def quarters(kpi: Kpi, months: list[Decimal | int | None]) -> list[Decimal | int | None]:
    """Quarter values: the sum of a flow's months, a stock's value at the quarter's last month."""
    result: list[Decimal | int | None] = []
    for q in range(4):
        chunk = [m for m in months[q * 3 : q * 3 + 3] if m is not None]
        if not chunk:
            result.append(None)
        elif kpi.kind == STOCK:
            result.append(chunk[-1])
        else:
            result.append(sum(chunk))  # type: ignore[arg-type]
    return result


def records(kpi: Kpi, actor: Any, year: int, *, today: dt.date | None = None) -> QuerySet[Any]:
    """The records behind the figure that ``actor`` may see: the source's visibility queryset,
    restricted to the KPI's records in the period."""
    today = today or timezone.localdate()
    if kpi.model is None or kpi.visible is None:
        return QuerySet().none() if kpi.model is None else kpi.base().none()
    end = year_end(year, today)
    start = dt.date(year, 1, 1) if kpi.kind == FLOW else None
    qs = kpi.visible(actor).filter(kpi.condition()).filter(period_q(kpi, start, end))
    if kpi.select_related:
        qs = qs.select_related(*kpi.select_related)
    order = f"-{kpi.date_field}" if kpi.date_field else "-pk"
    return qs.order_by(order, "-pk")


def records_total(kpi: Kpi, year: int, *, today: dt.date | None = None) -> int:
    """How many records are behind the figure, whoever may see them (to say how many are hidden)."""
    today = today or timezone.localdate()
    if kpi.model is None:
        return 0
    start = dt.date(year, 1, 1) if kpi.kind == FLOW else None
    return int(kpi.base().filter(period_q(kpi, start, year_end(year, today))).count())


def cell(obj: Any, path: str) -> Any:
    """The value at a dotted path, with choices shown by their label and fen amounts in 万元."""
    value: Any = obj
    parts = path.split(".")
    for index, part in enumerate(parts):
        if value is None:
            return ""
        last = index == len(parts) - 1
        if last and hasattr(value, f"get_{part}_display"):
            return getattr(value, f"get_{part}_display")()
        value = getattr(value, part, "")
    if path.endswith("_fen") and isinstance(value, int):
        return (Decimal(value) / Decimal(1_000_000)).quantize(Decimal("0.01"))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return "" if value is None else value
