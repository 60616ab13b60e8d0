"""Demo accounts: one user per role, each acting for a fitting organization (docs/reliability.md A4).

They exist only in demo mode: ``ensure_demo_accounts`` refuses to run unless ``settings.DEMO_MODE`` is
on, so a fresh production install never has an account with a known password. Which organization each
account acts for comes from the district's ``demo.yaml`` (``accounts:``): a profile organization by its
key, or a demo organization picked by kind (and park or industry). It makes sure those exist first: the
district profile is loaded (idempotent), and when there is no demo enterprise or provider yet, the
directory demo data is generated at the ``tiny`` scale with the default seed (a later ``demo-data`` run
with that seed adds to it without duplicates). Running it again updates the accounts in place (display
name, role, password, membership) and creates nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from kechuang.accounts import services
from kechuang.accounts.choices import Role
from kechuang.accounts.models import Membership, User
from kechuang.accounts.principal import retire_principals
from kechuang.accounts.setup import ADMIN_SITE_ROLES
from kechuang.core import audit

from ..choices import OrganizationKind, Title
from ..models import Organization, Person
from ..profiles import load_profile
from ..profiles.apply import apply_profile
from .generator import DEFAULT_SEED, generate_directory, load_demo_config


class DemoModeRequired(PermissionError):
    """Demo accounts were asked for outside demo mode."""


class DemoDataMissing(LookupError):
    """The organization a demo account should act for does not exist yet."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    kind: str  # the kind of organization the account acts for when demo.yaml says nothing
    position: str
    is_org_admin: bool = False


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("operator", Role.OPERATOR, "张雯", OrganizationKind.GOVERNMENT, "运营主管"),
    DemoAccount("commissioner", Role.COMMISSIONER, "陈浩然", OrganizationKind.GOVERNMENT, "企业服务专员"),
    DemoAccount("leader", Role.LEADER, "王志明", OrganizationKind.GOVERNMENT, "分管领导"),
    DemoAccount("institute", Role.INSTITUTE, "刘思远", OrganizationKind.INSTITUTE, "成果转化主管", True),
    DemoAccount("enterprise", Role.ENTERPRISE, "赵一凡", OrganizationKind.ENTERPRISE, "总经理", True),
    DemoAccount("provider", Role.PROVIDER, "孙婷", OrganizationKind.PROVIDER, "合伙人", True),
    DemoAccount("expert", Role.EXPERT, "李卫东", OrganizationKind.INSTITUTE, "研究员"),
    DemoAccount("sysadmin", Role.SYSADMIN, "黄俊", OrganizationKind.GOVERNMENT, "系统管理员"),
    DemoAccount("auditor", Role.AUDITOR, "吴敏", OrganizationKind.GOVERNMENT, "安全审计员"),
)


def _profile_organization(profile: dict[str, Any], key: str) -> Organization:
    item = next((i for i in profile.get("organizations", []) if str(i.get("key", "")) == key), None)
    if item is None:
        raise DemoDataMissing(f"街区配置中没有 key 为 {key} 的机构，请检查 demo.yaml 的 accounts 设置。")
    organization = Organization.objects.filter(
        kind=item.get("kind", OrganizationKind.INSTITUTE), name=item["name"]
    ).first()
    if organization is None:
        raise DemoDataMissing(f"机构“{item['name']}”尚未载入，请先运行 kechuang load-district。")
    return organization


def _appealing(organization: Organization) -> tuple[int, str]:
    """Sort key: an enterprise with credentials and a research team makes the better demo."""
    score = 0
    score += 2 if "high_tech" in (organization.qualifications or []) else 0
    score += 1 if organization.size_band in ("small", "medium") else 0
    score += 1 if organization.researchers >= 2 else 0
    return (-score, organization.uscc or organization.name)


def _pick_organization(
    user: User | None, spec: dict[str, Any], profile: dict[str, Any], account: DemoAccount
) -> Organization:
    if spec.get("organization"):
        return _profile_organization(profile, str(spec["organization"]))
    kind = spec.get("kind") or account.kind
    profile_names = [i["name"] for i in profile.get("organizations", []) if i.get("kind") == kind]
    if kind in (OrganizationKind.GOVERNMENT, OrganizationKind.INSTITUTE) and profile_names:
        first = next(i for i in profile["organizations"] if i.get("kind") == kind)
        return (
            _profile_organization(profile, str(first.get("key", "")))
            if first.get("key")
            else Organization.objects.get(kind=kind, name=first["name"])
        )
    if user is not None:  # keep the organization chosen on an earlier run
        current = (
            Membership.objects.filter(user=user, organization__kind=kind)
            .select_related("organization")
            .order_by("-is_default", "id")
            .first()
        )
        if current is not None:
            return current.organization
    base = Organization.objects.filter(kind=kind).exclude(name__in=profile_names)
    narrowed = base
    if spec.get("park"):
        narrowed = narrowed.filter(park__code=spec["park"])
    if spec.get("industry"):
        narrowed = narrowed.filter(industry__code=str(spec["industry"]))
    for queryset in (narrowed, base):
        candidates = sorted(queryset, key=_appealing)
        if candidates:
            return candidates[0]
    raise DemoDataMissing(f"还没有可用的{OrganizationKind(kind).label}，请先运行 kechuang demo-data。")


