"""A logging filter that removes secrets and personal data from messages (docs/reliability.md C3).

It cleans the message, and also the traceback and stack text a handler would print, because an
exception's message can carry what the code was handling (a phone number, a password field).
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    (
        re.compile(
            r"(?i)(password|passwd|pwd|secret|token|sessionid|csrftoken|authorization)"
            r"(['\"]?\s*[:=]\s*['\"]?)(?:token\s+|bearer\s+)?[^\s'\",&;]+"
        ),
        r"\1\2[已隐藏]",
    ),
    # Mainland mobile numbers, also written 138-1234-5678, 138 1234 5678 or +86 13812345678.
    (re.compile(r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)"), r"\1****\2"),
    (re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)"), r"\1********\2"),  # bank account numbers
]
_TRACEBACK = logging.Formatter()


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters print exc_text when it is set; format the traceback once, cleaned.
            record.exc_text = redact(_TRACEBACK.formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
