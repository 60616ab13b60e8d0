"""Who hears about what in the transfer platform (in-platform notifications, in the caller's transaction)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.choices import Role
from kechuang.notifications.services import (
    notification_send,
    organization_desk,
    organization_members,
    role_holders,
)
from kechuang.notifications.text import lazy_text

from .choices import DealStage
from .models import Achievement, Deal, Demand, Interest


def _operators() -> Any:
    return role_holders(Role.OPERATOR)


def _url(listing: Achievement | Demand) -> str:
    name = "transfer:achievement-detail" if isinstance(listing, Achievement) else "transfer:demand-detail"
    return reverse(name, args=[listing.code])


def _what(listing: Achievement | Demand) -> str:
    return _("科技成果") if isinstance(listing, Achievement) else _("技术需求")


def listing_submitted(listing: Achievement | Demand) -> None:
    notification_send(
        recipients=_operators(),
        kind="transfer.review",
        title=lazy_text(_("待审核%(what)s：%(title)s"), what=_what(listing), title=listing.title),
        url=reverse("transfer:review-queue"),
    )


def listing_reviewed(listing: Achievement | Demand, *, approved: bool, note: str) -> None:
    if approved:
        title = lazy_text(
            _("您的%(what)s“%(title)s”已通过审核并发布"), what=_what(listing), title=listing.title
        )
    else:
        title = lazy_text(_("您的%(what)s“%(title)s”被退回修改"), what=_what(listing), title=listing.title)
    notification_send(
        recipients=listing_people(listing),
        kind="transfer.reviewed",
        title=title,
        body=note or "",
        url=_url(listing),
    )


def interest_expressed(interest: Interest) -> None:
    listing = interest.listing
    notification_send(
        recipients=listing_people(listing),
        kind="transfer.interest",
        title=lazy_text(
            _("%(org)s 对“%(title)s”表达了意向"), org=interest.organization.name, title=listing.title
        ),
        body=interest.message[:200],
        url=reverse("transfer:interest-inbox"),
    )


def interest_answered(interest: Interest) -> None:
    listing = interest.listing
    if interest.status == "accepted":
        title = lazy_text(_("“%(title)s”的发布方接受了您的意向，联系方式已开放"), title=listing.title)
    else:
        title = lazy_text(_("“%(title)s”的发布方婉拒了您的意向"), title=listing.title)
    notification_send(
        recipients=organization_desk(interest.organization_id, people=[interest.created_by_id]),
        kind="transfer.interest_answer",
        title=title,
        body=interest.response_note,
        url=_url(listing),
    )


def deal_moved(deal: Deal, source: str) -> None:
    notification_send(
        recipients=organization_desk(deal.supplier_id, deal.buyer_id),
        kind="transfer.deal",
        title=lazy_text(
            _("对接项目“%(title)s”进入“%(stage)s”阶段"), title=deal.title, stage=DealStage(deal.stage).label
        ),
        url=reverse("transfer:deal-detail", args=[deal.code]),
    )


# The roles that publish and answer for an organization's listings. An institute's experts and
# researchers are members of it too, and must not hear of every match of every listing of it.
LISTING_ROLES = (Role.INSTITUTE, Role.ENTERPRISE)


def listing_people(listing: Achievement | Demand) -> Any:
    """Who hears about a listing: whoever published it, and the members of its organization who manage
    listings (the institute's or enterprise's accounts), not every member (issue 14 item 8)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    managers = organization_members(listing.organization_id).filter(groups__name__in=LISTING_ROLES)
    publisher = Q(pk=listing.created_by_id, is_active=True) if listing.created_by_id else Q(pk__in=[])
    return get_user_model().objects.filter(Q(pk__in=managers.values("pk")) | publisher).distinct()


def strong_match(demand: Demand, achievement: Achievement, score: float) -> None:
    """Both owners hear once per pair (the dedupe key makes repeats silent)."""
    key = f"match:{demand.pk}:{achievement.pk}"
    notification_send(
        recipients=listing_people(demand),
        kind="transfer.match",
        title=lazy_text(_("发现与您的需求“%(d)s”高度匹配的成果：%(a)s"), d=demand.title, a=achievement.title),
        url=_url(achievement),
        dedupe_key=key,
    )
    notification_send(
        recipients=listing_people(achievement),
        kind="transfer.match",
        title=lazy_text(_("您的成果“%(a)s”与企业需求“%(d)s”高度匹配"), a=achievement.title, d=demand.title),
        url=_url(demand),
        dedupe_key=key,
    )
