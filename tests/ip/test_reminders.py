"""Annuity and expiry reminders (docs/adr/0028, "Reminders"): the holder's technology transfer office
hears of each deadline once, however often the scheduler runs; a deadline passed warns of the grace
period; a paid annuity moves the deadline a year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from ip_helpers import make_asset

from kechuang.core import jobs
from kechuang.core.jobs import JobContext
from kechuang.ip import services
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 6)


def run_job(day):
    job = jobs.get_job("ip-reminders")
    due = timezone.make_aware(dt.datetime.combine(day, dt.time(8, 30)))
    return job.run(JobContext(name=job.name, due_at=due, started_at=due))


def test_an_annuity_deadline_is_reminded_once_even_when_the_scheduler_runs_twice(holder, tto):
    asset = make_asset(holder, 31, annuity_due_on=TODAY + dt.timedelta(days=20))
    run_job(TODAY)
    run_job(TODAY)
    run_job(TODAY + dt.timedelta(days=1))
    notes = Notification.objects.filter(recipient=tto, kind="ip.annuity")
    assert notes.count() == 1
    assert asset.number in notes.get().title


def test_a_deadline_passed_warns_of_the_grace_period_once(holder, tto):
    make_asset(holder, 32, annuity_due_on=TODAY - dt.timedelta(days=10))
    assert services.reminders_send_due(today=TODAY) == 1
    assert services.reminders_send_due(today=TODAY) == 0
    note = Notification.objects.get(recipient=tto, kind="ip.grace")
    last_day = services.add_months(TODAY - dt.timedelta(days=10), services.GRACE_MONTHS)
    assert "滞纳期" in note.title and last_day.isoformat() in note.title


def asset_number(note):
    return note.url.rstrip("/").rsplit("/", 1)[-1]


def test_paying_the_annuity_moves_the_deadline_and_the_next_one_is_reminded_again(holder, tto):
    due = TODAY + dt.timedelta(days=5)
    asset = make_asset(holder, 33, annuity_due_on=due)
    assert services.reminders_send_due(today=TODAY) == 1
    asset = services.annuity_pay(actor=tto, asset=asset)
    assert asset.annuity_due_on == due.replace(year=due.year + 1)
    assert services.reminders_send_due(today=TODAY) == 0
    assert services.reminders_send_due(today=asset.annuity_due_on - dt.timedelta(days=30)) == 1


def test_lapsed_patents_and_far_deadlines_are_not_reminded(holder, tto, other_tto):
    make_asset(holder, 34, annuity_due_on=TODAY + dt.timedelta(days=200))
    lapsed = make_asset(holder, 35, annuity_due_on=TODAY + dt.timedelta(days=3))
    services.asset_update(actor=tto, asset=lapsed, legal_status="lapsed")
    assert services.reminders_send_due(today=TODAY) == 0
    assert not Notification.objects.filter(recipient=other_tto).exists()


def test_the_end_of_the_term_is_announced(holder, tto):
    make_asset(holder, 36, filed_on=dt.date(2007, 2, 1), annuity_due_on=None)
    assert services.reminders_send_due(today=dt.date(2026, 12, 6)) >= 1
    assert Notification.objects.filter(recipient=tto, kind="ip.expiry").count() == 1
