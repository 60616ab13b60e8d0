"""Password policy (docs/reliability.md A1): at least 12 characters, or at least 8 with three character
classes; common passwords and passwords like the username are refused by Django's validators, and
by ``CommonPatternValidator`` when a common word is only dressed up (``Password@123``, ``P@ssw0rd!``)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
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


# Words that guessers try first here, beyond Django's list of 20,000 common passwords.
LOCAL_COMMON = frozenset(
    {
        "kechuang",
        "juyuan",
        "jiading",
        "shanghai",
        "keji",
        "kejiju",
        "zhengfu",
        "woaini",
        "mima",
        "admin",
        "administrator",
        "root",
        "system",
        "demo",
        "test",
        "guest",
        "welcome",
        "qwer",
        "qwert",
        "qwerty",
        "asdf",
        "zxcv",
        "qaz",
        "wsx",
        "abcd",
        "abc",
        "aaaa",
    }
)
_LEET = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t", "+": "t"}
)
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_NOT_LETTERS = re.compile(r"[^a-z]")


class CommonPatternValidator:
    """Refuses a common password dressed up with capitals, digits, symbols or leet-speak:
    ``Password@123``, ``P@ssw0rd!``, ``Admin_2026``, ``Woaini1314``."""

    def __init__(self) -> None:
        self.common = CommonPasswordValidator().passwords | LOCAL_COMMON

    def candidates(self, password: str) -> set[str]:
        lowered = password.lower()
        core = _EDGES.sub("", lowered)  # "Password@123" -> "password", "P@ssw0rd!" -> "p@ssw0rd"
        decoded = core.translate(_LEET)  # "p@ssw0rd" -> "password"
        found = {lowered, core, decoded, _NOT_LETTERS.sub("", core), _NOT_LETTERS.sub("", decoded)}
        return {c for c in found if len(c) >= 3}

    def validate(self, password: str, user: Any = None) -> None:
        if self.candidates(password) & self.common:
            raise ValidationError(
                _("密码过于常见：常用词或常见密码加上大小写、数字或符号仍然容易被猜到，请换一个。"),
                code="password_too_common",
            )

    def get_help_text(self) -> str:
        return _("不能是常见密码，也不能是常用词加数字或符号。")
