"""Public challenges in the platform's matching index (:mod:`kechuang.transfer.matching`).

A published challenge, and one under review, awarded or in progress (its public notice stays up), is a
document of kind ``challenge``: found by the site search, recommended on an achievement's page to its
owners (可揭榜的榜单), and, once its vector is stored, announced to the owners of the achievements that
fit it strongly, once per pair. Withdrawn and rejected challenges leave the index.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy

from .choices import PUBLIC_STATUSES, ChallengeStatus
from .models import Challenge

PUBLIC = Q(status__in=PUBLIC_STATUSES)
ANNOUNCE_TOP = 3  # achievements considered for the announcement of a newly published challenge


def documents(qs: Any, taxonomy: Any) -> tuple[list[Any], dict[str, Any]]:
    from kechuang.transfer.choices import Visibility
    from kechuang.transfer.matching import DocMeta

    from .selectors import challenge_document

    docs, meta = [], {}
    for challenge in qs.prefetch_related("fields"):
        doc = challenge_document(challenge, taxonomy)
        docs.append(doc)
        meta[doc.id] = DocMeta("challenge", challenge.pk, Visibility.PUBLIC, challenge.issuer_id)
    return docs, meta


def visible(actor: Any) -> Any:
    from .permissions import challenge_visible_to

    return challenge_visible_to(actor).select_related("issuer")


def announce(doc_id: str) -> int:
    """Tell the owners of the achievements that fit a newly published challenge strongly (the same
    test as strong demand–achievement pairs, among the top three), once per challenge and achievement.
    Only achievements visible beyond operators take part, and never the issuer's own."""
    from kechuang.notifications.services import notification_send
    from kechuang.notifications.text import lazy_text
    from kechuang.transfer import matching, strong
    from kechuang.transfer.models import Achievement
    from kechuang.transfer.notify import listing_people

    _kind, pk = matching.parse_doc_id(doc_id)
    challenge = Challenge.objects.filter(pk=pk, status=ChallengeStatus.PUBLISHED).first()
    if challenge is None:
        return 0
    engine = matching.get_engine()
    if doc_id not in engine:
        return 0
    meta = matching._index.meta

    def allowed(candidate: str) -> bool:
        m = meta.get(candidate)
        return (
            m is not None
            and m.kind == "achievement"
            and m.visibility in strong.SHAREABLE
            and m.organization_id != challenge.issuer_id
        )

    hits = engine.recommend(doc_id, k=ANNOUNCE_TOP, kinds=("achievement",), allowed=allowed)
    strong_pks = [matching.parse_doc_id(h.id)[1] for h in hits if strong.is_strong(h, top=ANNOUNCE_TOP)]
    found = Achievement.objects.in_bulk(strong_pks)  # one query for the (at most three) achievements
    told = 0
    for achievement in (found[pk] for pk in strong_pks if pk in found):
        sent = notification_send(
            recipients=listing_people(achievement),  # its publisher and listing managers, not every expert
            kind="challenges.match",
            title=lazy_text(
                gettext_lazy("新发布的榜单“%(challenge)s”与您的成果“%(achievement)s”高度相关"),
                challenge=challenge.title,
                achievement=achievement.title,
            ),
            body=lazy_text(gettext_lazy("揭榜截止日期：%(date)s。"), date=challenge.deadline.isoformat()),
            url=reverse("challenges:challenge-detail", args=[challenge.code]),
            dedupe_key=f"challenges.match:{challenge.code}:{achievement.pk}",
        )
        told += 1 if sent else 0
    return told


def register() -> None:
    from kechuang.transfer.matching import IndexSource, register_index_source

    register_index_source(
        IndexSource(
            kind=Challenge.KIND,
            label=gettext_lazy("揭榜榜单"),
            model=Challenge,
            public=PUBLIC,
            documents=documents,
            visible=visible,
            announce=announce,
        )
    )
