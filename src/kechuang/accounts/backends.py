"""Authentication backend: Django's ModelBackend, except that demo accounts (whose password is
printed by ``kechuang demo``) cannot sign in unless the site runs in demo mode (docs/reliability.md A4).

A database prepared with ``kechuang demo`` and later served with demo mode off therefore has no
account with a known password that works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

UserModel = get_user_model()


def demo_account_refused(user: Any) -> bool:
    return bool(getattr(user, "is_demo", False)) and not settings.DEMO_MODE


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user: Any) -> bool:
        if demo_account_refused(user):
            return False
        return super().user_can_authenticate(user)

    def get_user(self, user_id: Any) -> Any:
        """The session's user with roles and memberships, from the shared cache (accounts.principal)."""
        from .principal import load_principal

        user = load_principal(UserModel, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def lockout_username(request: Any, credentials: dict[str, Any] | None = None) -> str | None:
    """The username axes records: what was typed, cut to the longest possible username and without NUL
    characters, so an absurd entry is a failed sign-in and not a database error (PostgreSQL refuses a
    value longer than the column, or with a NUL)."""
    value = None
    if credentials:
        value = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    if value is None and request is not None:
        value = request.POST.get(settings.AXES_USERNAME_FORM_FIELD) if hasattr(request, "POST") else None
    if value is None:
        return None
    return str(value).replace("\x00", "")[:150]
