"""Expert scoring shared by the modules that judge with a panel (ADR 0019, ADR 0025): weighted criteria
whose weights sum to 100, a 0–100 integer per criterion, and the weighted total ×100 as an integer. The
challenges' panels (揭榜挂帅) and the competitions' rounds (创新创业大赛) check and add up scores the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .text import checked_text


def checked_criteria(raw: Any, default: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The panel's criteria: ``default`` when none are given; 1–10 items of a name, a code and an integer
    weight of 1–100, codes unique, weights summing to 100."""
    if not raw:
        return [dict(c) for c in default]
    if not isinstance(raw, list) or len(raw) > 10:
        raise ValidationError({"criteria": _("评审指标应为 1 到 10 项。")})
    out: list[dict[str, Any]] = []
    codes: set[str] = set()
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise ValidationError({"criteria": _("第 %(n)s 项评审指标格式不对。") % {"n": index}})
        name = checked_text(item.get("name"), "criteria", label=_("指标名称"), limit=40)
        code = str(item.get("code") or f"c{index}")[:20]
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 100:
            raise ValidationError({"criteria": _("“%(name)s”的权重应为 1 到 100 的整数。") % {"name": name}})
        if code in codes:
            raise ValidationError({"criteria": _("评审指标代码重复：%(c)s") % {"c": code}})
        codes.add(code)
        out.append({"code": code, "name": name, "weight": weight})
    if sum(c["weight"] for c in out) != 100:
        raise ValidationError({"criteria": _("各项评审指标的权重合计应为 100。")})
    return out


def checked_values(criteria: Sequence[dict[str, Any]], values: Any) -> dict[str, int]:
    """One judge's sheet: an integer 0–100 for every criterion (digits in a string are accepted)."""
    if not isinstance(values, dict):
        raise ValidationError({"values": _("请为每项评审指标打分。")})
    clean: dict[str, int] = {}
    for criterion in criteria:
        value = values.get(criterion["code"])
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ValidationError(
                {"values": _("“%(name)s”的得分应为 0 到 100 的整数。") % {"name": criterion["name"]}}
            )
        clean[criterion["code"]] = value
    return clean


def weighted_total_x100(criteria: Sequence[dict[str, Any]], values: dict[str, int]) -> int:
    """The weighted total on a 0–100 scale, times 100 (weights sum to 100, so this is exact)."""
    return sum(int(values[c["code"]]) * int(c["weight"]) for c in criteria)


def lead_criterion(criteria: Sequence[dict[str, Any]]) -> str:
    """The heaviest-weighted criterion (the first such if several weigh the same): the first tie-breaker."""
    return str(max(criteria, key=lambda c: c["weight"])["code"]) if criteria else ""


def means_x100(
    criteria: Sequence[dict[str, Any]], sheets: Sequence[tuple[int, dict[str, Any]]]
) -> tuple[int, int]:
    """(mean weighted total ×100, mean score on the lead criterion ×100) of the sheets
    ``(total_x100, values)`` of one candidate; (0, 0) without a sheet."""
    if not sheets:
        return 0, 0
    lead = lead_criterion(criteria)
    count = len(sheets)
    return (
        round(sum(total for total, _values in sheets) / count),
        round(sum(int(values.get(lead, 0)) * 100 for _total, values in sheets) / count),
    )
