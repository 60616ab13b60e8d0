"""Masking of personal data for roles that do not need it (docs/reliability.md D1)."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D")


def mask_phone(phone: str | None) -> str:
    """138****1234 for a mobile number; for other numbers keep the first 3 and last 4 digits."""
    if not phone:
        return ""
    digits = _DIGITS.sub("", phone)
    for country in ("0086", "86"):  # +86 138…, 0086 138…: mask the national number
        if digits.startswith(country) and len(digits) == len(country) + 11:
            digits = digits[len(country) :]
            break
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:2]}***{digits[-2:]}"
    return "****"
