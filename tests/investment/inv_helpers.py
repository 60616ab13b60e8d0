"""Helpers shared by the investment tests (importable by plain name, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kechuang.investment import services
from kechuang.investment.choices import LeadSource
from kechuang.investment.services import EvidenceInput, LeadInput
from kechuang.servicedesk import clock

TZ = clock.TZ


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


class FrozenClock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment


def lead_input(name: str = "芯途生物芯片研发团队", **overrides: Any) -> LeadInput:
    values: dict[str, Any] = {
        "source": LeadSource.EVENT,
        "source_detail": "2026 菊园创新创业大赛一等奖",
        "name": name,
        "contact_name": "王敏",
        "contact_phone": "13800001234",
        "summary": "微流控生物芯片中试，计划三年内量产。",
        "planned_investment_fen": 8_000 * 1_000_000,  # 8000 万元
        "jobs": 60,
        "asks_policy": True,
        "asks_financing": True,
        "asks_note": "首年租金减免与天使轮对接",
        "terms": "三年租金减半，研发补贴 300 万元",
    }
    values.update(overrides)
    return LeadInput(**values)


def advance(actor: Any, lead: Any, note: str = "材料齐全", **evidence: Any) -> Any:
    return services.lead_advance(actor=actor, lead=lead, evidence=EvidenceInput(note=note, **evidence))
