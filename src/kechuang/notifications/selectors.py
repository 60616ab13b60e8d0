from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from .models import Notification

logger = logging.getLogger(__name__)


def notification_visible_to(user: Any) -> QuerySet[Notification]:
    """A user sees only their own notifications."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


_UNREAD_KEY = "kechuang:unread:"


def unread_count(user: Any) -> int:
    """The bell's number on every page, kept in the shared cache per user (docs/adr/0029-page-speed.md):
    every change to a user's notifications through the services forgets it (:func:`unread_changed`), and
    ``INSIGHTS_CACHE_SECONDS`` bounds anything else (0 in the tests: counted every time)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    seconds = int(getattr(settings, "INSIGHTS_CACHE_SECONDS", 60))
    if seconds:
        try:
            kept = cache.get(f"{_UNREAD_KEY}{user.pk}")
        except Exception:
            kept = None
        if kept is not None:
            return int(kept)
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    if seconds:
        try:
            cache.set(f"{_UNREAD_KEY}{user.pk}", count, seconds)
        except Exception as error:
            logger.warning("notifications: the shared cache cannot be written (%s)", error)
    return count


def unread_changed(user_ids: Iterable[int]) -> None:
    """Forget the kept unread counts of these users, now and again once the current transaction commits
    (a count read before the commit and stored after the first forgetting is dropped by the second)."""
    keys = [f"{_UNREAD_KEY}{pk}" for pk in set(user_ids)]
    if not keys:
        return

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception as error:
            logger.warning("notifications: the shared cache cannot be written (%s)", error)

    forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget, robust=True)
