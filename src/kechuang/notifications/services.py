"""Writes on notifications: sending (idempotent with a dedupe key) and marking as read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
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
    """Send one notification to each recipient; with a dedupe key, a recipient gets it at most once."""
    sent = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.pk in seen or not getattr(user, "is_active", True):
            continue
        seen.add(user.pk)
        if dedupe_key and Notification.objects.filter(recipient=user, dedupe_key=dedupe_key).exists():
            continue
        try:
            with transaction.atomic():
                sent.append(
                    Notification.objects.create(
                        recipient=user,
                        kind=kind[:40],
                        title=title[:200],
                        body=body[:2000],
                        url=url[:300],
                        dedupe_key=dedupe_key[:120],
                    )
                )
        except IntegrityError:  # a concurrent sender won; the recipient has it once
            continue
    return sent


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
