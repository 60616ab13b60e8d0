"""The usage figures of the overview, the owner's desk and the home panel (hours, the share used by
others, enterprises served, bookings, no-shows, income, ratings): equal to a hand count, and the same
whether computed for one set of bookings or grouped for every owner and instrument at once, in a number
of queries that does not grow with the owners or instruments (docs/adr/0029-page-speed.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from instruments_helpers import make_instrument

from kechuang.accounts.choices import Role
from kechuang.instruments import selectors
from kechuang.instruments.choices import BookingStatus, UserClass
from kechuang.instruments.models import Booking, BookingRating
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role

pytestmark = pytest.mark.django_db


def _book(instrument, org, user, n, *, status, user_class, minutes=None, charge=None, late=False, days=10):
    start = timezone.now() - dt.timedelta(days=days, hours=n * 3)
    return Booking.objects.create(
        code=f"YY-F-{instrument.pk}-{n}",
        instrument=instrument,
        organization=org,
        user=user,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status=status,
        user_class=user_class,
        rate_fen=40_000,
        actual_minutes=minutes,
        charge_fen=charge,
        late_cancel=late,
    )


@pytest.fixture
def district():
    """Two owners with two instruments each, bookings of every kind; a third owner with no booking."""
    owners = [InstituteFactory(name=f"研究所{i}") for i in range(3)]
    labs = [user_with_role(Role.INSTITUTE, owner, username=f"lab{i}") for i, owner in enumerate(owners)]
    firms = [OrganizationFactory(name=f"企业{i}") for i in range(2)]
    people = [user_with_role(Role.ENTERPRISE, firm, username=f"firm{i}") for i, firm in enumerate(firms)]
    instruments = {o.pk: [make_instrument(o, name=f"{o.name}仪器{k}") for k in range(2)] for o in owners}
    for i, owner in enumerate(owners[:2]):
        a, b = instruments[owner.pk]
        done = BookingStatus.COMPLETED
        _book(
            a, firms[0], people[0], 1, status=done, user_class=UserClass.DISTRICT, minutes=90, charge=60_000
        )
        _book(
            a, firms[1], people[1], 2, status=done, user_class=UserClass.DISTRICT, minutes=30, charge=20_000
        )
        _book(a, owner, labs[i], 3, status=done, user_class=UserClass.OWNER, minutes=60 * (i + 1), charge=0)
        _book(
            b,
            firms[0],
            people[0],
            4,
            status=BookingStatus.NO_SHOW,
            user_class=UserClass.DISTRICT,
            charge=5_000,
        )
        _book(
            b,
            firms[1],
            people[1],
            5,
            status=BookingStatus.CANCELLED,
            user_class=UserClass.DISTRICT,
            late=True,
            charge=7_000,
        )
        _book(b, firms[1], people[1], 6, status=BookingStatus.REJECTED, user_class=UserClass.DISTRICT)
        _book(b, firms[0], people[0], 7, status=done, user_class=UserClass.OUTSIDE, minutes=None)
        _book(
            b,
            firms[0],
            people[0],
            8,
            status=done,
            user_class=UserClass.DISTRICT,
            minutes=45,
            charge=9_000,
            days=400,
        )
        for n, score in ((1, 5), (2, 2)):
            booking = Booking.objects.get(code=f"YY-F-{a.pk}-{n}")
            BookingRating.objects.create(booking=booking, instrument=a, score=score, created_by=booking.user)
    return owners, instruments


def test_owner_figures_are_the_hand_count(district):
    owners, _instruments = district
    rows = {owner.pk: figures for owner, figures in selectors.owner_figures()}
    first, second, idle = (rows[o.pk] for o in owners)
    # completed with minutes, in the last year: 90 + 30 + 60 (owner's own) minutes
    assert first.hours == 3.0 and second.hours == 4.0  # the owner's own booking: 60 then 120 minutes
    assert first.outside_share == pytest.approx(120 / 180) and second.outside_share == pytest.approx(
        120 / 240
    )
    assert first.enterprises == 2  # two district enterprises with completed bookings
    # all but the cancelled and the rejected (the one outside the year is not counted at all)
    assert first.bookings == 5 and first.no_shows == 1
    assert first.income_fen == 60_000 + 20_000 + 0 + 5_000 + 7_000  # completed, no-show, late-cancelled
    assert first.rating == 3.5 and first.ratings == 2
    assert first.instruments == 2 and idle.instruments == 2
    assert idle.hours == 0 and idle.outside_share is None and idle.bookings == 0 and idle.rating is None


def test_grouped_figures_equal_the_figures_of_each_set(district):
    owners, instruments = district
    since = selectors.since_year_ago()
    for owner, figures in selectors.owner_figures(since=since):
        alone = selectors.usage_figures(
            Booking.objects.filter(instrument__owner=owner, start_at__gte=since), instruments=2
        )
        assert figures == alone
    every = [i for pair in instruments.values() for i in pair]
    for instrument, figures in selectors.instruments_figures(every, since=since):
        assert figures == selectors.instrument_figures(instrument, since=since)
    assert selectors.owner_figures(owners=[owners[0].pk])[0][1] == selectors.owner_figures()[0][1]


def test_the_figures_cost_the_same_queries_for_one_owner_or_many(district):
    owners, instruments = district
    every = [i for pair in instruments.values() for i in pair]
    with CaptureQueriesContext(connection) as one:
        selectors.owner_figures(owners=[owners[0].pk])
        selectors.instruments_figures(every[:1])
    with CaptureQueriesContext(connection) as many:
        selectors.owner_figures()
        selectors.instruments_figures(every)
    assert len(many) == len(one) == 4
