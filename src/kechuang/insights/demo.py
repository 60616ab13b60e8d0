"""Demo targets for the five heights: every KPI gets this year's and last year's target and an overall
(three-year) target, and the KPIs no module records yet get their actual figures, so the leader's
dashboard shows progress against a target everywhere instead of "未设目标" (issue 14 item 7).

Two years of monthly history first (:func:`spread_history`): the modules' demo generators make their
records "now" or within the last months, so every stock KPI stood at zero until this month and last
year was empty. Before the first targets are set, the dates the KPIs count by are spread over last
year and this year as a district's records would be: organizations and people entered the platform
over the years (most before last year, the rest month by month since), listings published, deals
opened, contracts signed and young enterprises founded throughout the two years, each later record
after the one it follows (a deal after its listings, a contract after its deal, a person after the
organization). Dates come from a generator seeded by the record, so a run gives the same dates, and it
runs once (before any target exists), so a demo someone has worked in is never rewritten.

Targets are set from what the demo data holds, as a district sets them from last year's figures: this
year's target a little above or below the actual so far (some KPIs ahead of plan, most behind), the
overall target about three years of it. Existing targets are left alone (an operator's edits win), so
running the generator again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from .kpis import FLOW, MANUAL, STOCK, all_kpis, compute
from .models import KpiTarget

# The figures typed in for KPIs that no module records yet, per scale: the year's actual as an operator's
# ledger would have it. None is left: the events module now records the science-literacy events and their
# check-ins (issue 17), so a KPI added as manual gets the default of 10.
MANUAL_ACTUALS: dict[str, dict[str, int]] = {"tiny": {}, "small": {}, "large": {}}


def _round_target(value: Decimal, decimals: int = 0) -> Decimal:
    """A target people would set: two significant figures (38 → 38, 1234 → 1200), whole numbers for
    counts (3.7 institutes → 4), one decimal at most for amounts (5.67 → 5.7)."""
    if value <= 0:
        return Decimal(0)
    digits = len(str(int(value))) if value >= 1 else 1
    step = Decimal(10) ** max(digits - 2, -min(decimals, 1))
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def _rng(seed: int, kind: str, pk: Any) -> random.Random:
    return random.Random(f"{seed}:{kind}:{pk}")


def _moment(day: dt.date, r: random.Random) -> dt.datetime:
    """A working-hours moment of ``day`` in the district's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(r.randint(9, 17), r.randint(0, 59))))


def _between(r: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=r.randint(0, max(0, (end - start).days)))


