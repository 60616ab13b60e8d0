"""Helpers for the competition tests: experts with accounts, a competition with two tracks and prizes,
entries moved through eligibility."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kechuang.core.roles import Role
from kechuang.events import services
from kechuang.events.models import Competition, Entry, Track
from kechuang.testing.factories import OrganizationFactory, PersonFactory, user_with_role


def expert(name: str, organization: Any = None) -> tuple[Any, Any]:
    """(user, directory person) of an expert of the pool."""
    user = user_with_role(Role.EXPERT, None, username=f"judge-{name}")
    person = PersonFactory(
        name=name, organization=organization or OrganizationFactory(), is_expert=True, user=user
    )
    return user, person


def make_competition(
    operator: Any, organizer: Any, *, finalists: int = 2, publicity_days: int = 5
) -> Competition:
    competition = services.competition_create(
        actor=operator,
        title="菊园科研院所创新创业大赛（2026）",
        rules="分院所成果、初创企业两个赛道；初赛网评，决赛“8+7”答辩；结果公示 5 个工作日。",
        organizer=organizer,
        entry_deadline=timezone.localdate() + dt.timedelta(days=30),
        finalists_per_track=finalists,
        publicity_working_days=publicity_days,
        tracks=[
            services.TrackInput(
                "院所成果",
                [
                    services.PrizeInput(1, "一等奖", 30_000_000, tranches=2),
                    services.PrizeInput(2, "二等奖", 10_000_000),
                ],
            ),
            services.TrackInput("初创企业", [services.PrizeInput(1, "一等奖", 20_000_000)]),
        ],
    )
    return services.competition_open(actor=operator, competition=competition)


def track(competition: Competition, name: str = "院所成果") -> Track:
    return Track.objects.get(competition=competition, name=name)


def enter(user: Any, competition: Competition, organization: Any, project: str, **extra: Any) -> Entry:
    return services.entry_submit(
        actor=user,
        competition=competition,
        track=extra.pop("track", None) or track(competition),
        organization=organization,
        details=services.EntryDetails(
            project=project,
            summary=f"{project}的产业化",
            team="核心团队 5 人",
            business_plan="三年收入过亿",
            **extra,
        ),
    )


def sheet(value: int, **overrides: int) -> dict[str, int]:
    """A first-round sheet with every criterion at ``value`` (overrides by criterion code)."""
    values = {"innovation": value, "market": value, "team": value, "ip": value}
    values.update(overrides)
    return values


def defence_sheet(value: int, **overrides: int) -> dict[str, int]:
    values = {"pitch": value, "answers": value, "feasibility": value}
    values.update(overrides)
    return values
