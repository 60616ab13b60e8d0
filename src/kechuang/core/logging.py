"""The platform's log lines: secrets and personal data removed, request id and user id attached, in
plain text or JSON (docs/reliability.md C3, docs/adr/0021-observability.md).

:class:`RedactFilter` cleans the message, and also the traceback and stack text a handler would print,
because an exception's message can carry what the code was handling (a phone number, a password field).
:class:`RequestContextFilter` adds the current request's id and the signed-in user's id (a number,
never the name or the phone) to every record. ``LOG_FORMAT`` chooses :class:`PlainFormatter` (one line
of text, the default) or :class:`JsonFormatter` (one JSON object per line, for log shippers).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from django.utils.functional import LazyObject, empty

from . import request_meta

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


# --- request context and formats (docs/adr/0021-observability.md) ------------------------------------


def user_id_of(request: Any, *, resolve: bool = False) -> str:
    """The signed-in user's id on ``request``, or "" (anonymous, no request, not known yet).

    Without ``resolve`` the user is named only when something already asked who it is: a log call
    must not be what loads the session from the database.
    """
    if request is None:
        return ""
    user = request.__dict__.get("user")
    if user is None:
        return ""
    if isinstance(user, LazyObject) and user._wrapped is empty and not resolve:
        return ""
    try:
        if getattr(user, "is_authenticated", False):
            return str(user.pk)
    except Exception:  # the session store is down: the log line must still be written
        return ""
    return ""


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``user_id`` (empty outside a request) and ``context`` (the two as text
    for the plain format) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        meta = request_meta.current()
        request_id = getattr(record, "request_id", None)
        if request_id is None:  # an ``extra=`` value wins
            request_id = meta.request_id if meta else ""
        user_id = getattr(record, "user_id", None)
        if user_id is None:
            user_id = user_id_of(meta.request) if meta else ""
        parts = [f"rid={request_id}"] if request_id else []
        if user_id:
            parts.append(f"uid={user_id}")
        record.__dict__.update(
            request_id=request_id, user_id=user_id, context=f" [{' '.join(parts)}]" if parts else ""
        )
        return True


class PlainFormatter(logging.Formatter):
    """``2026-12-05 09:30:00,123 INFO kechuang.request [rid=3f2a… uid=42] GET /service/ 200 35 ms``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "context"):  # a handler without RequestContextFilter
            record.context = ""
        return super().format(record)


# Fields a record may carry (``extra=``) that the JSON line keeps; the request line sets them.
JSON_EXTRA_FIELDS = ("method", "path", "view", "status", "duration_ms", "job", "task")


def _number(value: Any) -> Any:
    if not value:
        return None
    return int(value) if isinstance(value, str) and value.isdigit() else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id``, ``user_id`` (null outside a request or when nobody is signed in), ``pid``, the
    request line's ``method``, ``path``, ``view``, ``status``, ``duration_ms``, and ``exception`` (the
    traceback). Text fields are redacted again here, so a field set by ``extra=`` is cleaned too."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "") or None,
            "user_id": _number(getattr(record, "user_id", "")),
            "pid": record.process,
        }
        for key in JSON_EXTRA_FIELDS:
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
