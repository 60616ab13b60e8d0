"""docs/reliability.md H2 and friends, on PostgreSQL with real parallel connections (a thread each): two staff
changing the same request at once, two commissioners taking the last visit of the month, two SLA ticks
running at once. The steps are made to overlap on purpose (a barrier after both have read)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from sd_helpers import at

from kechuang.notifications.models import Notification
from kechuang.servicedesk import services
from kechuang.servicedesk.choices import RequestEventKind, RequestStatus
from kechuang.servicedesk.models import RequestEvent, ServiceRequest, Visit
from kechuang.servicedesk.services import ALLOWED_STEPS, RequestConflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread (its own database connection); return result or exception."""
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return results


@pytest.fixture
def overlap(monkeypatch):
    """Both transitions read the request (version n) before either writes: the barrier sits between
    the read and the conditional UPDATE."""
    barrier = threading.Barrier(2, timeout=10)
    original = services._transition

    def slowed(request, **kwargs):
        inner = kwargs.get("compute")

        def compute(current, now):
            barrier.wait()
            return inner(current, now) if inner else {}

        kwargs["compute"] = compute
        return original(request, **kwargs)

    monkeypatch.setattr(services, "_transition", slowed)
    return barrier


def act(desk: dict[str, Any], action: str, pk: int) -> Any:
    """One staff (or enterprise) action on the request as read from the database, at version 1."""
    request = ServiceRequest.objects.get(pk=pk)
    if action == "resolve":
        return services.request_resolve(actor=desk["commissioner"], request=request, version=1, text="已办结")
    if action == "hand_over":
        return services.request_hand_over(
            actor=desk["operator"], request=request, version=1, department="tax", text="请税务所协助"
        )
    if action == "respond":
        return services.request_respond(actor=desk["commissioner"], request=request, version=1, text="已受理")
    return services.request_withdraw(actor=desk["user"], request=request, version=1, reason="不需要了")


def assert_history_is_possible(request: ServiceRequest) -> None:
    state = ""
    for event in request.events.order_by("created_at", "id"):
        if not event.to_status:
            continue
        if event.from_status:
            assert (event.from_status, event.to_status) in ALLOWED_STEPS
        assert event.from_status == state
        state = event.to_status
    assert state == request.status


@pytest.mark.parametrize(
    ("first", "second"),
    [("resolve", "hand_over"), ("respond", "withdraw"), ("resolve", "resolve")],
)
def test_two_staff_change_the_same_request_at_once_one_wins_the_other_gets_a_conflict(
    desk, file_request, overlap, first, second
):
    request = file_request(when=at(2026, 3, 16, 10))
    results = run_together(lambda: act(desk, first, request.pk), lambda: act(desk, second, request.pk))
    winners = [r for r in results if isinstance(r, ServiceRequest)]
    conflicts = [r for r in results if isinstance(r, RequestConflict)]
    assert len(winners) == 1 and len(conflicts) == 1, results
    assert "刚被他人更新" in conflicts[0].message and conflicts[0].current_version == 2
    request.refresh_from_db()
    assert request.version == 2 and request.status == winners[0].status
    transitions = RequestEvent.objects.filter(request=request).exclude(kind=RequestEventKind.FILED)
    assert transitions.count() == 1
    assert_history_is_possible(request)


def test_many_rounds_of_racing_staff_never_leave_an_impossible_history(desk, file_request):
    """No barrier: let the database decide, ten times."""
    for round_ in range(10):
        request = file_request(when=at(2026, 3, 16, 10), title=f"第{round_}轮")
        results = run_together(
            lambda pk=request.pk: act(desk, "resolve", pk), lambda pk=request.pk: act(desk, "hand_over", pk)
        )
        assert sum(isinstance(r, ServiceRequest) for r in results) == 1, results
        assert sum(isinstance(r, RequestConflict) for r in results) == 1, results
        request.refresh_from_db()
        assert request.version == 2
        assert_history_is_possible(request)


def test_two_commissioners_take_the_last_visit_of_the_month_only_one_gets_it(desk, settings, monkeypatch):
    settings.SERVICEDESK_VISITS_PER_MONTH = 1
    barrier = threading.Barrier(2, timeout=10)
    original = services.local_today

    def today():
        barrier.wait()
        return original()

    monkeypatch.setattr(services, "local_today", today)

    def plan(who: str) -> Any:
        return services.visit_plan(
            actor=desk[who], organization=desk["org"], planned_for=dt.date(2026, 3, 25), purpose="走访"
        )

    results = run_together(lambda: plan("commissioner"), lambda: plan("leader"))
    assert sum(isinstance(r, Visit) for r in results) == 1, results
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1 and "每月上限 1 次" in refused[0].message_dict["planned_for"][0]
    assert Visit.objects.filter(organization=desk["org"]).count() == 1


def test_two_sla_ticks_at_once_escalate_and_notify_once(desk, file_request, monkeypatch):
    request = file_request(when=at(2026, 3, 16, 10))
    barrier = threading.Barrier(2, timeout=10)
    original = services._escalate

    def escalate(pk, **kwargs):
        barrier.wait()
        return original(pk, **kwargs)

    monkeypatch.setattr(services, "_escalate", escalate)
    moment = at(2026, 3, 18, 10)
    reports = run_together(lambda: services.sla_tick(now=moment), lambda: services.sla_tick(now=moment))
    assert sorted(len(r.escalated) for r in reports) == [0, 1], reports
    assert RequestEvent.objects.filter(request=request, kind=RequestEventKind.ESCALATED).count() == 1
    assert Notification.objects.filter(recipient=desk["leader"], kind="servicedesk.escalated").count() == 1
    assert ServiceRequest.objects.get(pk=request.pk).status == RequestStatus.SUBMITTED
