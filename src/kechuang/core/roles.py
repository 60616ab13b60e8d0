"""The platform's roles and the menu each role sees (ADR 0005, ADR 0019). Every module speaks of roles, so
they live in the kernel; accounts turns them into Django groups and memberships.

Modules add their entries to ``NAVIGATION`` with ``register_navigation`` (url name, label, roles that see
it; an empty role set means everyone, ``None`` means signed-in users) and name the task group they belong
to. The bar shows one entry per group (``NAV_GROUPS``, by task, about seven for any role): a group with one
entry the role may open is a plain link with that entry's label, a group with several is a menu. The group
of the page one is on is highlighted (docs/design.md, navigation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles of docs/design.md §2; each is a Django group of the same name. The system administrator and the
    auditor are separate from the staff roles (separation of duties)."""

    OPERATOR = "operator", _("运营人员")
    COMMISSIONER = "commissioner", _("企业专员")
    LEADER = "leader", _("班子领导")
    INSTITUTE = "institute", _("院所")
    ENTERPRISE = "enterprise", _("企业")
    PROVIDER = "provider", _("服务机构")
    EXPERT = "expert", _("专家")
    SYSADMIN = "sysadmin", _("系统管理员")
    AUDITOR = "auditor", _("审计员")


STAFF_ROLES = frozenset({Role.OPERATOR, Role.COMMISSIONER, Role.LEADER})


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: Any
    roles: frozenset[str] | None  # None: any signed-in user; empty: everyone
    icon: str = ""
    group: str = ""  # a NAV_GROUPS key; "" stands alone on the bar


@dataclass(frozen=True)
class NavGroup:
    key: str
    label: Any


# The bar's task groups, in order. One word per idea: 对接项目 (deals), 推荐匹配 (the engine's matches) and
# 收到的意向 (interests) are entries of 成果转化, not three look-alike words side by side.
NAV_GROUPS: list[NavGroup] = [
    NavGroup("district", _("街区与名录")),
    NavGroup("transfer", _("成果转化")),
    NavGroup("challenges", _("揭榜挂帅")),
    NavGroup("vouchers", _("创新券")),
    NavGroup("service", _("企业服务")),
    NavGroup("spaces", _("产业空间")),
    NavGroup("manage", _("运营管理")),
]


NAVIGATION: list[NavItem] = [
    NavItem("core:home", _("首页"), frozenset()),
    NavItem("directory:district", _("街区概况"), frozenset(), group="district"),
    NavItem("directory:organization-list", _("机构名录"), frozenset(), group="district"),
    NavItem("directory:person-list", _("人才与专家"), None, group="district"),
    NavItem("directory:import-start", _("批量导入"), frozenset({Role.OPERATOR}), group="manage"),
    NavItem("admin:index", _("后台管理"), frozenset({Role.OPERATOR, Role.SYSADMIN}), group="manage"),
]


def register_navigation(*items: NavItem, before: str | None = None) -> None:
    """Modules add their menu entries from AppConfig.ready(); ``before`` names an existing url_name."""
    for item in items:
        if any(existing.url_name == item.url_name for existing in NAVIGATION):
            continue
        index = next((i for i, e in enumerate(NAVIGATION) if e.url_name == before), len(NAVIGATION))
        NAVIGATION.insert(index, item)
    _REVERSED.clear()


def roles_of(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return user.roles  # type: ignore[no-any-return]


def is_staff_role(user: Any) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


_REVERSED: dict[tuple[Any, str], dict[str, str | None]] = {}


def _menu_urls() -> dict[str, str | None]:
    """``reverse(url_name)`` of every menu entry (None when the page is not installed), remembered per URL
    configuration and script prefix: the menu reverses about thirty names on every page
    (docs/adr/0029-page-speed.md). One lookup of the configuration per menu, not per entry."""
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    table = _REVERSED.get(key)
    if table is None:
        table = {}
        for item in NAVIGATION:
            try:
                table[item.url_name] = reverse(item.url_name)
            except NoReverseMatch:
                table[item.url_name] = None
        _REVERSED[key] = table
    return table


def navigation_for(user: Any) -> list[dict[str, Any]]:
    roles = roles_of(user)
    signed_in = bool(getattr(user, "is_authenticated", False))
    urls = _menu_urls()
    items = []
    for item in NAVIGATION:
        if item.roles is None and not signed_in:
            continue
        if item.roles and not (roles & item.roles):
            continue
        url = urls.get(item.url_name)
        if url is None:
            continue
        items.append({"url": url, "label": item.label, "url_name": item.url_name, "group": item.group})
    return items


def _is_within(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def navigation_groups_for(user: Any, path: str) -> list[dict[str, Any]]:
    """The bar for ``user`` on ``path``: entries standing alone, then the task groups in order, each
    ``{"label", "items", "url", "active"}``; ``url`` is set when the group is one plain link. Within a
    group the entry whose address is the longest prefix of ``path`` is the active one."""
    items = navigation_for(user)
    current = max((i["url"] for i in items if _is_within(path, i["url"])), key=len, default=None)
    for item in items:
        item["active"] = item["url"] == current
    known = {group.key for group in NAV_GROUPS}
    bar: list[dict[str, Any]] = [
        {"label": i["label"], "items": [i], "url": i["url"], "active": i["active"], "key": i["url_name"]}
        for i in items
        if i["group"] not in known
    ]
    for group in NAV_GROUPS:
        members = [i for i in items if i["group"] == group.key]
        if not members:
            continue
        single = len(members) == 1
        bar.append(
            {
                "label": members[0]["label"] if single else group.label,
                "items": members,
                "url": members[0]["url"] if single else "",
                "active": any(i["active"] for i in members),
                "key": group.key,
            }
        )
    return bar
