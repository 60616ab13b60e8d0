"""Every non-trivial read of the challenge module, starting from the ``*_visible_to(actor)`` querysets."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from . import permissions as perms
from .choices import (
    AWARDED_STATUSES,
    ApplicationStatus,
    ChallengeStatus,
    MilestoneStatus,
    PanelStatus,
)
from .models import Application, Award, Challenge, Milestone, Panel, Score, TranchePayment

logger = logging.getLogger(__name__)


def challenge_list(*, actor: Any) -> QuerySet[Challenge]:
    return (
        perms.challenge_visible_to(actor)
        .select_related("issuer")
        .annotate(
            application_count=Count(
                "applications", filter=~Q(applications__status="withdrawn"), distinct=True
            )
        )
        .order_by("-created_at", "-id")
    )


def open_challenges() -> QuerySet[Challenge]:
    return (
        Challenge.objects.filter(status=ChallengeStatus.PUBLISHED)
        .select_related("issuer")
        .order_by("deadline")
    )


def application_list(*, actor: Any) -> QuerySet[Application]:
    return (
        perms.application_visible_to(actor)
        .select_related("challenge", "organization")
        .order_by("-submitted_at", "-id")
    )


def application_counts(challenge: Challenge) -> dict[str, int]:
    """How many applied (shown to everyone on the notice page and to applicants who were not chosen)."""
    rows = dict(Application.objects.filter(challenge=challenge).values_list("status").annotate(n=Count("id")))
    total = sum(n for status, n in rows.items() if status != ApplicationStatus.WITHDRAWN)
    return {"total": total, "won": rows.get(ApplicationStatus.WON, 0)}


def overall_figures() -> dict[str, Any]:
    by_status = dict(Challenge.objects.values_list("status").annotate(n=Count("id")))
    awarded = Award.objects.aggregate(total=Sum("amount_fen"))["total"] or 0
    paid = TranchePayment.objects.aggregate(total=Sum("amount_fen"))["total"] or 0
    budget = Challenge.objects.filter(status__in=AWARDED_STATUSES | {ChallengeStatus.PUBLISHED}).aggregate(
        issuer=Sum("issuer_fen"), subsidy=Sum("subsidy_fen")
    )
    return {
        "published": by_status.get(ChallengeStatus.PUBLISHED, 0),
        "reviewing": by_status.get(ChallengeStatus.CLOSED, 0) + by_status.get(ChallengeStatus.REVIEWING, 0),
        "in_progress": by_status.get(ChallengeStatus.AWARDED, 0)
        + by_status.get(ChallengeStatus.IN_PROGRESS, 0),
        "completed": by_status.get(ChallengeStatus.COMPLETED, 0),
        "pending_review": by_status.get(ChallengeStatus.SUBMITTED, 0),
        "awarded_fen": awarded,
        "paid_fen": paid,
        "issuer_fen": budget["issuer"] or 0,
        "subsidy_fen": budget["subsidy"] or 0,
        "applications": Application.objects.exclude(status=ApplicationStatus.WITHDRAWN).count(),
    }


@dataclass
class Todo:
    label: str
    url: str
    code: str = ""
    kind: str = ""


def work_queue(*, actor: Any, limit: int | None = None) -> list[Todo]:
    """What waits for this user: reviews, panels, awards, acceptances, tranche approvals, scoring.

    With ``limit`` (the home panel shows five), it stops querying once it has that many."""
    items: list[Todo] = []

    def full() -> bool:
        return limit is not None and len(items) >= limit

    if perms.is_operator(actor):
        for c in Challenge.objects.filter(status=ChallengeStatus.SUBMITTED).exclude(created_by=actor)[:20]:
            items.append(
                Todo(
                    _("审核榜单：%(t)s") % {"t": c.title},
                    reverse("challenges:challenge-detail", args=[c.code]),
                    c.code,
                    "review",
                )
            )
        for c in Challenge.objects.filter(status=ChallengeStatus.CLOSED)[:20]:
            items.append(
                Todo(
                    _("组建评审组：%(t)s") % {"t": c.title},
                    reverse("challenges:panel", args=[c.code]),
                    c.code,
                    "panel",
                )
            )
        for c in Challenge.objects.filter(status=ChallengeStatus.REVIEWING).select_related("panel")[:20]:
            closed = hasattr(c, "panel") and c.panel.status == PanelStatus.CLOSED
            items.append(
                Todo(
                    (_("定榜：%(t)s") if closed else _("评审进行中：%(t)s")) % {"t": c.title},
                    reverse("challenges:panel", args=[c.code]),
                    c.code,
                    "award" if closed else "panel",
                )
            )
        for m in Milestone.objects.filter(status=MilestoneStatus.ACCEPTED).select_related("award")[:20]:
            items.append(
                Todo(
                    _("申请拨付：%(c)s 第 %(n)s 笔") % {"c": m.award.code, "n": m.sequence},
                    reverse("challenges:award-detail", args=[m.award.code]),
                    m.code,
                    "request",
                )
            )
    if full():
        return items[:limit]
    if perms.may(actor, "approve_tranche"):
        for m in (
            Milestone.objects.filter(status=MilestoneStatus.REQUESTED)
            .exclude(requested_by=actor)
            .select_related("award")[:20]
        ):
            items.append(
                Todo(
                    _("审批拨付：%(c)s 第 %(n)s 笔") % {"c": m.award.code, "n": m.sequence},
                    reverse("challenges:award-detail", args=[m.award.code]),
                    m.code,
                    "approve",
                )
            )
    if full():
        return items[:limit]
    orgs = perms.organizations_of(actor)
    if orgs:
        for m in Milestone.objects.filter(
            status=MilestoneStatus.DELIVERED, award__challenge__issuer_id__in=orgs
        ).select_related("award")[:20]:
            items.append(
                Todo(
                    _("验收里程碑：%(c)s 第 %(n)s 个") % {"c": m.award.code, "n": m.sequence},
                    reverse("challenges:award-detail", args=[m.award.code]),
                    m.code,
                    "accept",
                )
            )
        for a in Award.objects.filter(status="signing", challenge__issuer_id__in=orgs)[:20]:
            items.append(
                Todo(
                    _("签订任务书：%(c)s") % {"c": a.code},
                    reverse("challenges:award-detail", args=[a.code]),
                    a.code,
                    "sign",
                )
            )
    if full():
        return items[:limit]
    person = perms.expert_person(actor)
    if person is not None:
        for panel in Panel.objects.filter(members__expert=person, status=PanelStatus.OPEN).select_related(
            "challenge"
        ):
            items.append(
                Todo(
                    _("评审：%(t)s") % {"t": panel.challenge.title},
                    reverse("challenges:panel", args=[panel.challenge.code]),
                    panel.challenge.code,
                    "score",
                )
            )
    return items[:limit] if limit is not None else items


# --- panel ---------------------------------------------------------------------------------------------


@dataclass
class PanelView:
    """What one user may see of a panel: members, their own scores, progress counts, and — only once the
    panel is closed — everyone's scores and the ranking."""

    panel: Panel
    members: list[Any]
    applications: list[Application]
    my_scores: dict[int, Score] = field(default_factory=dict)
    scores: list[Score] = field(default_factory=list)
    done: int = 0
    expected: int = 0
    conflicted: set[int] = field(default_factory=set)

    @property
    def closed(self) -> bool:
        return self.panel.status == PanelStatus.CLOSED


