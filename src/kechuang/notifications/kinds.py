"""Groups of notification kinds, the unit of a user's channel preferences (docs/adr/0015-notification-channels.md).

A notification's ``kind`` is a dotted string set by the module that sends it (``servicedesk.filed``,
``vouchers.order.placed``…). Users choose channels per group, not per kind: there are some fifty kinds
and a person thinks in "urgent service-desk events" and "innovation vouchers", not in step names. A
kind belongs to the first group that names it exactly or by a prefix ending in a dot; anything no group
names falls into "other", so a new kind is never lost, only grouped coarsely until it is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kechuang.accounts.choices import STAFF_ROLES

from .choices import EmailMode


@dataclass(frozen=True)
class KindGroup:
    key: str
    label: Promise
    help: Promise
    kinds: tuple[str, ...]  # exact kinds, or prefixes ending in "."
    email: str = EmailMode.DIGEST  # the default by email
    webhook: bool = False  # the default to the user's work-chat group
    roles: frozenset[str] | None = None  # shown on the settings page only to these roles (None: everyone)

    def matches(self, kind: str) -> bool:
        return any(kind == k or (k.endswith(".") and kind.startswith(k)) for k in self.kinds)


# Urgent service-desk events go at once by email and to the work chat by default (有呼必应); the rest
# wait for the daily digest unless the user says otherwise.
URGENT_SERVICEDESK = ("servicedesk.filed", "servicedesk.due_soon", "servicedesk.escalated")

GROUPS: tuple[KindGroup, ...] = (
    KindGroup(
        "servicedesk.urgent",
        _("诉求紧急事件"),
        _("新诉求、即将超时、超时升级"),
        URGENT_SERVICEDESK,
        email=EmailMode.IMMEDIATE,
        webhook=True,
        roles=STAFF_ROLES,  # only district staff receive these
    ),
    KindGroup(
        "servicedesk",
        _("企业服务"),
        _("诉求答复与留言、办结与评价、专员分配、走访安排"),
        ("servicedesk.",),
    ),
    KindGroup("transfer", _("技术转移"), _("成果与需求审核、意向、对接项目、强匹配"), ("transfer.",)),
    KindGroup(
        "challenges", _("揭榜挂帅"), _("榜单审核、揭榜申请、评审、定榜、里程碑与拨付"), ("challenges.",)
    ),
    KindGroup("vouchers", _("创新券"), _("申领审核、发券、订单、结算与批次、服务机构入驻"), ("vouchers.",)),
)
OTHER = KindGroup("other", _("其他通知"), _("以上未列出的通知"), ())
ALL_GROUPS: tuple[KindGroup, ...] = (*GROUPS, OTHER)
BY_KEY = {group.key: group for group in ALL_GROUPS}


def groups_for(roles: frozenset[str]) -> list[KindGroup]:
    """The groups a user with these roles may receive, for the settings page."""
    return [g for g in ALL_GROUPS if g.roles is None or roles & g.roles]


def group_for(kind: str) -> KindGroup:
    return next((group for group in GROUPS if group.matches(kind)), OTHER)


def choice(channels: dict[str, Any] | None, group: KindGroup) -> tuple[str, bool]:
    """A user's (email mode, work chat on) for one group: their saved choice, else the group's default."""
    saved = (channels or {}).get(group.key)
    if not isinstance(saved, dict):
        return group.email, group.webhook
    email = saved.get("email", group.email)
    if email not in EmailMode.values:
        email = group.email
    return email, bool(saved.get("webhook", group.webhook))
