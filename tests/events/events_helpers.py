"""Helpers shared by the events tests (importable by plain name, see tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kechuang.core.roles import Role
from kechuang.events import services
from kechuang.events.choices import EventKind, EventStatus, Height, VenueKind
from kechuang.events.models import Event
from kechuang.testing.factories import user_with_role


def soon(days: float = 7, hours: int = 0) -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=days, hours=hours)).replace(microsecond=0)


def details(venue_building: Any, **overrides: Any) -> services.EventDetails:
    values: dict[str, Any] = {
        "title": "科技创新论坛：生物半导体产业机会",
        "kind": EventKind.FORUM,
        "summary": "院所专家与企业共话生物半导体的产业化路径。",
        "venue_kind": VenueKind.BUILDING,
        "building": venue_building,
        "starts_at": soon(),
        "ends_at": soon(hours=3),
        "capacity": 3,
        "height": Height.TRANSFER,
    }
    values.update(overrides)
    return services.EventDetails(**values)


def make_event(
    operator: Any, organization: Any, building: Any, *, status: str = EventStatus.PUBLISHED, **overrides: Any
) -> Event:
    """An event through the services: created by the operator, reviewed by a second operator."""
    event = services.event_create(
        actor=operator, organization=organization, details=details(building, **overrides)
    )
    if status == EventStatus.DRAFT:
        return event
    services.event_submit(actor=operator, event=event)
    if status == EventStatus.SUBMITTED:
        return event
    reviewer = second_operator(operator)
    services.event_review(actor=reviewer, event=event, approve=True)
    event.refresh_from_db()
    return event


def second_operator(operator: Any) -> Any:
    from django.contrib.auth import get_user_model

    existing = get_user_model().objects.filter(username="op2").first()
    if existing is not None:
        return existing
    membership = operator.memberships.first()
    return user_with_role(Role.OPERATOR, membership.organization if membership else None, username="op2")


def participants(n: int, organization: Any = None, prefix: str = "p") -> list[Any]:
    return [user_with_role(Role.ENTERPRISE, organization, username=f"{prefix}{i}") for i in range(n)]


def held(event: Event, *, days_ago: int = 1) -> Event:
    """Move a published event into the past (as if it had taken place), bypassing the services' date checks."""
    starts = timezone.now() - dt.timedelta(days=days_ago, hours=3)
    Event.objects.filter(pk=event.pk).update(starts_at=starts, ends_at=starts + dt.timedelta(hours=2))
    event.refresh_from_db()
    return event
