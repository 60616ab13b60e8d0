"""The leader's five-heights dashboard and the one-page briefing in a real browser (screenshots saved
under test-artifacts/screenshots/; look at them before calling the pages done)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.directory.choices import OrganizationKind, Title
from kechuang.directory.models import Organization
from kechuang.insights.services import kpi_target_set
from kechuang.testing.factories import OrganizationFactory, PersonFactory
from kechuang.transfer.models import Achievement, ContractRegistration, Demand

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TARGETS = {
    "transfer.achievements": (60, 300),
    "transfer.demands": (40, 200),
    "transfer.deals": (30, 150),
    "transfer.contracts": (20, 100),
    "transfer.contract_amount": (5000, 30000),
    "transfer.technology_amount": (3000, 20000),
    "resources.institutes": (5, 5),
    "resources.providers": (30, 60),
    "incubation.enterprises": (40, 2000),
    "incubation.new_enterprises": (20, 100),
    "incubation.incubators": (3, 6),
    "talent.researchers": (30, 5300),
    "talent.senior_titles": (20, 3066),
    "talent.academicians": (2, 15),
    "talent.experts": (10, 100),
    "literacy.events": (24, 120),
    "literacy.participants": (3000, 15000),
}


@pytest.fixture
def insights_data(district_data: Any, operator: Any, leader: Any) -> None:
    today = timezone.localdate()
    institutes = list(Organization.objects.filter(kind=OrganizationKind.INSTITUTE)[:4])
    firms = [
        OrganizationFactory(founded_on=dt.date(today.year, max(1, today.month - i % 6), 1)) for i in range(12)
    ]
    for _ in range(6):
        OrganizationFactory(kind=OrganizationKind.PROVIDER, uscc=None)
    for i in range(24):
        PersonFactory(
            organization=institutes[i % len(institutes)],
            is_researcher=True,
            title=[Title.SENIOR, Title.INTERMEDIATE, Title.JUNIOR][i % 3],
            is_expert=i % 4 == 0,
            is_academician=i == 0,
        )
    for i in range(30):
        month = 1 + i % today.month
        day = timezone.make_aware(dt.datetime(today.year, month, 5, 10))
        Achievement.objects.create(
            title=f"成果{i}",
            summary="简介",
            organization=institutes[i % len(institutes)],
            status="published",
            visibility="public",
            trl=5,
            published_at=day,
        )
        if i % 2:
            Demand.objects.create(
                title=f"需求{i}",
                summary="简介",
                organization=firms[i % 12],
                status="published",
                visibility="public",
                published_at=day,
            )
        if i % 3 == 0:
            ContractRegistration.objects.create(
                registration_number=f"3101142026{i:05d}",
                contract_type="development",
                title=f"合同{i}",
                seller=institutes[i % len(institutes)],
                buyer=firms[i % 12],
                signed_on=day.date(),
                contract_amount_fen=(80 + i * 13) * 1_000_000,
                technology_amount_fen=(60 + i * 9) * 1_000_000,
            )
    for code, (this_year, overall) in TARGETS.items():
        kpi_target_set(
            actor=operator,
            kpi_code=code,
            year=today.year,
            this_year_target=Decimal(this_year),
            overall_target=Decimal(overall),
            manual_actual=Decimal(this_year * 7 // 10) if code.startswith("literacy") else None,
        )


def test_leader_dashboard_and_briefing(page: Any, login: Any, shot: Any, insights_data: None) -> None:
    login(page, "lead")
    page.goto("/insights/")
    expect(page.locator("[data-testid=height]")).to_have_count(5)
    expect(page.locator("#chart-progress svg")).to_be_visible()
    expect(page.locator("#district-map svg")).to_be_visible()
    expect(page.locator("[data-testid=definition]").first).to_be_visible()
    shot("dashboard")
    page.locator("[data-testid=kpi][data-code='transfer.contracts']").click()
    expect(page.locator("[data-testid=record]")).to_have_count(10)
    shot("kpi-detail")
    page.goto("/insights/briefing/")
    from kechuang.insights.kpis import all_kpis

    # every registered KPI (modules that are installed add theirs) has one row
    expect(page.locator("[data-testid=briefing-row]")).to_have_count(len(all_kpis()))
    shot("briefing")
    page.emulate_media(media="print")
    shot("briefing-print")
