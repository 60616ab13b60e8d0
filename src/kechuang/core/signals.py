"""Audit receivers for authentication events and admin-site changes (docs/reliability.md C1). No domain logic
lives here."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import audit
from .models import AuditResult


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record("auth.login", actor=user, obj=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    exists = get_user_model().objects.filter(username=username).exists()
    audit.record(
        "auth.login",
        username=username,
        result=AuditResult.FAILED,
        detail={"account_exists": exists},
    )


@receiver(user_locked_out)
def _locked_out(
    sender: Any, request: Any, username: str | None = None, ip_address: str | None = None, **kwargs: Any
) -> None:
    audit.record(
        "auth.lockout",
        username=(username or "")[:150],
        result=AuditResult.DENIED,
        detail={"ip": ip_address or ""},
    )


ADMIN_ACTIONS = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}


@receiver(post_save, sender=LogEntry)
def _admin_logged(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every change made in the Django admin is audited too: it bypasses the services, so without this
    an operator's edit of an organization or a system administrator's edit of an account would
    leave only Django's own (editable) admin log. Bulk deletions are switched off in ``apps.py`` so
    each admin deletion passes here."""
    if not created:
        return
    model = (
        instance.content_type.model_class() if instance.content_type_id and instance.content_type else None
    )
    audit.record(
        ADMIN_ACTIONS.get(instance.action_flag, "admin.other"),
        actor=instance.user,
        object_type=model._meta.label_lower if model is not None else "",
        object_id=instance.object_id or "",
        object_repr=instance.object_repr,
        detail={"change": instance.get_change_message()[:500]},
    )
