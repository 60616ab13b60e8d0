"""Events fixtures: a building, the profile's series, and a published forum with a few places."""

from __future__ import annotations

import pytest
from events_helpers import make_event

from kechuang.directory.models import Block, Building
from kechuang.events import services
from kechuang.events.choices import EventKind, EventStatus


@pytest.fixture
def building(db):
    block = Block.objects.create(code="juzhong", name="菊中", sort_order=1)
    return Building.objects.create(code="siom-park-1", name="光电创新大楼", block=block)


@pytest.fixture
def series(db):
    services.series_load_from_profile(actor=None)
    from kechuang.events.models import EventSeries

    return {s.name: s for s in EventSeries.objects.all()}


@pytest.fixture
def forum(operator, enterprise_org, building, series):
    """A published forum of three places, organized by the enterprise (reviewed by the operator)."""
    return make_event(
        operator, enterprise_org, building, capacity=3, kind=EventKind.FORUM, status=EventStatus.PUBLISHED
    )


@pytest.fixture
def roadshow(
    operator, district_office, enterprise_user, enterprise_org, other_enterprise_user, other_enterprise_org
):
    """A competition in its defence: the enterprise's entry ``a`` and another enterprise's ``b`` are
    finalists, ``c`` (the enterprise's) was eliminated (tests/events/roadshow_helpers.py)."""
    from roadshow_helpers import roadshow_world

    return roadshow_world(
        operator,
        district_office,
        enterprise_user,
        enterprise_org,
        other_enterprise_user,
        other_enterprise_org,
    )
