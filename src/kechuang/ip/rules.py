"""The high-value invention patent rule (高价值发明专利; docs/adr/0028-intellectual-property.md).

The national statistical definition (国家知识产权局, used for 每万人口高价值发明专利拥有量) counts an
invention patent in force that meets at least one of five criteria:
1. in a strategic emerging industry (its IPC codes, :mod:`kechuang.ip.ipc`);
2. it has a foreign family member (filed abroad);
3. it has been maintained for more than 10 years (from the filing date, still in force);
4. it was pledged for financing with a high amount (:data:`HIGH_PLEDGE_FEN`, the platform's threshold:
   the definition names none);
5. it won a national patent award (中国专利奖).
This module is pure: it takes the facts and returns the reasons; the services store the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .choices import AssetKind, LegalStatus

HIGH_PLEDGE_FEN = 10_000_000 * 100  # 1,000 万元
MAINTAINED_YEARS = 10

STRATEGIC, FOREIGN_FAMILY, MAINTAINED, PLEDGED, AWARD = (
    "strategic",
    "foreign",
    "maintained",
    "pledged",
    "award",
)
REASON_LABELS = {
    STRATEGIC: _("属于战略性新兴产业"),
    FOREIGN_FAMILY: _("有海外同族专利"),
    MAINTAINED: _("维持年限超过10年"),
    PLEDGED: _("实现较高金额质押融资"),
    AWARD: _("获得中国专利奖"),
}


@dataclass(frozen=True)
class Facts:
    kind: str
    legal_status: str
    filed_on: dt.date | None
    strategic: bool
    foreign_members: int
    largest_pledge_fen: int
    award: str


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end`` (anniversaries passed)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def high_value_reasons(facts: Facts, today: dt.date) -> list[str]:
    """The criteria met, in the definition's order; empty when the patent is not high-value (not an
    invention patent in force, or no criterion met)."""
    if facts.kind != AssetKind.INVENTION or facts.legal_status != LegalStatus.GRANTED:
        return []
    reasons = []
    if facts.strategic:
        reasons.append(STRATEGIC)
    if facts.foreign_members > 0:
        reasons.append(FOREIGN_FAMILY)
    if facts.filed_on is not None and _maintained_over(facts.filed_on, today):
        reasons.append(MAINTAINED)
    if facts.largest_pledge_fen >= HIGH_PLEDGE_FEN:
        reasons.append(PLEDGED)
    if facts.award:
        reasons.append(AWARD)
    return reasons


def _maintained_over(filed_on: dt.date, today: dt.date) -> bool:
    """More than ten years: the tenth anniversary of filing is behind us."""
    return today > _anniversary(filed_on, filed_on.year + MAINTAINED_YEARS)


def _anniversary(day: dt.date, year: int) -> dt.date:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return dt.date(year, 3, 1)


def protection_years(kind: str, filed_on: dt.date) -> int | None:
    """Term of protection from filing (专利法 第42条: design 15 years for filings from 1 June 2021)."""
    if kind == AssetKind.INVENTION:
        return 20
    if kind == AssetKind.UTILITY:
        return 10
    if kind == AssetKind.DESIGN:
        return 15 if filed_on >= dt.date(2021, 6, 1) else 10
    if kind == AssetKind.IC_LAYOUT:
        return 10
    if kind == AssetKind.PLANT_VARIETY:
        return 20
    return None