def _ensure_user(account: DemoAccount, password: str) -> User:
    user = User.objects.filter(username=account.username).first()
    if user is None:
        return services.user_create(
            actor=None,
            username=account.username,
            password=password,
            display_name=account.display_name,
            roles=[account.role],
            is_demo=True,
        )
    changed = []
    for attr, value in (
        ("display_name", account.display_name),
        ("is_demo", True),
        ("is_active", True),
        ("is_staff", account.role in ADMIN_SITE_ROLES),
    ):
        if getattr(user, attr) != value:
            setattr(user, attr, value)
            changed.append(attr)
    if changed:
        user.save(update_fields=changed)
    if not user.check_password(password):
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record("user.password_change", obj=user, detail={"demo": True})
    for role in sorted(user.roles - {account.role}):  # a demo account holds exactly its own role
        services.role_revoke(actor=None, user=user, role=role)
    services.role_grant(actor=None, user=user, role=account.role)
    return user


def _ensure_membership(user: User, organization: Organization, account: DemoAccount, position: str) -> None:
    services.membership_add(
        actor=None,
        user=user,
        organization=organization,
        position=position,
        is_admin=account.is_org_admin,
        is_default=True,
    )
    Membership.objects.filter(user=user, is_default=True).exclude(organization=organization).update(
        is_default=False
    )
    Membership.objects.filter(user=user, organization=organization, is_default=False).update(is_default=True)
    retire_principals()  # the updates above send no signal (accounts.principal)


def _ensure_expert_person(user: User, organization: Organization, position: str) -> Person:
    person = Person.objects.filter(user=user).first()
    if person is None:
        person, _created = Person.objects.get_or_create(
            organization=organization,
            name=user.display_name,
            phone="",
            defaults={"position": position, "title": Title.SENIOR, "is_expert": True, "is_researcher": True},
        )
        fields = list(organization.fields.order_by("code")[:2])
        names = "、".join(f.name for f in fields)
        person.user = user
        person.is_expert = True
        if not person.expertise and names:
            person.expertise = f"长期从事{names}方向研究与成果转化"
        if not person.bio:
            person.bio = (
                f"{user.display_name}，现任{organization.short_name or organization.name}{position}，"
                f"入库评审专家。{person.expertise or ''}。"
            ).replace("。。", "。")
        person.save()
        if fields and not person.fields.exists():
            person.fields.set(fields)
    return person


def _ensure_prerequisites(district: str, profile: dict[str, Any], config: dict[str, Any]) -> None:
    apply_profile(district, profile=profile)
    named = [item["name"] for item in profile.get("organizations", [])]
    kinds = {
        str((config.get(a.username) or {}).get("kind") or a.kind)
        for a in DEMO_ACCOUNTS
        if not (config.get(a.username) or {}).get("organization")
    }
    kinds -= {OrganizationKind.GOVERNMENT, OrganizationKind.INSTITUTE}
    if any(not Organization.objects.filter(kind=k).exclude(name__in=named).exists() for k in sorted(kinds)):
        generate_directory(district=district, scale="tiny", seed=DEFAULT_SEED, profile=profile)


def ensure_demo_accounts(password: str) -> list[dict[str, str]]:
    """Create or update the demo accounts; returns username, role, display name and organization of each.

    Raises ``DemoModeRequired`` unless ``settings.DEMO_MODE`` is on, ``ValidationError`` for a password
    the policy refuses, and ``DemoDataMissing`` when the profile or demo data is not loaded yet.
    """
    if not getattr(settings, "DEMO_MODE", False):
        raise DemoModeRequired(
            "未开启演示模式（KECHUANG_DEMO=1），不创建演示账号：正式环境不得存在已知密码的账号。"
        )
    validate_password(password)
    district = settings.DISTRICT
    profile = load_profile(district)
    config = load_demo_config(district).get("accounts") or {}
    result = []
    with transaction.atomic():
        _ensure_prerequisites(district, profile, config)
        for account in DEMO_ACCOUNTS:
            spec = dict(config.get(account.username) or {})
            existing = User.objects.filter(username=account.username).first()
            organization = _pick_organization(existing, spec, profile, account)
            user = _ensure_user(account, password)
            position = str(spec.get("position") or account.position)
            _ensure_membership(user, organization, account, position)
            if account.role == Role.EXPERT:
                _ensure_expert_person(user, organization, position)
            result.append(
                {
                    "username": account.username,
                    "role": str(account.role),
                    "role_label": str(Role(account.role).label),
                    "display_name": account.display_name,
                    "organization": organization.name,
                }
            )
    return result
