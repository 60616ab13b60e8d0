"""Text handed to services and forms: NUL characters refused or dropped, whitespace trimmed, lengths
checked, with Chinese messages (docs/reliability.md K2; ADR 0019)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

NUL_MESSAGE = _("不能包含空字符。")


def clean_text(value: Any, limit: int | None = None, *, strip: bool = True) -> str:
    """``value`` as text without NUL characters, trimmed (unless ``strip`` is false) and cut to ``limit``."""
    text = str(value if value is not None else "").replace("\x00", "")
    if strip:
        text = text.strip()
    return text if limit is None else text[:limit]


def checked_text(
    value: Any, field: str, *, label: Any, limit: int, required: bool = True, quote: bool = True
) -> str:
    """Like :func:`clean_text`, but refuses an empty (when required) or too long text on ``field``; the
    message names the field by ``label``, in quotation marks unless ``quote`` is false."""
    text = clean_text(value)
    if required and not text:
        message = _("请填写“%(label)s”。") if quote else _("请填写%(label)s。")
        raise ValidationError({field: message % {"label": label}})
    if len(text) > limit:
        message = _("“%(label)s”不能超过 %(n)s 个字。") if quote else _("%(label)s不能超过 %(n)s 个字。")
        raise ValidationError({field: message % {"label": label, "n": limit}})
    return text


def nul_errors(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``data`` whose text holds a NUL character, with the message for each."""
    return {key: NUL_MESSAGE for key, value in data.items() if isinstance(value, str) and "\x00" in value}


def refuse_nul(data: Mapping[str, Any]) -> None:
    """Raise a ValidationError naming every field whose text holds a NUL character."""
    errors = nul_errors(data)
    if errors:
        raise ValidationError(errors)


class CleanTextForm(forms.Form):
    """A form that refuses NUL characters in any text field."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in nul_errors(data):
            self.add_error(key, NUL_MESSAGE)
        return data


class CleanTextMixin:
    """A serializer that refuses NUL characters anywhere in its input; the services validate the rest."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = nul_errors(attrs)
        if errors:
            key = next(iter(errors))
            raise serializers.ValidationError({key: NUL_MESSAGE})
        return attrs
