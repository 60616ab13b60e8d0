"""Builders for the IP tests: real-shaped application numbers with their check digits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kechuang.ip import services
from kechuang.ip.numbers import check_character

CLAIMS = (
    "1. 一种硅基MEMS压力传感器，其特征在于，包括硅压阻敏感膜片、温度补偿电路和数字输出接口；"
    "所述温度补偿电路对压阻信号进行数字温度补偿。\n"
    "2. 根据权利要求1所述的压力传感器，其特征在于，所述敏感膜片采用绝缘体上硅晶圆制成，适用于汽车胎压监测。\n"
    "3. 根据权利要求1所述的压力传感器，其特征在于，年漂移小于0.1%FS。"
)


def number(serial: int, *, year: int = 2017, digit: str = "1") -> str:
    body = f"{year}{digit}{serial:07d}"
    return f"{body}.{check_character(body)}"


def make_asset(holder: Any, serial: int = 1, **overrides: Any) -> Any:
    kind = overrides.pop("kind", "invention")
    digit = {"invention": "1", "utility": "2", "design": "3"}.get(kind, "1")
    filed_on = overrides.pop("filed_on", dt.date(2017, 3, 15))
    data: dict[str, Any] = {
        "title": "一种硅基MEMS压力传感器及其制备方法",
        "filed_on": filed_on,
        "published_on": filed_on + dt.timedelta(days=540),
        "granted_on": filed_on + dt.timedelta(days=900),
        "legal_status": "granted",
        "ipc_codes": ["G01L 9/00"],
        "abstract": "本发明公开了一种硅基MEMS压力传感器，采用硅压阻敏感结构与数字温度补偿。",
        "claims": CLAIMS,
    }
    data.update(overrides)
    return services.asset_create(
        actor=None,
        kind=kind,
        number=overrides.pop("number", number(serial, year=filed_on.year, digit=digit)),
        holder=holder,
        **data,
    )
