"""Who may change what in notifications: each user their own settings; operators the work-chat robots."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kechuang.accounts.choices import STAFF_ROLES, Role
from kechuang.core.predicates import add_perm, predicate


@predicate
def can_manage_webhooks(user: Any) -> bool:
    """Operators connect work-chat robots and say who is in each group (docs/adr/0015-notification-channels.md)."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.OPERATOR)


def webhook_member_candidates() -> QuerySet[Any]:
    """Who may be in a work-chat group: active district staff (the robots are the district's own)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[str(r) for r in STAFF_ROLES])
        .distinct()
        .order_by("username")
    )


add_perm("notifications.manage_webhooks", can_manage_webhooks)
