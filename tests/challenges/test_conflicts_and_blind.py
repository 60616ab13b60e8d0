"""Conflicts of interest and blind scoring at the service and queryset level (pages and API: test_access)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.challenges import factories, permissions, services
from kechuang.challenges.models import Panel, Score
from kechuang.testing.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_an_expert_from_an_applicant_organization_cannot_be_assigned(
    challenge, applications, operator, experts
):
    services.challenge_close(actor=operator, challenge=challenge)
    with pytest.raises(ValidationError) as error:
        services.panel_build(
            actor=operator, challenge=challenge, experts=[experts.a.person, experts.conflicted.person]
        )
    assert experts.conflicted.person.name in str(error.value)
    assert not Panel.objects.exists()


def test_an_expert_from_a_co_applicant_organization_cannot_be_assigned(
    challenge, operator, experts, other_enterprise_user, other_enterprise_org, institute_org
):
    factories.make_application(
        challenge=challenge,
        actor=other_enterprise_user,
        organization=other_enterprise_org,
        co_applicants=[institute_org],
    )
    services.challenge_close(actor=operator, challenge=challenge)
    with pytest.raises(ValidationError):
        services.panel_build(actor=operator, challenge=challenge, experts=[experts.conflicted.person])


def test_an_expert_on_the_team_cannot_be_assigned(
    challenge, operator, experts, other_enterprise_user, other_enterprise_org
):
    factories.make_application(
        challenge=challenge,
        actor=other_enterprise_user,
        organization=other_enterprise_org,
        team_members=[experts.b.person],
    )
    services.challenge_close(actor=operator, challenge=challenge)
    with pytest.raises(ValidationError):
        services.panel_build(actor=operator, challenge=challenge, experts=[experts.b.person])


def test_a_person_outside_the_expert_pool_cannot_be_assigned(challenge, applications, operator):
    services.challenge_close(actor=operator, challenge=challenge)
    outsider = PersonFactory(is_expert=False)
    with pytest.raises(ValidationError):
        services.panel_build(actor=operator, challenge=challenge, experts=[outsider])


def test_a_conflicted_expert_never_sees_the_application_even_on_the_panel(panel, applications, experts):
    # forced onto the panel behind the service's back: the queryset still hides the application
    panel.members.create(expert=experts.conflicted.person)
    visible = set(permissions.application_visible_to(experts.conflicted.user).values_list("pk", flat=True))
    assert applications.institute.pk not in visible
    assert applications.enterprise.pk in visible
    with pytest.raises(PermissionDenied):
        services.score_submit(
            actor=experts.conflicted.user,
            panel=panel,
            application=applications.institute,
            values={"tech": 90, "team": 90, "indicators": 90, "budget": 90},
        )


def test_scores_are_blind_until_the_panel_closes(
    scored_panel, experts, operator, leader, enterprise_user, institute_user, applications
):
    mine = permissions.score_visible_to(experts.a.user)
    assert set(mine.values_list("member__expert", flat=True)) == {experts.a.person.pk}
    for user in (operator, leader, enterprise_user, institute_user):
        assert not permissions.score_visible_to(user).exists()
    assert (
        permissions.application_visible_to(institute_user).get(pk=applications.institute.pk).score_x100
        is None
    )
    services.panel_close(actor=operator, panel=scored_panel)
    assert permissions.score_visible_to(experts.a.user).count() == Score.objects.count() == 4
    assert permissions.score_visible_to(operator).count() == 4
    assert not permissions.score_visible_to(institute_user).exists()


def test_no_score_after_the_panel_closes(scored_panel, experts, operator, applications):
    services.panel_close(actor=operator, panel=scored_panel)
    with pytest.raises(PermissionDenied):
        services.score_submit(
            actor=experts.a.user,
            panel=scored_panel,
            application=applications.institute,
            values={"tech": 10, "team": 10, "indicators": 10, "budget": 10},
        )


def test_audit_record_of_a_score_carries_no_values(scored_panel):
    from kechuang.core.models import AuditEvent

    for event in AuditEvent.objects.filter(action="challenges.score.submit"):
        assert "values" not in event.detail and "total_x100" not in event.detail


def test_co_applicants_declared_through_the_api_exclude_their_experts(
    challenge, operator, experts, other_enterprise_user, institute_org
):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(other_enterprise_user)
    response = api.post(
        f"/api/v1/challenges/{challenge.code}/apply/",
        {
            "team": "团队",
            "plan": "方案",
            "milestones": "两阶段",
            "budget_fen": 1_000_000,
            "co_applicants": [institute_org.pk],
            "team_members": [experts.b.person.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    services.challenge_close(actor=operator, challenge=challenge)
    for person in (experts.conflicted.person, experts.b.person):
        with pytest.raises(ValidationError):
            services.panel_build(actor=operator, challenge=challenge, experts=[person])
    assert services.panel_build(actor=operator, challenge=challenge, experts=[experts.a.person])
