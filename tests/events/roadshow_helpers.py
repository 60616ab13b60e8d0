"""Helpers for the roadshow and after-prize tests: investment institutions with a member each, and a
competition whose entries are put straight into the states the roadshow needs (the judging that gets
them there is tested in test_competitions.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from competition_helpers import enter, make_competition, track
from django.utils import timezone

from kechuang.directory.choices import OrganizationKind
from kechuang.events import services
from kechuang.events.choices import CompetitionStatus, EntryStatus
from kechuang.events.models import Competition, Entry, Prize
from kechuang.testing.factories import OrganizationFactory, user_with_role


def investor(name: str, username: str) -> tuple[Any, Any]:
    """(organization, member) of an investment institution; the member holds no role."""
    organization = OrganizationFactory(kind=OrganizationKind.INVESTOR, name=name)
    return organization, user_with_role(None, organization, username=username)


def roadshow_world(
    operator: Any, organizer: Any, team: Any, team_org: Any, other: Any, other_org: Any
) -> dict:
    """A competition in its defence: entry ``a`` (the team's) and ``b`` (another enterprise's) are
    finalists, ``c`` (the team's) was eliminated in the first round."""
    competition = make_competition(operator, organizer)
    a = enter(team, competition, team_org, "生物芯片快检")
    b = enter(other, competition, other_org, "智能传感网关")
    c = enter(team, competition, team_org, "未晋级项目")
    Entry.objects.filter(pk__in=[a.pk, b.pk]).update(status=EntryStatus.FINALIST)
    Entry.objects.filter(pk=c.pk).update(status=EntryStatus.ELIMINATED)
    Competition.objects.filter(pk=competition.pk).update(status=CompetitionStatus.DEFENCE)
    return {
        "competition": Competition.objects.get(pk=competition.pk),
        "a": Entry.objects.get(pk=a.pk),
        "b": Entry.objects.get(pk=b.pk),
        "c": Entry.objects.get(pk=c.pk),
    }


def finish(competition: Competition, winners: dict[Entry, int], *, final_on: dt.date | None = None) -> None:
    """Make the result final on ``final_on`` (today by default) with ``winners`` ranked (entry → rank) in
    the first track, as competition_finalize leaves it (the ledger side is tested elsewhere)."""
    day = final_on or timezone.localdate()
    for entry, rank in winners.items():
        prize = Prize.objects.filter(track=track(competition), rank=rank).first()
        Entry.objects.filter(pk=entry.pk).update(status=EntryStatus.RANKED, rank=rank, prize=prize)
    Competition.objects.filter(pk=competition.pk).update(
        status=CompetitionStatus.FINAL,
        publicity_ends_on=day - dt.timedelta(days=1),
        finalized_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0))),
        followup_until=services.followup_end(day),
    )


def soon(days: int = 3) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days)
