"""Role groups and their model permissions, made idempotently after every migrate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission

from .choices import Role

# Model permissions each role gets in Django admin (object-level rules live in each app's permissions.py).
ADMIN_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: [
        "directory.view_organization",
        "directory.add_organization",
        "directory.change_organization",
        "directory.view_person",
        "directory.add_person",
        "directory.change_person",
        "directory.view_technologyfield",
        "directory.add_technologyfield",
        "directory.change_technologyfield",
        "directory.view_industry",
        "directory.view_block",
        "directory.change_block",
        "directory.view_park",
        "directory.change_park",
        "directory.view_line",
        "directory.change_line",
        "directory.view_building",
        "directory.add_building",
        "directory.change_building",
    ],
    Role.SYSADMIN: [
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "accounts.view_membership",
        "accounts.add_membership",
        "accounts.change_membership",
    ],
    Role.AUDITOR: ["core.view_auditevent"],
}
ADMIN_SITE_ROLES = frozenset({Role.OPERATOR, Role.SYSADMIN, Role.AUDITOR})


def ensure_role_groups(**kwargs: Any) -> None:
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = ADMIN_PERMISSIONS.get(role, [])
        if not wanted:
            continue
        perms = []
        for label in wanted:
            app_label, codename = label.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.add(*perms)