def panel_view(*, actor: Any, panel: Panel) -> PanelView:
    visible_apps = (
        perms.application_visible_to(actor)
        .filter(challenge_id=panel.challenge_id)
        .exclude(status=ApplicationStatus.WITHDRAWN)
        .select_related("organization")
        .order_by("rank", "submitted_at", "id")
    )
    members = list(panel.members.select_related("expert__organization"))
    person = perms.expert_person(actor)
    view = PanelView(panel=panel, members=members, applications=list(visible_apps))
    scores = (
        perms.score_visible_to(actor)
        .filter(member__panel=panel)
        .select_related("member__expert", "application")
    )
    if person is not None:
        view.my_scores = {s.application_id: s for s in scores if s.member.expert_id == person.pk}
    if view.closed:
        view.scores = list(scores)
    all_apps = Application.objects.filter(
        challenge_id=panel.challenge_id,
        status__in=[ApplicationStatus.IN_REVIEW, ApplicationStatus.WON, ApplicationStatus.NOT_CHOSEN],
    )
    view.expected = len(members) * all_apps.count()
    view.done = Score.objects.filter(member__panel=panel).count()  # a count, never a value
    return view


# --- awards and progress ---------------------------------------------------------------------------------


def awards_of(challenge: Challenge) -> list[Award]:
    return list(
        Award.objects.filter(challenge=challenge)
        .select_related("application__organization")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("sequence").select_related("payment"))
        )
    )


