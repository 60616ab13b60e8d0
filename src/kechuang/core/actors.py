"""Who calls a service, and refusing them (ADR 0019).

Services take ``actor``: a signed-in user, an anonymous visitor, or ``None`` for the system itself
(scheduled jobs, the demo generators, migrations), which checks nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

    User: TypeAlias = AbstractUser
else:
    User = Any

#: A service's caller: a user, an anonymous visitor, or ``None`` for the system.
Actor: TypeAlias = "User | AnonymousUser | None"


def is_system(actor: Actor) -> bool:
    """Calls without a user (jobs, demo data, migrations) are the system's."""
    return actor is None


def user_of(actor: Actor) -> Any:
    """The signed-in user behind a call, for ``*_by`` fields; ``None`` for the system or an anonymous visitor.
    (``Any``: the project's user model lives in accounts, which core does not import.)"""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def deny(message: Any) -> PermissionDenied:
    """The refusal to raise: ``raise deny(_("…"))``. Views answer 403 with the message, the API 403."""
    return PermissionDenied(message)


def require(allowed: bool, message: Any) -> None:
    """Refuse with ``message`` unless ``allowed``."""
    if not allowed:
        raise deny(message)


def refuse(message: Any) -> NoReturn:
    """Raise the refusal at once (for expressions that need a function)."""
    raise deny(message)
