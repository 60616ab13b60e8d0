"""A logging filter that removes secrets and personal data from messages (RELIABILITY C3)."""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (re.compile(r"(?i)(password|passwd|pwd|secret|token|sessionid|csrftoken)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",&;]+"),
     r"\1\2[已隐藏]"),
    (re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)"), r"\1****\2"),
    (re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)"), r"\1********\2"),  # bank account numbers
]


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
