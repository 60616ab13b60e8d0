"""Tranche payments under real concurrency (PostgreSQL only: a green run on SQLite proves nothing about
locks). Each thread has its own database connection; a barrier releases them together."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kechuang.challenges import services
from kechuang.challenges.models import Milestone, TranchePayment
from kechuang.ledger.models import JournalEntry
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.concurrency import concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def outcome(results: list[Any]) -> Counter:
    return Counter("ok" if isinstance(r, TranchePayment) else type(r).__name__ for r in results)


@pytest.fixture
def requested(award, institute_user, enterprise_user, operator):
    first = award.milestones.get(sequence=1)
    services.milestone_deliver(actor=institute_user, milestone=first, note="完成")
    services.milestone_accept(actor=enterprise_user, milestone=first)
    return services.tranche_request(actor=operator, milestone=first)


def test_ten_concurrent_payments_of_one_tranche_post_exactly_once(requested, operator2, leader):
    checkers = [operator2, leader]

    def pay(i: int) -> Any:
        return services.tranche_pay(actor=checkers[i % 2], milestone=Milestone.objects.get(pk=requested.pk))

    results = concurrently(10, pay)
    assert outcome(results) == {"ok": 1, "ValidationError": 9}, results
    assert TranchePayment.objects.count() == 1
    entries = JournalEntry.objects.filter(kind="challenges.tranche")
    assert entries.count() == 1
    assert entries.get().business_reference == f"challenges.tranche:{requested.code}"
    assert reconcile().ok


def test_the_next_tranche_paid_while_the_first_is_being_paid_keeps_the_order(
    requested, award, institute_user, enterprise_user, operator, operator2, leader
):
    second = award.milestones.get(sequence=2)
    # the second tranche forced to "requested" while the first is being paid at the same moment
    Milestone.objects.filter(pk=second.pk).update(status="requested", requested_by=operator)

    def pay(i: int) -> Any:
        target = requested if i % 2 == 0 else second
        return services.tranche_pay(
            actor=operator2 if i < 2 else leader, milestone=Milestone.objects.get(pk=target.pk)
        )

    results = concurrently(4, pay)
    paid = set(TranchePayment.objects.values_list("milestone__sequence", flat=True))
    # the first is paid exactly once; the second only if the first had committed before it was checked
    assert 1 in paid and JournalEntry.objects.filter(kind="challenges.tranche").count() == len(paid)
    assert sum(isinstance(r, TranchePayment) for r in results) == len(paid)
    assert reconcile().ok
