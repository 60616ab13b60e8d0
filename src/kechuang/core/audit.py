"""Writing and verifying the audit chain.

`record()` is what every service calls. The chain is extended under a lock (a PostgreSQL advisory
transaction lock; SQLite's IMMEDIATE transactions already serialise writers) so two concurrent
writers never fork it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from . import figures, request_meta
from .models import AuditEvent, AuditResult

GENESIS = "0" * 64
_LOCK_KEY = 0x6B656368  # "kech"

SENSITIVE_KEYS = {
    "password",
    "password1",
    "password2",
    "token",
    "session",
    "sessionid",
    "phone",
    "bank_account",
}


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in detail.items():
        if key.lower() in SENSITIVE_KEYS:
            clean[key] = "[已隐藏]"
        elif isinstance(value, dict):
            clean[key] = _scrub(value)
        else:
            clean[key] = value
    return clean


def record(
    action: str,
    *,
    actor: Any = None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    result: str = AuditResult.OK,
    detail: dict[str, Any] | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one audit event. Runs in the caller's transaction (or its own)."""
    meta = request_meta.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            created_at=timezone.now(),
            actor_id=actor.pk if authenticated else None,
            actor_username=(actor.get_username() if authenticated else username)[:150],
            ip=meta.ip if meta else "",
            request_id=meta.request_id if meta else "",
            action=action,
            object_type=object_type[:64],
            object_id=str(object_id)[:64],
            object_repr=object_repr[:200],
            result=result,
            detail=_scrub(detail or {}),
            prev_hash=last or GENESIS,
        )
        event.hash = event.compute_hash()
        event.save()
        if _changes_data(action, result):
            # every write goes through a service that records it: retire the cached figures of every
            # process once the transaction commits (core.figures; docs/adr/0016-shared-state-and-backups.md)
            figures.changed_on_commit(_topic(action, object_type))
    return event


# Actions that read or sign in without changing the platform's data.
_READ_ACTION_PREFIXES = ("auth.",)
_READ_ACTION_SUFFIXES = (".download",)
_READ_ACTIONS = frozenset({"insights.export"})


def _changes_data(action: str, result: str) -> bool:
    return not (
        result != AuditResult.OK
        or action in _READ_ACTIONS
        or action.startswith(_READ_ACTION_PREFIXES)
        or action.endswith(_READ_ACTION_SUFFIXES)
    )


def _topic(action: str, object_type: str) -> str:
    """The module a write belongs to: the app label of its object, else the first word of its action."""
    return (object_type if "." in object_type else action).split(".", 1)[0]


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(batch_size: int = 2000) -> Iterator[ChainProblem]:
    """Yield every break in the chain: a row whose content no longer matches its hash, or whose
    prev_hash is not the previous row's hash (a deleted or inserted row)."""
    previous = GENESIS
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not rows:
            return
        for event in rows:
            if event.prev_hash != previous:
                yield ChainProblem(event.id, "链接断开：上一条记录的哈希不符（记录被删除、插入或改动）")
            if event.compute_hash() != event.hash:
                yield ChainProblem(event.id, "内容与哈希不符（记录被改动）")
            previous = event.hash
            last_id = event.id
