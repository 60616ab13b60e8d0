"""The whole lifecycle through the services: post, review, publish, apply, close, panel, blind scoring,
ranking with the tie rule, award (one winner or several), task book, milestones and tranches."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.challenges import factories, services
from kechuang.challenges.choices import ApplicationStatus, AwardStatus, ChallengeStatus, MilestoneStatus
from kechuang.challenges.models import Application, Challenge
from kechuang.core.models import AuditEvent
from kechuang.ledger.models import Account, JournalEntry

pytestmark = pytest.mark.django_db


def test_enterprise_posts_a_draft_that_an_operator_publishes(enterprise_user, enterprise_org, operator):
    challenge = factories.make_challenge(actor=enterprise_user, issuer=enterprise_org)
    assert challenge.status == ChallengeStatus.DRAFT and challenge.code.startswith("JB-")
    assert challenge.budget_fen == 50_000_000
    services.challenge_submit(actor=enterprise_user, challenge=challenge)
    published = services.challenge_review(actor=operator, challenge=challenge, approve=True)
    assert published.status == ChallengeStatus.PUBLISHED and published.reviewed_by == operator
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "challenges.challenge.create",
        "challenges.challenge.submit",
        "challenges.challenge.publish",
    } <= actions


def test_operator_rejects_with_a_reason_and_the_reason_is_required(enterprise_user, enterprise_org, operator):
    challenge = factories.make_challenge(actor=enterprise_user, issuer=enterprise_org)
    services.challenge_submit(actor=enterprise_user, challenge=challenge)
    with pytest.raises(ValidationError) as error:
        services.challenge_review(actor=operator, challenge=challenge, approve=False, reason="  ")
    assert "reason" in error.value.message_dict
    rejected = services.challenge_review(
        actor=operator, challenge=challenge, approve=False, reason="指标不清"
    )
    assert rejected.status == ChallengeStatus.REJECTED and rejected.status_reason == "指标不清"
    # the issuer revises and resubmits; the reason is cleared and the operators review it again
    services.challenge_update(
        actor=enterprise_user, challenge=rejected, indicators="单帧时延 ≤ 20 ms；准确率 ≥ 95%。"
    )
    again = services.challenge_submit(actor=enterprise_user, challenge=rejected)
    assert again.status == ChallengeStatus.SUBMITTED and again.status_reason == ""
    assert (
        services.challenge_review(actor=operator, challenge=again, approve=True).status
        == ChallengeStatus.PUBLISHED
    )


def test_operator_cannot_review_a_challenge_they_drafted(operator, district_office):
    challenge = factories.make_challenge(actor=operator, issuer=district_office)
    assert challenge.issuer_kind == "district"
    services.challenge_submit(actor=operator, challenge=challenge)
    with pytest.raises(PermissionDenied):
        services.challenge_review(actor=operator, challenge=challenge, approve=True)


def test_bad_input_names_the_field_and_writes_nothing(enterprise_user, enterprise_org):
    before = Challenge.objects.count()
    for bad, field in (
        (dict(issuer_fen=0, subsidy_fen=0), "issuer_fen"),
        (dict(title=""), "title"),
        (dict(issuer_fen=1.5), "issuer_fen"),
        (dict(deadline="2020-13-01"), "deadline"),
        (dict(max_winners=0), "max_winners"),
        (dict(title="长" * 500), "title"),
    ):
        with pytest.raises(ValidationError) as error:
            factories.make_challenge(actor=enterprise_user, issuer=enterprise_org, **bad)
        assert field in error.value.message_dict
    assert Challenge.objects.count() == before


def test_an_enterprise_cannot_post_for_another_enterprise(enterprise_user, other_enterprise_org):
    with pytest.raises(PermissionDenied):
        factories.make_challenge(actor=enterprise_user, issuer=other_enterprise_org)


def test_issuer_cannot_apply_to_its_own_challenge_and_one_application_per_organization(
    challenge, enterprise_user, enterprise_org, institute_user, institute_org
):
    with pytest.raises(PermissionDenied):
        factories.make_application(challenge=challenge, actor=enterprise_user, organization=enterprise_org)
    factories.make_application(challenge=challenge, actor=institute_user, organization=institute_org)
    with pytest.raises(ValidationError) as error:
        factories.make_application(challenge=challenge, actor=institute_user, organization=institute_org)
    assert "organization" in error.value.message_dict


def test_budget_beyond_the_challenge_total_is_refused(challenge, institute_user, institute_org):
    with pytest.raises(ValidationError) as error:
        factories.make_application(
            challenge=challenge,
            actor=institute_user,
            organization=institute_org,
            budget_fen=challenge.budget_fen + 1,
        )
    assert "budget_fen" in error.value.message_dict


def test_ranking_uses_the_mean_weighted_total(scored_panel, applications, operator):
    services.panel_close(actor=operator, panel=scored_panel)
    first = Application.objects.get(pk=applications.institute.pk)
    second = Application.objects.get(pk=applications.enterprise.pk)
    assert (first.rank, first.score_x100) == (1, 8500)
    assert (second.rank, second.score_x100) == (2, 7250)


def test_tie_goes_to_the_heaviest_criterion_then_the_lower_budget(panel, applications, experts, operator):
    # same weighted total (70): the institute is stronger on "tech" (weight 40) → ranks first
    for user in (experts.a.user, experts.b.user):
        services.score_submit(
            actor=user,
            panel=panel,
            application=applications.institute,
            values={"tech": 85, "team": 60, "indicators": 60, "budget": 60},
        )
        services.score_submit(
            actor=user,
            panel=panel,
            application=applications.enterprise,
            values={"tech": 70, "team": 70, "indicators": 70, "budget": 70},
        )
    rows = services.compute_ranking(panel)
    assert rows[0]["mean_x100"] == rows[1]["mean_x100"] == 7000
    assert [r["code"] for r in rows] == [applications.institute.code, applications.enterprise.code]
    # equal on every criterion → the lower requested budget (the enterprise asked for less) wins
    for user in (experts.a.user, experts.b.user):
        services.score_submit(
            actor=user,
            panel=panel,
            application=applications.institute,
            values={"tech": 70, "team": 70, "indicators": 70, "budget": 70},
        )
    rows = services.compute_ranking(panel)
    assert [r["code"] for r in rows] == [applications.enterprise.code, applications.institute.code]


def test_panel_cannot_close_before_every_score_is_in(panel, operator, experts, applications):
    services.score_submit(
        actor=experts.a.user,
        panel=panel,
        application=applications.institute,
        values={"tech": 80, "team": 80, "indicators": 80, "budget": 80},
    )
    with pytest.raises(ValidationError):
        services.panel_close(actor=operator, panel=panel)


def test_score_out_of_range_names_the_criterion(panel, experts, applications):
    with pytest.raises(ValidationError) as error:
        services.score_submit(
            actor=experts.a.user,
            panel=panel,
            application=applications.institute,
            values={"tech": 101, "team": 80, "indicators": 80, "budget": 80},
        )
    assert "技术方案" in str(error.value)


@pytest.mark.slow
def test_whole_lifecycle_with_one_winner(
    award, applications, challenge, institute_user, enterprise_user, operator, operator2, leader
):
    loser = Application.objects.get(pk=applications.enterprise.pk)
    assert loser.status == ApplicationStatus.NOT_CHOSEN and "共 2 家" in loser.decision_reason
    assert Application.objects.get(pk=applications.institute.pk).status == ApplicationStatus.WON
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.IN_PROGRESS
    milestones = list(award.milestones.order_by("sequence"))
    assert [m.sequence for m in milestones] == [1, 2, 3] and sum(
        m.amount_fen for m in milestones
    ) == 30_000_000
    checkers = [operator2, leader, operator2]
    for milestone, checker in zip(milestones, checkers, strict=True):
        factories.pay_milestone(
            milestone=milestone,
            solver=institute_user,
            issuer=enterprise_user,
            maker=operator,
            checker=checker,
        )
    award.refresh_from_db()
    challenge.refresh_from_db()
    assert award.status == AwardStatus.ACCEPTED and challenge.status == ChallengeStatus.COMPLETED
    payable = Account.objects.get(pk=award.payable_account_id)
    fund = Account.objects.get(pk=challenge.fund_account_id)
    assert payable.balance_fen == 0 and fund.balance_fen == 0
    assert JournalEntry.objects.filter(kind="challenges.tranche").count() == 3


def test_horse_race_awards_several_winners_in_parallel(
    applications, operator, experts, enterprise_user, enterprise_org, challenge
):
    Challenge.objects.filter(pk=challenge.pk).update(max_winners=2)
    panel = factories.make_panel(challenge=challenge, operator=operator, experts=[experts.a.person])
    factories.score_all(
        panel=panel,
        reviewers={experts.a.user: {applications.institute.code: 80, applications.enterprise.code: 79}},
    )
    services.panel_close(actor=operator, panel=panel)
    challenge.refresh_from_db()
    awards = services.challenge_award(
        actor=operator, challenge=challenge, winners=[applications.institute, applications.enterprise]
    )
    assert len(awards) == 2 and sum(a.amount_fen for a in awards) == challenge.budget_fen


def test_milestones_are_delivered_in_order(award, institute_user):
    second = award.milestones.get(sequence=2)
    with pytest.raises(ValidationError):
        services.milestone_deliver(actor=institute_user, milestone=second, note="提前交付")
    assert award.milestones.get(sequence=2).status == MilestoneStatus.PLANNED


def test_task_book_milestones_must_add_up_to_the_award(
    scored_panel, challenge, applications, operator, enterprise_user
):
    services.panel_close(actor=operator, panel=scored_panel)
    challenge.refresh_from_db()
    [award] = services.challenge_award(
        actor=operator, challenge=challenge, winners=[applications.institute], amounts=[30_000_000]
    )
    plan = factories.milestone_plan(30_000_000)
    plan[0]["amount_fen"] += 1
    with pytest.raises(ValidationError) as error:
        services.task_book_sign(actor=enterprise_user, award=award, task_book="任务书", milestones=plan)
    assert "milestones" in error.value.message_dict
    assert not award.milestones.exists()


def test_withdrawing_a_published_challenge_tells_the_applicants_why(challenge, applications, enterprise_user):
    services.challenge_withdraw(actor=enterprise_user, challenge=challenge, reason="技术路线调整")
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.WITHDRAWN and challenge.status_reason == "技术路线调整"
    for application in Application.objects.all():
        assert (
            application.status == ApplicationStatus.NOT_CHOSEN
            and "技术路线调整" in application.decision_reason
        )


def test_closed_challenge_cannot_be_withdrawn_and_empty_one_cannot_close(
    challenge, operator, enterprise_user
):
    with pytest.raises(ValidationError):
        services.challenge_close(actor=operator, challenge=challenge)  # nobody applied yet
    assert Challenge.objects.get(pk=challenge.pk).status == ChallengeStatus.PUBLISHED


def test_issuer_can_send_a_milestone_back_with_a_note(award, institute_user, enterprise_user):
    first = award.milestones.get(sequence=1)
    services.milestone_deliver(actor=institute_user, milestone=first, note="初版")
    services.milestone_accept(actor=enterprise_user, milestone=first, approve=False, note="缺第三方报告")
    first.refresh_from_db()
    assert first.status == MilestoneStatus.PLANNED and "缺第三方报告" in first.delivery_note
    with pytest.raises(PermissionDenied):  # nothing delivered to send back
        services.milestone_accept(actor=enterprise_user, milestone=first, approve=False, note="")


def test_solver_cannot_accept_its_own_milestone(award, institute_user, operator):
    first = award.milestones.get(sequence=1)
    services.milestone_deliver(actor=institute_user, milestone=first, note="完成")
    with pytest.raises(PermissionDenied):
        services.milestone_accept(actor=institute_user, milestone=first)


def test_the_daily_job_closes_challenges_past_their_deadline_once(
    challenge, applications, enterprise_user, enterprise_org, operator
):
    import datetime as dt

    from django.core.management import call_command

    nobody = factories.make_challenge(
        actor=enterprise_user, issuer=enterprise_org, publish_by=operator, title="无人"
    )
    later = (challenge.deadline + dt.timedelta(days=1)).isoformat()
    call_command("challenges_close_due", today=later)
    challenge.refresh_from_db()
    nobody.refresh_from_db()
    assert challenge.status == ChallengeStatus.CLOSED and nobody.status == ChallengeStatus.PUBLISHED
    assert set(Application.objects.values_list("status", flat=True)) == {ApplicationStatus.IN_REVIEW}
    assert services.challenges_close_due(today=challenge.deadline + dt.timedelta(days=1)) == {
        "closed": [],
        "empty": [nobody.code],
    }