def award_figures(award: Award) -> dict[str, Any]:
    paid = sum(m.amount_fen for m in award.milestones.all() if m.status == MilestoneStatus.PAID)
    return {
        "paid_fen": paid,
        "remaining_fen": award.amount_fen - paid,
        "percent": round(100 * paid / award.amount_fen) if award.amount_fen else 0,
    }


def progress(challenge: Challenge) -> list[dict[str, Any]]:
    return [
        {"award": award, "figures": award_figures(award), "milestones": list(award.milestones.all())}
        for award in awards_of(challenge)
    ]


# --- recommendations (matching engine) -------------------------------------------------------------------


def challenge_document(challenge: Challenge, taxonomy: Any) -> Any:
    """The challenge as a matching-engine query document of kind ``challenge`` (counterparts: achievements,
    experts, organizations; see matchcore.config). It is not stored in the platform's index: a challenge
    is always the source of a recommendation, never a hit."""
    import matchcore

    codes = [taxonomy.by_pk[f.pk] for f in challenge.fields.all() if f.pk in taxonomy.by_pk]
    names = [taxonomy.names.get(c, "") for c in codes]
    return matchcore.Document(
        id=f"challenge:{challenge.pk}",
        kind="challenge",
        title=challenge.title,
        text="\n".join(p[:1500] for p in (challenge.problem, challenge.indicators) if p),
        fields=tuple(codes),
        budget_max_fen=challenge.budget_fen,
        cluster=taxonomy.root(codes[0]) if codes else None,
        tags=tuple(n for n in names if n),
    )


@dataclass
class Candidates:
    achievements: list[Any] = field(default_factory=list)
    organizations: list[Any] = field(default_factory=list)
    experts: list[Any] = field(default_factory=list)
    error: str = ""


def candidate_solvers(*, actor: Any, challenge: Challenge, k: int = 6) -> Candidates:
    """Candidate solvers for the issuer and the operators, with the engine's reasons: organizations
    (institutes and enterprises) whose profile fits, the achievements behind them, and experts. Every hit
    is re-read under the user's visibility (docs/reliability.md B5); the issuer itself is left out."""
    from kechuang.transfer import matching
    from kechuang.transfer.selectors import MatchContext, materialize

    try:
        ctx = MatchContext.load()
        engine = ctx.engine
        doc = challenge_document(challenge, ctx.taxonomy)
        allowed = matching.allowed_for(actor)
        source = f"{doc.title}\n{doc.text}\n{' '.join(doc.tags)}"
        own = frozenset({challenge.issuer_id})
        out = Candidates()
        hits = matching.recommend(engine, doc, k=k + 4, kinds=("organization",), allowed=allowed)
        out.organizations = [
            m
            for m in materialize(actor, hits, source_text=source, ctx=ctx)
            if m.obj.pk != challenge.issuer_id
        ][:k]
        hits = matching.recommend(engine, doc, k=k + 4, kinds=("achievement",), allowed=allowed)
        out.achievements = materialize(actor, hits, exclude_orgs=own, source_text=source, ctx=ctx)[:k]
        hits = matching.recommend(engine, doc, k=k, kinds=("expert",), allowed=allowed)
        out.experts = materialize(actor, hits, source_text=source, ctx=ctx)[:k]
        return out
    except Exception:  # recommendations must never take the page down
        logger.exception("challenge recommendations failed")
        return Candidates(error=_("推荐暂时不可用。"))


def expert_pool(*, challenge: Challenge) -> tuple[list[Any], dict[int, list[str]]]:
    """Experts for a panel, with the conflicts of each (experts with a conflict cannot be chosen)."""
    from kechuang.directory.models import Person

    applications = list(
        Application.objects.filter(challenge=challenge, status=ApplicationStatus.IN_REVIEW)
        .select_related("organization")
        .prefetch_related("co_applicants", "team_members")
    )
    people = list(
        Person.objects.filter(is_expert=True)
        .select_related("organization")
        .prefetch_related("fields")
        .order_by("name", "id")[:300]
    )
    conflicts: dict[int, list[str]] = {}
    for person in people:
        for application in applications:
            orgs = {application.organization_id} | {o.pk for o in application.co_applicants.all()}
            team = {p.pk for p in application.team_members.all()}
            if (person.organization_id and person.organization_id in orgs) or person.pk in team:
                conflicts.setdefault(person.pk, []).append(application.organization.name)
    return people, conflicts
