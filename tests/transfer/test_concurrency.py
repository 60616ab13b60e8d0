"""Races on PostgreSQL with real parallel connections: one open interest per organization and listing,
one deal per accepted interest, one contract per registration number, and ordered index versions."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from kechuang.transfer import matching, services
from kechuang.transfer.factories import make_achievement
from kechuang.transfer.models import ContractRegistration, Deal, Interest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(n: int, fn) -> list[object]:
    barrier = threading.Barrier(n)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome: object = fn()
        except (ValidationError, PermissionDenied) as error:
            outcome = error
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_concurrent_interest_from_one_organization_creates_one(
    enterprise_user, enterprise_org, institute_org, fields
):
    achievement = make_achievement(institute_org)
    results = _race(
        6,
        lambda: services.interest_express(
            actor=enterprise_user, listing=achievement, organization=enterprise_org, message="并发表达意向。"
        ),
    )
    assert sum(isinstance(r, Interest) for r in results) == 1
    assert all(isinstance(r, Interest | ValidationError) for r in results)
    assert Interest.objects.count() == 1


def test_concurrent_accepts_open_one_deal(
    enterprise_user, enterprise_org, institute_user, institute_org, fields
):
    achievement = make_achievement(institute_org)
    interest = services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="希望了解许可方式。"
    )
    results = _race(5, lambda: services.interest_accept(actor=institute_user, interest=interest))
    assert sum(isinstance(r, Interest) for r in results) == 1
    assert Deal.objects.count() == 1


def test_concurrent_registrations_with_one_number(operator, enterprise_org, institute_org):
    args = {
        "contract_type": "service",
        "title": "技术服务合同",
        "seller": institute_org,
        "buyer": enterprise_org,
        "signed_on": datetime.date(2026, 2, 1),
        "contract_amount_fen": 10_000,
        "technology_amount_fen": 10_000,
        "registration_number": "2026310114000777",
    }
    results = _race(5, lambda: services.contract_register(actor=operator, **args))
    assert sum(isinstance(r, ContractRegistration) for r in results) == 1
    assert ContractRegistration.objects.count() == 1


def test_index_versions_are_unique_under_concurrency(institute_user, institute_org, fields):
    drafts = [make_achievement(institute_org, status="draft", title=f"并发提交的成果{i}") for i in range(6)]
    before = matching.current_version()
    it = iter(drafts)
    lock = threading.Lock()

    def submit_and_publish():
        with lock:
            a = next(it)
        a = services.achievement_submit(actor=institute_user, achievement=a)
        return services.achievement_transition(actor=None, achievement=a, target="published")

    _race(6, submit_and_publish)
    from kechuang.transfer.models import Achievement

    versions = list(
        Achievement.objects.filter(pk__in=[d.pk for d in drafts]).values_list("index_version", flat=True)
    )
    assert len(set(versions)) == 6 and min(versions) > before
    assert matching.current_version() >= before + 6  # stored vectors bump it too
