"""Notification text written once by the sender and read in each recipient's language.

A module writes ``lazy_text(gettext_lazy("新诉求 %(code)s：%(title)s"), code=…, title=…)``: nothing is
translated or interpolated until :func:`notification_send` renders it under
``translation.override(recipient's language)``. Parameters may themselves be lazy (a choice label, a
``gettext_lazy`` word) and are rendered in the same language. Plain strings (what a user typed) pass
through unchanged. ``gettext_lazy(…) % {…}`` would not do: a lazy string's ``%`` translates at once, in
the sender's language (docs/adr/0015-notification-channels.md).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise, lazy


def _render(template: Any, params: dict[str, Any]) -> str:
    text = str(template)
    if not params:
        return text
    return text % {key: str(value) if isinstance(value, Promise) else value for key, value in params.items()}


_lazy_render = lazy(_render, str)


def lazy_text(template: Any, /, **params: Any) -> Any:
    """``template % params``, computed when the text is rendered (in the language active then)."""
    return _lazy_render(template, params)


def render(text: Any, language: str) -> str:
    """The text in one language (plain strings are returned as they are)."""
    if not isinstance(text, Promise):
        return str(text or "")
    from django.utils import translation

    with translation.override(language):
        return str(text)
