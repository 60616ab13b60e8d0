"""Test helpers for the transfer platform (used by tests/transfer and tests/browser; needs the dev
dependencies only through kechuang.testing). Listings are created through the services so that codes,
audit records and the index stay consistent."""

from __future__ import annotations

from typing import Any

from kechuang.directory.models import Organization, TechnologyField

from . import services
from .choices import AchievementStatus, DemandStatus, Visibility
from .models import Achievement, Demand

FIELDS = [
    ("IOT", "物联网传感", None, "传感器 MEMS 无线传感网"),
    ("IOT.SENSOR", "智能传感器", "IOT", "压力传感器 气体传感器"),
    ("OPT", "光学与激光", None, "激光 光纤 光学"),
    ("OPT.LASER", "激光制造", "OPT", "激光焊接 激光切割"),
    ("AUTO", "汽车智能制造", None, "汽车 车身 焊装"),
    ("SEC", "拟态安全", None, "网络安全 拟态防御"),
    ("BIO", "生物芯片", None, "生物传感 微流控"),
    ("SW", "软件与信息服务", None, "工业软件 大数据"),
]


def ensure_fields() -> dict[str, TechnologyField]:
    out: dict[str, TechnologyField] = {}
    for code, name, parent, keywords in FIELDS:
        field, _created = TechnologyField.objects.get_or_create(
            code=code,
            defaults={"name": name, "parent": out.get(parent) if parent else None, "keywords": keywords},
        )
        out[code] = field
    return out


ACHIEVEMENT_DEFAULTS: dict[str, Any] = {
    "title": "铝合金车身激光焊接气孔抑制技术",
    "summary": "针对新能源汽车铝合金车身激光焊接中气孔多、强度波动大的问题，"
    "提出振镜摆动激光焊接与保护气氛协同工艺，焊缝气孔率降低至0.5%以下。",
    "problem_solved": "解决铝合金车身焊装中的气孔与裂纹问题。",
    "advantages": "焊接速度提高30%，焊缝强度达到母材90%。",
    "scenarios": "新能源汽车车身焊装、电池托盘焊接。",
    "trl": 6,
    "transfer_modes": ["license", "co_development"],
    "ip_kinds": ["invention"],
    "asking_price_fen": 50_000_000,
    "keywords": "激光焊接 铝合金 车身",
    "contact_name": "张工",
    "contact_phone": "13800001111",
    "visibility": Visibility.PUBLIC,
}

DEMAND_DEFAULTS: dict[str, Any] = {
    "title": "电池托盘铝合金焊接气孔问题",
    "summary": "我司电池托盘采用铝合金激光焊接，焊缝气孔率偏高，导致气密性检测不合格，"
    "希望引进成熟的激光焊接工艺。",
    "current_state": "目前气孔率约3%，返修率高。",
    "target_indicators": "气孔率低于1%，焊缝强度不低于母材85%。",
    "trl_required": 5,
    "budget_min_fen": 30_000_000,
    "budget_max_fen": 80_000_000,
    "cooperation_modes": ["license", "commissioned"],
    "keywords": "激光焊接 铝合金 电池托盘",
    "contact_name": "李经理",
    "contact_phone": "13900002222",
    "visibility": Visibility.PUBLIC,
}


def field_objects(codes: list[str]) -> list[TechnologyField]:
    """Fields by code: the district profile's when loaded, else the small test tree above."""
    found = {f.code: f for f in TechnologyField.objects.filter(code__in=codes)}
    if len(found) < len(set(codes)):
        tax = ensure_fields()
        found.update({c: tax[c] for c in codes if c in tax})
    return [found[c] for c in codes if c in found]


def make_achievement(
    organization: Organization,
    *,
    status: str = AchievementStatus.PUBLISHED,
    fields: list[str] | None = None,
    **overrides: Any,
) -> Achievement:
    data = {**ACHIEVEMENT_DEFAULTS, **overrides}
    achievement = services.achievement_create(
        actor=None, organization=organization, fields=field_objects(fields or ["OPT.LASER", "AUTO"]), **data
    )
    return _advance(achievement, status, services.achievement_transition, "achievement")  # type: ignore[return-value]


def make_demand(
    organization: Organization,
    *,
    status: str = DemandStatus.PUBLISHED,
    fields: list[str] | None = None,
    **overrides: Any,
) -> Demand:
    data = {**DEMAND_DEFAULTS, **overrides}
    demand = services.demand_create(
        actor=None, organization=organization, fields=field_objects(fields or ["OPT.LASER", "AUTO"]), **data
    )
    return _advance(demand, status, services.demand_transition, "demand")  # type: ignore[return-value]


_PATHS = {
    "draft": [],
    "submitted": ["submitted"],
    "returned": ["submitted", "returned"],
    "published": ["submitted", "published"],
    "negotiating": ["submitted", "published", "negotiating"],
    "transferred": ["submitted", "published", "transferred"],
    "solved": ["submitted", "published", "solved"],
    "archived": ["submitted", "published", "archived"],
    "closed": ["submitted", "published", "closed"],
}


def _advance(listing: Any, status: str, transition: Any, name: str) -> Any:
    for target in _PATHS[status]:
        listing = transition(
            actor=None, **{name: listing}, target=target, note="测试" if target == "returned" else ""
        )
    return listing
