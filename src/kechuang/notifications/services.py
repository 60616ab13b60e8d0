"""Writes on notifications: sending (idempotent with a dedupe key) and marking as read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from kechuang.core import audit

from .models import Notification


def organization_members(*organization_ids: int | None) -> Any:
    """Active users acting for any of these organizations (the usual recipients of a module's news)."""
    from django.contrib.auth import get_user_model

    ids = [i for i in organization_ids if i]
    return get_user_model().objects.filter(memberships__organization_id__in=ids, is_active=True).distinct()


def role_holders(role: str) -> Any:
    """Active users holding a role (a group), e.g. every operator."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=role, is_active=True).distinct()


def notification_send(
    *, recipients: Iterable[Any], kind: str, title: str, body: str = "", url: str = "", dedupe_key: str = ""
) -> list[Notification]:
    """Send one notification to each recipient; with a dedupe key, a recipient gets it at most once.

    Two queries whatever the number of recipients: who already has this key, then one insert that the
    database lets skip a row a concurrent sender has just written (the partial UNIQUE on recipient and
    key). Returns the notifications written, less any such concurrent duplicate.
    """
    users: dict[int, Any] = {}
    for user in recipients:
        if user is None or user.pk in users or not getattr(user, "is_active", True):
            continue
        users[user.pk] = user
    if dedupe_key and users:
        have = set(
            Notification.objects.filter(
                recipient_id__in=list(users), dedupe_key=dedupe_key[:120]
            ).values_list("recipient_id", flat=True)
        )
        users = {pk: u for pk, u in users.items() if pk not in have}
    if not users:
        return []
    rows = [
        Notification(
            recipient=user,
            kind=kind[:40],
            title=title[:200],
            body=body[:2000],
            url=url[:300],
            dedupe_key=dedupe_key[:120],
        )
        for user in users.values()
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
    return rows


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    if notification.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        audit.record(
            "notification.read_all",
            actor=actor,
            object_type="notifications.notification",
            detail={"count": count},
        )
    return count
