"""Small fixtures for the insights tests: records whose KPI values can be counted by hand."""

from __future__ import annotations

import datetime as dt
from itertools import count
from typing import Any

from django.utils import timezone

from kechuang.directory.choices import OrganizationKind, Title
from kechuang.testing.factories import OrganizationFactory, PersonFactory
from kechuang.transfer.models import Achievement, ContractRegistration, Demand

_numbers = count(1)


def this_year() -> int:
    return timezone.localdate().year


def jan_first() -> dt.date:
    return dt.date(this_year(), 1, 1)


def last_year_day() -> dt.date:
    return dt.date(this_year() - 1, 6, 30)


def aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def achievement(
    org: Any,
    *,
    status: str = "published",
    visibility: str = "public",
    on: dt.date | None = None,
    title: str = "成果",
) -> Achievement:
    return Achievement.objects.create(
        title=title,
        summary="简介",
        organization=org,
        status=status,
        visibility=visibility,
        trl=5,
        published_at=aware(on or jan_first()) if status not in ("draft", "submitted") else None,
    )


def demand(org: Any, *, status: str = "published", on: dt.date | None = None) -> Demand:
    return Demand.objects.create(
        title="需求",
        summary="简介",
        organization=org,
        status=status,
        visibility="public",
        published_at=aware(on or jan_first()) if status != "draft" else None,
    )


def contract(
    seller: Any,
    buyer: Any,
    *,
    amount_fen: int,
    tech_fen: int,
    on: dt.date | None = None,
    title: str = "技术开发合同",
) -> ContractRegistration:
    return ContractRegistration.objects.create(
        registration_number=f"31011420{next(_numbers):06d}",
        contract_type="development",
        title=title,
        seller=seller,
        buyer=buyer,
        signed_on=on or jan_first(),
        contract_amount_fen=amount_fen,
        technology_amount_fen=tech_fen,
    )


def small_district(institute: Any, enterprise: Any) -> dict[str, Any]:
    """The hand-counted fixture. Expected values for this year are written next to each record."""
    provider = OrganizationFactory(kind=OrganizationKind.PROVIDER, uscc=None)
    OrganizationFactory(kind=OrganizationKind.INCUBATOR, uscc=None)
    new_firm = OrganizationFactory(founded_on=jan_first())  # new enterprise this year
    OrganizationFactory(founded_on=last_year_day())  # founded last year: not new this year
    # achievements: 3 count (published, negotiating, confidential);
    # draft, archived and last year's do not
    achievement(institute, title="公开成果")
    achievement(institute, status="negotiating")
    achievement(institute, visibility="operators", title="保密成果")
    achievement(institute, status="draft")
    achievement(institute, status="archived")
    achievement(institute, on=last_year_day())
    # demands: 2 count; closed and last year's do not
    demand(enterprise)
    demand(enterprise, status="solved")
    demand(enterprise, status="closed")
    demand(enterprise, on=last_year_day())
    # contracts this year: 2 (10,000,000 + 23,456,789 fen = 33.46 万元;
    # tech 5,000,000 + 20,000,000 fen = 25.00 万元)
    contract(institute, enterprise, amount_fen=10_000_000, tech_fen=5_000_000)
    contract(institute, new_firm, amount_fen=23_456_789, tech_fen=20_000_000)
    contract(institute, enterprise, amount_fen=99_000_000, tech_fen=0, on=last_year_day())  # last year
    # people: researchers 3, academicians 1, intermediate/senior titles 2, experts 1
    PersonFactory(organization=institute, is_researcher=True, is_academician=True, title=Title.SENIOR)
    PersonFactory(organization=institute, is_researcher=True, title=Title.INTERMEDIATE, is_expert=True)
    PersonFactory(organization=institute, is_researcher=True, title=Title.JUNIOR)
    PersonFactory(organization=enterprise)
    return {"provider": provider, "new_firm": new_firm}
