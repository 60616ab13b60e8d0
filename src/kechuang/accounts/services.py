"""Writes on users and roles; each records an audit event (docs/reliability.md C1)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.core import audit
from kechuang.core.actors import require

from .choices import Role
from .models import Membership, User
from .setup import ADMIN_SITE_ROLES

# Roles only a system administrator (or a superuser) may hand out: separation of duties (等保 权限分离).
SYSTEM_ROLES = frozenset({Role.SYSADMIN, Role.AUDITOR})


def _check_may_manage_accounts(actor: Any) -> None:
    require(
        actor is None or actor.is_superuser or actor.has_role(Role.SYSADMIN, Role.OPERATOR),
        _("只有系统管理员或运营人员可以管理账号。"),
    )


def _check_may_change_role(actor: Any, user: User, role: str) -> None:
    """Who may change whose roles: never one's own; system roles only by a system administrator."""
    _check_may_manage_accounts(actor)
    if actor is None or actor.is_superuser:
        return
    require(actor.pk != user.pk, _("不能修改自己的角色。"))
    require(
        role not in SYSTEM_ROLES or actor.has_role(Role.SYSADMIN),
        _("只有系统管理员可以授予或撤销系统管理员、审计员角色。"),
    )


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str | None,
    display_name: str = "",
    phone: str = "",
    roles: list[str] | tuple[str, ...] = (),
    is_demo: bool = False,
) -> User:
    _check_may_manage_accounts(actor)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名已存在。")})
    user = User(username=username, display_name=display_name, phone=phone, is_demo=is_demo)
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.save()
    for role in roles:
        role_grant(actor=actor, user=user, role=role)
    audit.record("user.create", actor=actor, obj=user, detail={"roles": list(roles)})
    return user


@transaction.atomic
def role_grant(*, actor: Any, user: User, role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色：%(role)s") % {"role": role}})
    _check_may_change_role(actor, user, role)
    group, _created = Group.objects.get_or_create(name=role)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        user.__dict__.pop("_roles_cache", None)
        if role in ADMIN_SITE_ROLES and not user.is_staff:
            user.is_staff = True  # Django admin entry; what it may do there is the group's permissions
            user.save(update_fields=["is_staff"])
        audit.record("role.grant", actor=actor, obj=user, detail={"role": role})


@transaction.atomic
def role_revoke(*, actor: Any, user: User, role: str) -> None:
    _check_may_change_role(actor, user, role)
    group = Group.objects.filter(name=role).first()
    if group is not None and user.groups.filter(pk=group.pk).exists():
        user.groups.remove(group)
        user.__dict__.pop("_roles_cache", None)
        if user.is_staff and not user.is_superuser and not (user.roles & ADMIN_SITE_ROLES):
            user.is_staff = False  # the admin site door closes with the last role that needed it
            user.save(update_fields=["is_staff"])
        audit.record("role.revoke", actor=actor, obj=user, detail={"role": role})


@transaction.atomic
def membership_add(
    *,
    actor: Any,
    user: User,
    organization: Any,
    position: str = "",
    is_admin: bool = False,
    is_default: bool = False,
) -> Membership:
    _check_may_manage_accounts(actor)
    membership, created = Membership.objects.get_or_create(
        user=user,
        organization=organization,
        defaults={"position": position, "is_admin": is_admin, "is_default": is_default},
    )
    if created:
        audit.record(
            "membership.add",
            actor=actor,
            obj=membership,
            detail={"organization": organization.pk, "is_admin": is_admin},
        )
    return membership


def password_change(*, actor: Any, user: User, new_password: str) -> None:
    if actor.pk != user.pk:
        _check_may_manage_accounts(actor)
    validate_password(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.record("user.password_change", actor=actor, obj=user)
