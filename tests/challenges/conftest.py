"""Challenge fixtures: a published challenge of an enterprise, two applications, an expert pool with a
conflicted expert, and a helper that runs the whole process up to a signed task book."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kechuang.accounts.choices import Role
from kechuang.challenges import factories
from kechuang.challenges.models import Award
from kechuang.testing.factories import InstituteFactory, PersonFactory, user_with_role


@pytest.fixture
def operator2(db, district_office):
    """A second operator (maker-checker needs two people)."""
    return user_with_role(Role.OPERATOR, district_office, username="op2")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _expert(username, organization, user=None):
    user = user or user_with_role(Role.EXPERT, None, username=username)
    person = PersonFactory(
        organization=organization,
        is_expert=True,
        user=user,
        name=f"专家{username}",
        expertise="激光雷达 点云 算法",
    )
    return SimpleNamespace(user=user, person=person)


@pytest.fixture
def experts(db, expert_user, institute_org):
    """Two neutral experts (from an unrelated university) and one from the applying institute."""
    university = InstituteFactory(name="同济大学某实验室")
    return SimpleNamespace(
        a=_expert("expert", university, expert_user),
        b=_expert("expert_b", university),
        conflicted=_expert("expert_c", institute_org),
    )


@pytest.fixture
def challenge(enterprise_user, enterprise_org, operator):
    return factories.make_challenge(actor=enterprise_user, issuer=enterprise_org, publish_by=operator)


@pytest.fixture
def applications(challenge, institute_user, institute_org, other_enterprise_user, other_enterprise_org):
    first = factories.make_application(
        challenge=challenge, actor=institute_user, organization=institute_org, budget_fen=45_000_000
    )
    second = factories.make_application(
        challenge=challenge,
        actor=other_enterprise_user,
        organization=other_enterprise_org,
        budget_fen=40_000_000,
    )
    return SimpleNamespace(institute=first, enterprise=second)


@pytest.fixture
def panel(challenge, applications, operator, experts):
    return factories.make_panel(
        challenge=challenge, operator=operator, experts=[experts.a.person, experts.b.person]
    )


@pytest.fixture
def scored_panel(panel, applications, experts):
    factories.score_all(
        panel=panel,
        reviewers={
            experts.a.user: {applications.institute.code: 90, applications.enterprise.code: 70},
            experts.b.user: {applications.institute.code: 80, applications.enterprise.code: 75},
        },
    )
    return panel


@pytest.fixture
def award(scored_panel, challenge, applications, operator, enterprise_user):
    from kechuang.challenges import services

    services.panel_close(actor=operator, panel=scored_panel)
    challenge.refresh_from_db()
    [award] = services.challenge_award(
        actor=operator, challenge=challenge, winners=[applications.institute], amounts=[30_000_000]
    )
    factories.sign(award=award, actor=enterprise_user)
    return Award.objects.get(pk=award.pk)
