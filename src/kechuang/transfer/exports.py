"""The achievement and demand lists as CSV, built by the task worker (``core.exporting``; docs/adr/0027).

The rows are those the user may see under the list's filters, as on the list page; at most ``MAX_ROWS``.
Every cell is formula-safe (a leading apostrophe before ``= + - @`` and control characters), the file is
UTF-8 with a BOM so Excel reads the Chinese, and the export leaves an audit event.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kechuang.core import audit
from kechuang.core.exporting import CSV_CONTENT_TYPE, ExportFile, export
from kechuang.core.money import format_range, format_wan
from kechuang.core.progress import Reporter

from .choices import CooperationMode
from .filters import AchievementFilter, DemandFilter
from .permissions import achievement_visible_to, demand_visible_to

MAX_ROWS = 5000
STEP = 250  # rows between two progress reports


def safe(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\x00", "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _query(params: dict[str, list[str]]) -> QueryDict | None:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, values)
    return query or None


def _listings(name: str, user: Any, params: dict[str, list[str]]) -> list[Any]:
    visible, filterset_class = (
        (achievement_visible_to, AchievementFilter)
        if name == "achievement"
        else (demand_visible_to, DemandFilter)
    )
    base = visible(user).select_related("organization").prefetch_related("fields")
    filterset = filterset_class(_query(params), queryset=base, request=None)
    qs = (
        filterset.qs if filterset.is_bound and filterset.is_valid() else base.order_by("-published_at", "-id")
    )
    return list(qs[:MAX_ROWS])


def _mode_labels(values: list[str]) -> list[str]:
    labels = dict(CooperationMode.choices)
    return [str(labels.get(v, v)) for v in values or []]


def _csv(name: str, user: Any, params: dict[str, list[str]], reporter: Reporter) -> ExportFile:
    rows = _listings(name, user, params)
    reporter.phase(str(_("写入文件")), total=len(rows))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    if name == "achievement":
        writer.writerow(
            ["编号", "标题", "机构", "技术领域", "TRL", "转化方式", "意向价格", "状态", "发布时间"]
        )
    else:
        writer.writerow(
            ["编号", "标题", "企业", "技术领域", "期望TRL", "预算", "期望完成", "状态", "发布时间"]
        )
    for index, item in enumerate(rows, start=1):
        if name == "achievement":
            values: tuple[Any, ...] = (
                item.code,
                item.title,
                item.organization.name,
                "、".join(f.name for f in item.fields.all()),
                item.trl,
                "、".join(_mode_labels(item.transfer_modes)),
                format_wan(item.asking_price_fen),
                item.get_status_display(),
                item.published_at.date() if item.published_at else "",
            )
        else:
            values = (
                item.code,
                item.title,
                item.organization.name,
                "、".join(f.name for f in item.fields.all()),
                item.trl_required or "",
                format_range(item.budget_min_fen, item.budget_max_fen),
                item.deadline or "",
                item.get_status_display(),
                item.published_at.date() if item.published_at else "",
            )
        writer.writerow([safe(v) for v in values])
        if index % STEP == 0:
            reporter.step(index)
    audit.record(
        f"{name}.export",
        actor=user,
        object_type=f"transfer.{name}",
        detail={"rows": len(rows), "filters": {k: (v[0] if v else "")[:50] for k, v in params.items()}},
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    return ExportFile(
        filename=f"{name}s-{stamp}.csv",
        content=buffer.getvalue().encode("utf-8"),
        content_type=CSV_CONTENT_TYPE,
        rows=len(rows),
    )


@export(label=_("科技成果列表（CSV）"))
def achievements_csv(user: Any, params: dict[str, list[str]], reporter: Reporter) -> ExportFile:
    return _csv("achievement", user, params, reporter)


@export(label=_("技术需求列表（CSV）"))
def demands_csv(user: Any, params: dict[str, list[str]], reporter: Reporter) -> ExportFile:
    return _csv("demand", user, params, reporter)
