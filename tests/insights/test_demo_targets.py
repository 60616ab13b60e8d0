"""The demo's five-heights targets (issue 14 item 7): every KPI has this year's and last year's target,
the KPIs no module records yet have their figures, the dashboard shows no "未设目标", and a second run
or an operator's own target is left alone."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kechuang.insights.demo import make_demo_targets
from kechuang.insights.kpis import MANUAL, all_kpis
from kechuang.insights.models import KpiTarget

pytestmark = pytest.mark.django_db


def test_every_kpi_gets_targets_for_this_year_and_last_and_the_dashboard_shows_them(district, leader, client):
    year = timezone.localdate().year
    KpiTarget.objects.create(
        kpi_code="transfer.deals", year=year, this_year_target=Decimal(77)
    )  # an operator's
    made = make_demo_targets(scale="tiny", seed=2026, rng=random.Random(1))
    kpis = all_kpis()
    assert made["kpi_targets"] == 2 * len(kpis) - 1
    for kpi in kpis:
        for target_year in (year - 1, year):
            if (kpi.code, target_year) == ("transfer.deals", year):
                continue  # the operator's, checked below
            target = KpiTarget.objects.get(kpi_code=kpi.code, year=target_year)
            assert target.this_year_target is not None and target.this_year_target > 0, kpi.code
            assert target.overall_target is not None and target.overall_target >= target.this_year_target
            if kpi.decimals == 0:
                assert target.this_year_target == target.this_year_target.to_integral_value(), kpi.code
            assert (target.manual_actual is not None) == (kpi.kind == MANUAL), kpi.code
    assert KpiTarget.objects.get(kpi_code="transfer.deals", year=year).this_year_target == 77  # kept
    assert make_demo_targets(scale="tiny", seed=2026, rng=random.Random(1)) == {
        "kpi_targets": 0
    }  # no history again

    client.force_login(leader)
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert "未设目标" not in page and "目标 77" in page


def test_targets_are_set_after_every_module_generator_even_those_of_later_apps(monkeypatch):
    """The investment and IP apps come after insights in INSTALLED_APPS; the targets ran before their data
    existed, so their KPIs stood at 0 and got a target of 1 (the dashboard showed 21,000% of target)."""
    from kechuang.core import registry

    names = [name for name, _fn in registry.registered_generators()]
    assert names[-1] == "insights.targets"
    assert {"investment", "ip"} <= {name.split(".")[0] for name in names[:-1]}, names

    monkeypatch.setattr(registry, "_demo_generators", dict(registry._demo_generators))
    registry.register_demo_generator("later.module", lambda **kw: {})
    assert [name for name, _fn in registry.registered_generators()][-2:] == [
        "later.module",
        "insights.targets",
    ]
