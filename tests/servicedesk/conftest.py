"""Service-desk fixtures: the official calendar loaded, a frozen clock, an enterprise with its
commissioner and 包保 leader, and a helper that files a request at a given moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from sd_helpers import FrozenClock, at

from kechuang.servicedesk import clock, services
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import CalendarDay, CalendarYear
from kechuang.servicedesk.workcalendar import load_calendar_rows


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def calendar_loaded(db) -> int:
    """The official calendars in the table (the data migration loads them, but a transactional test's
    flush empties the table for the tests after it)."""
    load_calendar_rows(CalendarDay, year_model=CalendarYear)
    return CalendarDay.objects.count()


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    """``frozen.set(at(2026, 9, 30, 15))``: what the service desk believes the time is."""
    moment = FrozenClock(at(2026, 3, 16, 10))  # a Monday morning
    monkeypatch.setattr(clock, "now", moment)
    return moment


@pytest.fixture
def desk(
    db,
    calendar_loaded,
    frozen,
    operator,
    commissioner,
    leader,
    enterprise_org,
    enterprise_user,
    other_enterprise_org,
    other_enterprise_user,
) -> dict[str, Any]:
    """enterprise_org served by ``commissioner`` with ``leader`` as 包保; other_enterprise_org unassigned."""
    enterprise_org.is_key = True
    enterprise_org.save(update_fields=["is_key"])
    services.assignment_set(
        actor=operator, organization=enterprise_org, role=AssignmentRole.COMMISSIONER, user=commissioner
    )
    services.assignment_set(
        actor=operator, organization=enterprise_org, role=AssignmentRole.LEADER, user=leader
    )
    for user in (operator, commissioner, leader, enterprise_user, other_enterprise_user):
        user.__dict__.pop("_servicedesk_assigned", None)
    return {
        "operator": operator,
        "commissioner": commissioner,
        "leader": leader,
        "org": enterprise_org,
        "user": enterprise_user,
        "other_org": other_enterprise_org,
        "other_user": other_enterprise_user,
    }


@pytest.fixture
def file_request(desk, frozen) -> Callable[..., Any]:
    def make(
        *,
        when: dt.datetime | None = None,
        category: str = "policy",
        title: str = "高新技术企业认定咨询",
        text: str = "想了解研发费用占比的口径。",
        actor: Any = None,
        organization: Any = None,
    ) -> Any:
        if when is not None:
            frozen.set(when)
        return services.request_file(
            actor=actor or desk["user"],
            organization=organization or desk["org"],
            category=category,
            title=title,
            text=text,
        )

    return make


def api_urls_mounted() -> bool:
    try:
        reverse("service-request-list")
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def api_urlconf(settings):
    """The API routes: from the project's /api/v1/ when it includes them (it should), else from a test
    URL configuration that adds them, so the API tests still run; test_sd_api_routes_are_mounted says
    which."""
    if not api_urls_mounted():
        settings.ROOT_URLCONF = "sd_test_urls"
    yield
