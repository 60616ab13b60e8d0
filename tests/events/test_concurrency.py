"""Sign-ups racing for the last places on PostgreSQL, with real parallel connections: never more
confirmed than the capacity, the rest on the waiting list in order; racing cancellations promote exactly
as many people as places freed, first in line first."""

from __future__ import annotations

from typing import Any

import pytest
from events_helpers import make_event, participants

from kechuang.events import services
from kechuang.events.choices import RegistrationStatus
from kechuang.events.models import Event, Registration
from kechuang.testing.concurrency import concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("attempt", range(3))
def test_eight_sign_ups_racing_for_the_last_two_places_never_overbook(
    attempt, operator, enterprise_org, building, series
):
    event = make_event(operator, enterprise_org, building, capacity=3)
    first = participants(1, enterprise_org, prefix="early")[0]
    services.registration_create(actor=first, event=event)  # one place taken: two left
    people = participants(8, enterprise_org, prefix=f"race{attempt}-")

    def sign_up(index: int) -> Any:
        return services.registration_create(actor=people[index], event=Event.objects.get(pk=event.pk))

    results = concurrently(8, sign_up)
    assert all(isinstance(r, Registration) for r in results), results
    confirmed = Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()
    waiting = Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED).count()
    assert confirmed == 3 and waiting == 6


def test_racing_cancellations_promote_exactly_the_next_in_line(operator, enterprise_org, building, series):
    event = make_event(operator, enterprise_org, building, capacity=4)
    people = participants(10, enterprise_org, prefix="c")
    regs = [services.registration_create(actor=p, event=event) for p in people]
    assert [r.status for r in regs].count("confirmed") == 4
    waiting_order = [r.pk for r in regs if r.status == "waitlisted"]

    def cancel(index: int) -> Any:
        return services.registration_cancel(
            actor=people[index], registration=Registration.objects.get(pk=regs[index].pk)
        )

    results = concurrently(3, cancel)  # three of the four confirmed leave at once
    promoted = sorted(r.pk for r in results if isinstance(r, Registration))
    assert promoted == sorted(waiting_order[:3]), results
    assert Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count() == 4
    still_waiting = list(
        Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED)
        .order_by("queued_at", "pk")
        .values_list("pk", flat=True)
    )
    assert still_waiting == waiting_order[3:]
