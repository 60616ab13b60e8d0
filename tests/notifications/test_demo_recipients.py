"""On the small demo data, notifications go to the people they concern (issue 14 item 8): an institute's
experts and researchers are members of it, but its listings' news, strong matches, challenge matches,
applications and deals go to whoever answers for the institute (its own accounts, the publisher, the
submitter), not to every member. Before, the demo's expert got each of its institute's "高度匹配"."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from kechuang.challenges import matching as challenge_matching
from kechuang.challenges import notify as challenge_notify
from kechuang.challenges.models import Application, Challenge
from kechuang.core.registry import make_demo_accounts
from kechuang.directory.choices import OrganizationKind
from kechuang.notifications.models import Notification
from kechuang.transfer import matching, notify, strong
from kechuang.transfer.models import Achievement, Deal, Demand

# Who is told is decided by the roles and memberships in Python, the same on either database: SQLite pass
# only (docs/adr/0017-test-suite-speed.md).
pytestmark = [pytest.mark.slow, pytest.mark.django_db, pytest.mark.any_database]

DESK = {"institute", "enterprise", "provider"}
STAFF = {"operator", "leader", "commissioner"}
# What an institute or an enterprise hears as an organization: never every member
ORGANIZATION_KINDS = ("transfer.", "challenges.")


@pytest.fixture
def demo(settings: Any) -> None:
    settings.MATCH_EMBEDDER = "hashing"
    settings.DEMO_MODE = True
    matching.reset()
    call_command("load_district", settings.DISTRICT, stdout=StringIO())
    call_command("demo_data", scale="small", seed=2026, stdout=StringIO())
    make_demo_accounts("Demo-Recipients-2026")
    yield
    matching.reset()


def roles(user: Any) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_demo_notifications_reach_the_people_they_concern_not_every_member(demo: None) -> None:
    User = get_user_model()
    expert = User.objects.get(username="expert")
    [institute] = [m.organization for m in expert.memberships.all()]
    assert institute.kind == OrganizationKind.INSTITUTE  # the expert is a member of an institute

    # Every strong match the index finds is announced (the worker does this after the demo), and a match
    # of the expert's own institute's achievement with a demand and a challenge, to be sure there is one.
    for achievement in Achievement.objects.filter(published_at__isnull=False):
        strong.announce_for(matching.doc_id_for(achievement))
    for challenge in Challenge.objects.all():
        challenge_matching.announce(f"{Challenge.KIND}:{challenge.pk}")
    own = Achievement.objects.filter(organization=institute, published_at__isnull=False).first()
    assert own is not None, "the demo gives every institute achievements"
    demand = Demand.objects.filter(published_at__isnull=False).exclude(organization=institute).first()
    notify.strong_match(demand, own, 0.93)
    publisher = own.created_by
    # and what else an institute hears as an organization: its listing reviewed, a deal moved, a
    # challenge decided for its application
    notify.listing_reviewed(own, approved=True, note="")
    deal = Deal.objects.filter(supplier=institute).first() or Deal.objects.create(
        title="演示对接：微系统所与企业",
        supplier=institute,
        buyer=demand.organization,
        achievement=own,
        demand=demand,
    )
    notify.deal_moved(deal, "test")
    application = Application.objects.filter(organization__kind=OrganizationKind.INSTITUTE).first()
    if application is not None:
        application.organization = institute
        challenge_notify.decided(application.challenge, [application])

    matched = Notification.objects.filter(kind="transfer.match")
    assert matched.exists()
    assert not Notification.objects.filter(recipient=expert).exclude(kind="challenges.panel")
    for kind in ORGANIZATION_KINDS:
        notes = Notification.objects.filter(kind__startswith=kind).exclude(
            kind="challenges.panel"
        )  # personal
        for note in notes.select_related("recipient"):
            held = roles(note.recipient)
            assert held & (DESK | STAFF) or note.recipient == publisher, (
                f"{note.kind} “{note.title}” went to {note.recipient.username} ({held})"
            )

    # deals reach the parties' desks
    for deal in Deal.objects.all():
        for note in Notification.objects.filter(kind="transfer.deal", url__contains=deal.code):
            assert roles(note.recipient) & DESK, note.recipient.username
