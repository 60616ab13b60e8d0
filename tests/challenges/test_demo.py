"""Demo data: deterministic, idempotent, every state present, the ledger reconciles."""

from __future__ import annotations

import random

import pytest

from kechuang.challenges.choices import ChallengeStatus, MilestoneStatus
from kechuang.challenges.demo import make_demo_challenges
from kechuang.challenges.models import Challenge, Milestone, PanelMember, TranchePayment
from kechuang.challenges.permissions import conflicted_application_ids
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(db, district_office):
    for i in range(6):
        OrganizationFactory(name=f"演示企业{i}")
        InstituteFactory(name=f"演示院所{i}")
    for i in range(6):
        PersonFactory(is_expert=True, name=f"演示专家{i}")


def test_small_demo_has_every_state_and_reconciles(directory):
    counts = make_demo_challenges(scale="small", seed=7, rng=random.Random("7:x"))
    assert counts["榜单"] == 12
    statuses = set(Challenge.objects.values_list("status", flat=True))
    assert {
        ChallengeStatus.PUBLISHED,
        ChallengeStatus.SUBMITTED,
        ChallengeStatus.DRAFT,
        ChallengeStatus.REVIEWING,
        ChallengeStatus.AWARDED,
        ChallengeStatus.IN_PROGRESS,
        ChallengeStatus.COMPLETED,
    } <= statuses
    assert Milestone.objects.filter(
        sequence=1, status=MilestoneStatus.PAID, award__challenge__status=ChallengeStatus.IN_PROGRESS
    ).exists()
    assert TranchePayment.objects.exists()
    for member in PanelMember.objects.select_related("panel"):
        apps = member.panel.challenge.applications.all()
        assert not conflicted_application_ids(member.expert, apps)
    report = reconcile()
    assert report.ok, report.as_dict()
    assert make_demo_challenges(scale="small", seed=7, rng=random.Random("7:x")) == {}


def test_demo_is_deterministic_for_a_seed(directory):
    make_demo_challenges(scale="small", seed=7, rng=random.Random("7:x"))
    first = list(Challenge.objects.order_by("code").values_list("code", "title", "status", "issuer_fen"))
    assert len(first) == 12
