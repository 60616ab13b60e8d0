"""Who hears about what in 揭榜挂帅, through the in-platform notifications (:mod:`kechuang.notifications`).

Each is sent in the service's transaction (a refused or rolled-back step tells no one) with a dedupe key
built from the record's code and the step, so a retried step tells each person once. Nothing here
carries a score before its panel closes: reviewers hear that they were invited, applicants hear the
decision, never an interim ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.choices import Role
from kechuang.core.money import yuan_text
from kechuang.notifications.services import notification_send, organization_desk, role_holders
from kechuang.notifications.text import lazy_text

from .models import Application, Challenge, Milestone, Panel


def _detail(challenge: Challenge) -> str:
    return reverse("challenges:challenge-detail", args=[challenge.code])


def _applicants(application: Application) -> Any:
    """Who answers for the applicant and the co-applicants (their own accounts, not every researcher or
    expert of an institute), and whoever submitted the application."""
    co = list(application.co_applicants.values_list("pk", flat=True))
    return organization_desk(application.organization_id, *co, people=[application.submitted_by_id])


def _issuer(challenge: Challenge) -> Any:
    """Who answers for the issuer, and whoever created the challenge."""
    return organization_desk(challenge.issuer_id, people=[challenge.created_by_id])


def _award_url(award: Any) -> str:
    return reverse("challenges:award-detail", args=[award.code])


def challenge_submitted(challenge: Challenge) -> None:
    notification_send(
        recipients=role_holders(Role.OPERATOR),
        kind="challenges.review",
        title=lazy_text(_("待审核榜单：%(title)s"), title=challenge.title),
        url=reverse("challenges:work"),
        dedupe_key=f"challenges.submitted:{challenge.code}:{challenge.submitted_at}",
    )


def challenge_reviewed(challenge: Challenge, *, approved: bool) -> None:
    if approved:
        title = lazy_text(_("您的榜单“%(title)s”已审核通过并公开发布"), title=challenge.title)
    else:
        title = lazy_text(_("您的榜单“%(title)s”被退回修改"), title=challenge.title)
    notification_send(
        recipients=_issuer(challenge),
        kind="challenges.reviewed",
        title=title,
        body=challenge.status_reason,
        url=_detail(challenge),
        dedupe_key=f"challenges.reviewed:{challenge.code}:{challenge.status}:{challenge.submitted_at}",
    )


def application_submitted(application: Application) -> None:
    challenge = application.challenge
    notification_send(
        recipients=_issuer(challenge),
        kind="challenges.application",
        title=lazy_text(
            _("%(org)s 揭榜了“%(title)s”"), org=application.organization.name, title=challenge.title
        ),
        body=lazy_text(_("申请经费 %(y)s 元。"), y=yuan_text(application.budget_fen)),
        url=_detail(challenge),
        dedupe_key=f"challenges.application:{application.code}",
    )


def challenge_withdrawn(challenge: Challenge, applications: Iterable[Application]) -> None:
    for application in applications:
        notification_send(
            recipients=_applicants(application),
            kind="challenges.withdrawn",
            title=lazy_text(_("您揭榜的“%(title)s”已由发榜方撤回"), title=challenge.title),
            body=challenge.status_reason,
            url=_detail(challenge),
            dedupe_key=f"challenges.withdrawn:{application.code}",
        )


def panel_invited(panel: Panel, experts: Iterable[Any]) -> None:
    challenge = panel.challenge
    notification_send(
        recipients=[p.user for p in experts if p.user_id],
        kind="challenges.panel",
        title=lazy_text(_("邀请您评审榜单“%(title)s”的揭榜申请"), title=challenge.title),
        body=_("请在评审页逐项打分；评审组关闭前，各位专家看不到彼此的评分。"),
        url=reverse("challenges:work"),
        dedupe_key=f"challenges.panel:{challenge.code}",
    )


def decided(challenge: Challenge, applications: Iterable[Application]) -> None:
    """Every applicant hears the decision: winners are congratulated; the others get how many applied and
    the reason (docs/design.md §3.4: solvers see how many applied and why they were not chosen)."""
    for application in applications:
        if application.status == "won":
            title = lazy_text(_("恭喜！您已成功揭榜“%(title)s”，请签订任务书"), title=challenge.title)
        else:
            title = lazy_text(_("“%(title)s”已定榜，您的申请未入选"), title=challenge.title)
        notification_send(
            recipients=_applicants(application),
            kind="challenges.decided",
            title=title,
            body=application.decision_reason,
            url=reverse("challenges:application-detail", args=[application.code]),
            dedupe_key=f"challenges.decided:{application.code}",
        )


def milestone_delivered(milestone: Milestone) -> None:
    award = milestone.award
    notification_send(
        recipients=_issuer(award.challenge),
        kind="challenges.milestone",
        title=lazy_text(
            _("“%(title)s”第 %(n)s 个里程碑已交付，请验收"), title=award.challenge.title, n=milestone.sequence
        ),
        body=milestone.delivery_note[:200],
        url=_award_url(award),
        dedupe_key=f"challenges.delivered:{milestone.code}:{milestone.delivered_at}",
    )


def milestone_answered(milestone: Milestone, *, approved: bool) -> None:
    award = milestone.award
    if approved:
        title = lazy_text(
            _("“%(title)s”第 %(n)s 个里程碑已通过验收"), title=award.challenge.title, n=milestone.sequence
        )
    else:
        title = lazy_text(
            _("“%(title)s”第 %(n)s 个里程碑被退回，请按意见修改后重新提交"),
            title=award.challenge.title,
            n=milestone.sequence,
        )
    notification_send(
        recipients=_applicants(award.application),
        kind="challenges.milestone",
        title=title,
        url=_award_url(award),
        dedupe_key=f"challenges.answered:{milestone.code}:{milestone.status}:{milestone.delivered_at}",
    )


def tranche_requested(milestone: Milestone, requester: Any) -> None:
    """Operators other than the requester (maker-checker: only they can approve)."""
    award = milestone.award
    checkers = [u for u in role_holders(Role.OPERATOR) if u.pk != getattr(requester, "pk", None)]
    notification_send(
        recipients=checkers,
        kind="challenges.tranche",
        title=lazy_text(
            _("待审批拨付：%(title)s 第 %(n)s 笔，%(y)s 元"),
            title=award.challenge.title,
            n=milestone.sequence,
            y=yuan_text(milestone.amount_fen),
        ),
        url=_award_url(award),
        dedupe_key=f"challenges.requested:{milestone.code}:{milestone.requested_at}",  # again after a return
    )


def tranche_returned(milestone: Milestone, *, requester_id: int | None, reason: str) -> None:
    """The requester hears that the checker sent the tranche back, and why."""
    award = milestone.award
    notification_send(
        recipients=get_user_model().objects.filter(pk=requester_id, is_active=True),
        kind="challenges.tranche",
        title=lazy_text(
            _("拨付申请被退回：%(title)s 第 %(n)s 笔"), title=award.challenge.title, n=milestone.sequence
        ),
        body=reason,
        url=_award_url(award),
    )


def tranche_paid(milestone: Milestone) -> None:
    award = milestone.award
    notification_send(
        recipients=_applicants(award.application),
        kind="challenges.tranche",
        title=lazy_text(
            _("“%(title)s”第 %(n)s 笔经费 %(y)s 元已拨付"),
            title=award.challenge.title,
            n=milestone.sequence,
            y=yuan_text(milestone.amount_fen),
        ),
        url=_award_url(award),
        dedupe_key=f"challenges.paid:{milestone.code}",
    )
