"""Who hears what in 揭榜挂帅: each step tells the people who must act next or who are affected, once,
and no one hears a score before the panel closes."""

from __future__ import annotations

from django.urls import reverse

from kechuang.challenges import factories, services
from kechuang.challenges.models import Milestone
from kechuang.notifications.models import Notification


def _got(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


def test_submitting_and_reviewing_a_challenge(enterprise_user, enterprise_org, operator, operator2):
    challenge = factories.make_challenge(actor=enterprise_user, issuer=enterprise_org)
    services.challenge_submit(actor=enterprise_user, challenge=challenge)
    assert len(_got(operator, "challenges.review")) == 1 and len(_got(operator2, "challenges.review")) == 1
    assert _got(enterprise_user, "challenges.review") == []
    services.challenge_review(actor=operator, challenge=challenge, approve=False, reason="指标请量化")
    [returned] = _got(enterprise_user, "challenges.reviewed")
    assert "退回" in returned.title and returned.body == "指标请量化"
    services.challenge_submit(actor=enterprise_user, challenge=challenge)
    services.challenge_review(actor=operator, challenge=challenge, approve=True)
    notes = _got(enterprise_user, "challenges.reviewed")
    assert len(notes) == 2 and "公开发布" in notes[-1].title
    assert notes[-1].url == reverse("challenges:challenge-detail", args=[challenge.code])
    assert len(_got(operator2, "challenges.review")) == 2  # each submission once


def test_applications_reach_the_issuer_and_withdrawal_reaches_the_applicants(
    challenge, applications, enterprise_user, institute_user, other_enterprise_user
):
    notes = _got(enterprise_user, "challenges.application")
    assert len(notes) == 2 and {applications.institute.organization.name in n.title for n in notes} == {
        True,
        False,
    }
    assert _got(institute_user, "challenges.application") == []
    services.challenge_withdraw(actor=enterprise_user, challenge=challenge, reason="技术路线调整")
    for user in (institute_user, other_enterprise_user):
        [note] = _got(user, "challenges.withdrawn")
        assert "撤回" in note.title and note.body == "技术路线调整"


def test_reviewers_are_invited_and_no_score_travels_before_the_panel_closes(
    scored_panel, experts, applications, operator
):
    for e in (experts.a, experts.b):
        [invite] = _got(e.user, "challenges.panel")
        assert scored_panel.challenge.title in invite.title
    assert _got(experts.conflicted.user, "challenges.panel") == []
    # scoring told nobody anything
    assert not Notification.objects.filter(kind__in=["challenges.score", "challenges.decided"]).exists()
    assert not [n for n in Notification.objects.all() if "90" in n.title + n.body or "分" in n.title]


def test_the_decision_reaches_every_applicant_with_the_reason(
    award, applications, institute_user, other_enterprise_user
):
    [won] = _got(institute_user, "challenges.decided")
    assert "恭喜" in won.title
    assert won.url == reverse("challenges:application-detail", args=[applications.institute.code])
    [lost] = _got(other_enterprise_user, "challenges.decided")
    assert "未入选" in lost.title and "共 2 家申请" in lost.body


def test_milestones_and_tranches_tell_the_next_person(
    award, institute_user, enterprise_user, operator, operator2
):
    first = Milestone.objects.filter(award=award).order_by("sequence").first()
    services.milestone_deliver(actor=institute_user, milestone=first, note="原型完成")
    [delivered] = _got(enterprise_user, "challenges.milestone")
    assert "请验收" in delivered.title and delivered.url == reverse(
        "challenges:award-detail", args=[award.code]
    )
    services.milestone_accept(actor=enterprise_user, milestone=first)
    assert any("通过验收" in n.title for n in _got(institute_user, "challenges.milestone"))
    services.tranche_request(actor=operator, milestone=first)
    assert _got(operator, "challenges.tranche") == []  # the maker cannot approve: not asked
    [ask] = _got(operator2, "challenges.tranche")
    assert "待审批拨付" in ask.title
    services.tranche_pay(actor=operator2, milestone=first)
    [paid] = _got(institute_user, "challenges.tranche")
    assert "已拨付" in paid.title and f"{first.amount_fen / 100:,.2f}" in paid.title
