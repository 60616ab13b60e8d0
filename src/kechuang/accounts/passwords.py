"""Password policy (RELIABILITY A1): at least 12 characters, or at least 8 with three character
classes; common passwords and passwords like the username are refused by Django's validators."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    classes = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
    return sum(1 for c in classes if re.search(c, password))


class StrengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if len(password) >= 12:
            return
        if len(password) >= 8 and character_classes(password) >= 3:
            return
        raise ValidationError(
            _("密码太弱：至少 12 个字符，或至少 8 个字符且包含大写字母、小写字母、数字、符号中的三类。"),
            code="password_too_weak",
        )

    def get_help_text(self) -> str:
        return _("至少 12 个字符，或至少 8 个字符且包含大写字母、小写字母、数字、符号中的三类。")


class NotUsernameValidator:
    """Refuses a password that contains the username or is the username reversed."""

    def validate(self, password: str, user: Any = None) -> None:
        username = (getattr(user, "username", "") or "").lower()
        if len(username) >= 3:
            lowered = password.lower()
            if username in lowered or username[::-1] in lowered:
                raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("密码不能包含用户名。")