def spread_history(*, seed: int, today: dt.date | None = None) -> dict[str, int]:
    """Spread the dates the KPIs count by over last year and this year (see the module's note)."""
    from django.apps import apps

    today = today or timezone.localdate()
    start = dt.date(today.year - 1, 1, 1)
    old = dt.date(today.year - 4, 1, 1)
    moved: dict[str, int] = {}

    def entered(r: random.Random, earliest: dt.date, before_share: float) -> dt.date:
        """When a record entered the platform: before last year (a share of them), else during the window."""
        if r.random() < before_share and earliest < start:
            return _between(r, max(earliest, old), start - dt.timedelta(days=1))
        return _between(r, max(earliest, start), today)

    if apps.is_installed("kechuang.directory"):
        from kechuang.directory.models import Organization, OrganizationKind, Person

        young = list(
            Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
            .order_by("-founded_on", "pk")
            .values_list("pk", flat=True)[:24]
        )
        founded: dict[int, dt.date] = {}
        for pk in young:  # the district's youngest firms: founded month by month over the two years
            founded[pk] = _between(_rng(seed, "founded", pk), start, today - dt.timedelta(days=20))
        orgs = []
        growing = (OrganizationKind.ENTERPRISE, OrganizationKind.PROVIDER)  # the rest were there first
        for org in Organization.objects.only("pk", "kind", "founded_on", "created_at"):
            r = _rng(seed, "organization", org.pk)
            if org.pk in founded:
                org.founded_on = founded[org.pk]
                day = min(today, founded[org.pk] + dt.timedelta(days=r.randint(10, 90)))
            else:
                share = 0.6 if org.kind in growing else 0.9
                day = entered(r, org.founded_on or old, share)
            org.created_at = _moment(day, r)
            orgs.append(org)
        Organization.objects.bulk_update(orgs, ["created_at", "founded_on"], batch_size=500)
        since = {org.pk: timezone.localdate(org.created_at) for org in orgs}
        people = []
        for person in Person.objects.only("pk", "organization_id", "created_at"):
            r = _rng(seed, "person", person.pk)
            joined = since.get(person.organization_id, old)
            day = entered(r, joined, 0.55) if joined < start else _between(r, joined, today)
            person.created_at = _moment(day, r)
            people.append(person)
        Person.objects.bulk_update(people, ["created_at"], batch_size=500)
        moved["organizations"], moved["people"] = len(orgs), len(people)
        if apps.is_installed("kechuang.vouchers"):
            from kechuang.vouchers.models import ProviderService

            services = []
            for service in ProviderService.objects.select_related("provider").only(
                "pk", "created_at", "provider__organization_id"
            ):
                r = _rng(seed, "service", service.pk)
                joined = max(since.get(service.provider.organization_id, start), start)
                service.created_at = _moment(_between(r, joined, today), r)
                services.append(service)
            ProviderService.objects.bulk_update(services, ["created_at"], batch_size=500)
            moved["services"] = len(services)

    if apps.is_installed("kechuang.transfer"):
        moved.update(_spread_transfer(seed=seed, start=start, today=today))
    return moved


def _spread_transfer(*, seed: int, start: dt.date, today: dt.date) -> dict[str, int]:
    from kechuang.transfer.models import Achievement, ContractRegistration, Deal, DealNote, Demand, Interest

    published: dict[tuple[str, int], dt.datetime] = {}
    for model, kind in ((Achievement, "achievement"), (Demand, "demand")):
        rows = []
        for listing in model.objects.filter(published_at__isnull=False).only(
            "pk", "published_at", "submitted_at", "created_at"
        ):
            r = _rng(seed, kind, listing.pk)
            when = _moment(_between(r, start, today - dt.timedelta(days=3)), r)
            listing.published_at = when
            listing.submitted_at = when - dt.timedelta(days=2)
            listing.created_at = when - dt.timedelta(days=r.randint(3, 20))
            published[(kind, listing.pk)] = when
            rows.append(listing)
        model.objects.bulk_update(rows, ["published_at", "submitted_at", "created_at"], batch_size=500)

    now = timezone.now()

    def after(r: random.Random, when: dt.datetime, low: int, high: int) -> dt.datetime:
        """Some days after ``when``; when that would be in the future, a moment between ``when`` and now
        (capping at now would pile the latest records up on today)."""
        later = when + dt.timedelta(days=r.randint(low, high), hours=r.randint(0, 8))
        if later <= now:
            return later
        return when + (now - when) * r.random() if when < now else now

    interests = []
    for interest in Interest.objects.only("pk", "achievement_id", "demand_id", "created_at", "responded_at"):
        key = (
            ("achievement", interest.achievement_id)
            if interest.achievement_id
            else ("demand", interest.demand_id)
        )
        if key not in published:
            continue
        r = _rng(seed, "interest", interest.pk)
        interest.created_at = after(r, published[key], 2, 40)
        if interest.responded_at is not None:
            interest.responded_at = after(r, interest.created_at, 1, 10)
        interests.append(interest)
    Interest.objects.bulk_update(interests, ["created_at", "responded_at"], batch_size=500)

    deals, opened = [], {}
    for deal in Deal.objects.only("pk", "achievement_id", "demand_id", "created_at", "stage_changed_at"):
        r = _rng(seed, "deal", deal.pk)
        listed = [
            published[k]
            for k in (("achievement", deal.achievement_id), ("demand", deal.demand_id))
            if k in published
        ]
        base = max(listed) if listed else _moment(_between(r, start, today), r)
        deal.created_at = after(r, base, 5, 60)
        deal.stage_changed_at = after(r, deal.created_at, 7, 90)
        opened[deal.pk] = deal.created_at
        deals.append(deal)
    Deal.objects.bulk_update(deals, ["created_at", "stage_changed_at"], batch_size=500)
    notes = []
    for note in DealNote.objects.only("pk", "deal_id", "created_at").order_by("deal_id", "pk"):
        if note.deal_id in opened:
            r = _rng(seed, "note", note.pk)
            note.created_at = after(r, opened[note.deal_id], 1, 80)
            notes.append(note)
    DealNote.objects.bulk_update(notes, ["created_at"], batch_size=500)
    contracts = []
    for contract in ContractRegistration.objects.only("pk", "deal_id", "signed_on", "registered_at"):
        r = _rng(seed, "contract", contract.pk)
        if contract.deal_id in opened:
            signed = timezone.localdate(after(r, opened[contract.deal_id], 20, 120))
        else:
            signed = _between(r, start, today)
        contract.signed_on = signed
        contract.registered_at = min(now, _moment(signed + dt.timedelta(days=r.randint(3, 15)), r))
        contracts.append(contract)
    ContractRegistration.objects.bulk_update(contracts, ["signed_on", "registered_at"], batch_size=500)
    return {"listings": len(published), "deals": len(deals), "contracts": len(contracts)}


