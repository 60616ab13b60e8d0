"""Allowed status transitions, in one place.

Each entry maps ``(from, to)`` to the action's name and who may take it: ``owner`` (a member of the
listing's organization), ``operator``, or ``either``. Services consult these tables; pages and the API
ask :func:`actions_for` which buttons to show.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .choices import AchievementStatus as A
from .choices import DealStage as D
from .choices import DemandStatus as R
from .choices import InterestStatus as I


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    actor: str  # "owner", "operator", "either"
    label: object


def _table(*items: Transition) -> dict[tuple[str, str], Transition]:
    return {(t.source, t.target): t for t in items}


ACHIEVEMENT_TRANSITIONS = _table(
    Transition(A.DRAFT, A.SUBMITTED, "submit", "owner", _("提交审核")),
    Transition(A.RETURNED, A.SUBMITTED, "submit", "owner", _("重新提交")),
    Transition(A.SUBMITTED, A.DRAFT, "withdraw", "owner", _("撤回")),
    Transition(A.SUBMITTED, A.PUBLISHED, "publish", "operator", _("审核通过并发布")),
    Transition(A.SUBMITTED, A.RETURNED, "return", "operator", _("退回修改")),
    Transition(A.PUBLISHED, A.DRAFT, "withdraw", "owner", _("撤回修改")),
    Transition(A.PUBLISHED, A.NEGOTIATING, "negotiate", "either", _("标记为洽谈中")),
    Transition(A.NEGOTIATING, A.PUBLISHED, "reopen", "either", _("重新开放")),
    Transition(A.NEGOTIATING, A.TRANSFERRED, "complete", "either", _("标记为已转化")),
    Transition(A.PUBLISHED, A.TRANSFERRED, "complete", "either", _("标记为已转化")),
    Transition(A.PUBLISHED, A.ARCHIVED, "archive", "either", _("归档")),
    Transition(A.NEGOTIATING, A.ARCHIVED, "archive", "either", _("归档")),
    Transition(A.TRANSFERRED, A.ARCHIVED, "archive", "either", _("归档")),
    Transition(A.DRAFT, A.ARCHIVED, "archive", "owner", _("归档")),
)

DEMAND_TRANSITIONS = _table(
    Transition(R.DRAFT, R.SUBMITTED, "submit", "owner", _("提交审核")),
    Transition(R.RETURNED, R.SUBMITTED, "submit", "owner", _("重新提交")),
    Transition(R.SUBMITTED, R.DRAFT, "withdraw", "owner", _("撤回")),
    Transition(R.SUBMITTED, R.PUBLISHED, "publish", "operator", _("审核通过并发布")),
    Transition(R.SUBMITTED, R.RETURNED, "return", "operator", _("退回修改")),
    Transition(R.PUBLISHED, R.DRAFT, "withdraw", "owner", _("撤回修改")),
    Transition(R.PUBLISHED, R.NEGOTIATING, "negotiate", "either", _("标记为对接中")),
    Transition(R.NEGOTIATING, R.PUBLISHED, "reopen", "either", _("重新开放")),
    Transition(R.NEGOTIATING, R.SOLVED, "complete", "either", _("标记为已解决")),
    Transition(R.PUBLISHED, R.SOLVED, "complete", "either", _("标记为已解决")),
    Transition(R.PUBLISHED, R.CLOSED, "close", "either", _("关闭")),
    Transition(R.NEGOTIATING, R.CLOSED, "close", "either", _("关闭")),
    Transition(R.SOLVED, R.CLOSED, "close", "either", _("关闭")),
    Transition(R.DRAFT, R.CLOSED, "close", "owner", _("关闭")),
)

INTEREST_TRANSITIONS = _table(
    Transition(I.PENDING, I.ACCEPTED, "accept", "owner", _("接受")),
    Transition(I.PENDING, I.DECLINED, "decline", "owner", _("婉拒")),
    Transition(I.PENDING, I.WITHDRAWN, "withdraw", "requester", _("撤回")),
)

# Deals move one step forward, one step back (a correction), or are terminated; operators broker them.
_PIPE = [D.INTENT, D.NEGOTIATION, D.SIGNED, D.REGISTERED, D.IMPLEMENTING, D.ACCEPTED]
DEAL_TRANSITIONS = _table(
    *[
        Transition(a, b, "advance", "operator", format_lazy(_("推进到“{}”"), b.label))
        for a, b in itertools.pairwise(_PIPE)
    ],
    *[
        Transition(b, a, "revert", "operator", format_lazy(_("退回到“{}”"), a.label))
        for a, b in itertools.pairwise(_PIPE)
    ],
    *[Transition(s, D.TERMINATED, "terminate", "operator", _("终止对接")) for s in _PIPE[:-1]],
    Transition(D.TERMINATED, D.INTENT, "reopen", "operator", _("重新开启")),
)

# Statuses in which a listing is published (searchable and visible beyond its owner).
ACHIEVEMENT_PUBLIC_STATUSES = frozenset({A.PUBLISHED, A.NEGOTIATING, A.TRANSFERRED})
DEMAND_PUBLIC_STATUSES = frozenset({R.PUBLISHED, R.NEGOTIATING, R.SOLVED})
# Statuses in which an owner may edit the content.
EDITABLE_STATUSES = frozenset({A.DRAFT, A.RETURNED})
# Statuses in which a listing takes new interest.
ACHIEVEMENT_OPEN_STATUSES = frozenset({A.PUBLISHED, A.NEGOTIATING})
DEMAND_OPEN_STATUSES = frozenset({R.PUBLISHED, R.NEGOTIATING})


def transition(table: dict[tuple[str, str], Transition], source: str, target: str) -> Transition | None:
    return table.get((source, target))


def actions_for(
    table: dict[tuple[str, str], Transition], source: str, *, is_owner: bool, is_operator: bool
) -> list[Transition]:
    """Transitions from ``source`` that this user may take."""
    out = []
    for (src, _target), t in table.items():
        if src != source:
            continue
        if (
            (t.actor == "owner" and is_owner)
            or (t.actor == "operator" and is_operator)
            or (t.actor == "either" and (is_owner or is_operator))
        ):
            out.append(t)
    return out
