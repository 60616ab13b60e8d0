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


# Personal data that free text may carry (a phone number typed into a request, a contact's email):
# masked in everything the platform sends out (docs/design.md §4: no outbound call that carries
# personal data; docs/adr/0015-notification-channels.md).
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)\(?(0\d{2,3})\)?[\s-]?\d{3,4}[\s-]?(\d{4})(?!\d)")
_LONG_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")  # bank accounts
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")


def mask_personal_text(text: str) -> str:
    """Free text with identity-card numbers, mobile and landline numbers, long account numbers and
    email addresses masked (110101********1234, 138****5678, 021-****5678, a***@example.com)."""
    if not text:
        return ""
    text = _ID_CARD.sub(r"\1********\2", text)
    text = _MOBILE.sub(r"\1****\2", text)
    text = _LANDLINE.sub(r"\1-****\2", text)
    text = _LONG_NUMBER.sub(r"\1********\2", text)
    return _EMAIL.sub(r"\1***@\2", text)