def make_demo_targets(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    today = timezone.localdate()
    year = today.year
    history = {} if KpiTarget.objects.exists() else spread_history(seed=seed, today=today)
    elapsed = max(0.25, (today - dt.date(year, 1, 1)).days / 365)  # share of the year gone
    manual = MANUAL_ACTUALS.get(scale, MANUAL_ACTUALS["small"])
    created = 0
    for kpi in all_kpis():
        for target_year in (year - 1, year):
            if KpiTarget.objects.filter(kpi_code=kpi.code, year=target_year).exists():
                continue
            values: dict[str, Any] = {"note": "演示数据：按上年实际与本年进度设定"}
            if kpi.kind == MANUAL:
                actual = Decimal(manual.get(kpi.code, 10))
                if target_year < year:
                    actual = (actual * Decimal("0.85")).quantize(Decimal(1))
                else:
                    actual = (actual * Decimal(str(elapsed))).quantize(Decimal(1))
                values["manual_actual"] = actual
                full_year = actual / Decimal(str(elapsed if target_year == year else 1))
            else:
                figure = compute(kpi, target_year, today=today).actual
                actual = Decimal(str(figure or 0))
                # a flow KPI's year so far, projected to the whole year; a stock is its level
                full_year = (
                    actual / Decimal(str(elapsed)) if kpi.kind == FLOW and target_year == year else actual
                )
                if target_year < year and full_year == 0:
                    # the module started this year: last year's plan was set from what it was to do
                    now_figure = Decimal(str(compute(kpi, year, today=today).actual or 0))
                    full_year = now_figure / Decimal(str(elapsed)) * Decimal("0.8")
            factor = Decimal(str(round(rng.uniform(0.9, 1.3), 2)))  # most KPIs a little behind their target
            target = _round_target(full_year * factor, kpi.decimals) or Decimal(1)
            values["this_year_target"] = target
            values["overall_target"] = (
                _round_target(target * 3, kpi.decimals)
                if kpi.kind != STOCK
                else _round_target(target * Decimal("1.3"), kpi.decimals)
            )
            KpiTarget.objects.create(kpi_code=kpi.code, year=target_year, **values)
            created += 1
    return {"kpi_targets": created, **{f"history_{key}": value for key, value in history.items()}}
