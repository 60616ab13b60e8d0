"""Investment fixtures: a frozen service-desk clock, the cluster roots of the district profile, a lead
owned by ``leader`` (挂帅) and ``commissioner`` (case officer)."""

from __future__ import annotations

import pytest
from inv_helpers import FrozenClock, at, lead_input

from kechuang.directory.models import Block, TechnologyField
from kechuang.investment import services
from kechuang.servicedesk import clock


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    moment = FrozenClock(at(2026, 3, 16, 10))  # a Monday morning
    monkeypatch.setattr(clock, "now", moment)
    return moment


@pytest.fixture
def cluster(db):
    return TechnologyField.objects.create(code="LIF", name="生命健康")


@pytest.fixture
def block(db):
    return Block.objects.create(code="juzhong", name="菊中", sort_order=1)


@pytest.fixture
def lead(frozen, operator, leader, commissioner, cluster, block):
    return services.lead_create(
        actor=operator,
        data=lead_input(cluster=cluster, block=block, is_key=True),
        leader=leader,
        case_officer=commissioner,
    )


@pytest.fixture
def other_lead(frozen, operator, cluster):
    return services.lead_create(actor=operator, data=lead_input("光擎激光器装配项目", cluster=cluster))
