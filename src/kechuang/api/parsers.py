"""Request parsers for the API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def contains_nul(data: Any) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in data.items())
    if isinstance(data, list | tuple):
        return any(contains_nul(item) for item in data)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a NUL character anywhere in the body is a 400 (docs/reliability.md K2): PostgreSQL
    cannot store one and a lookup with one fails there with a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if contains_nul(data):
            raise ParseError(_("请求中含有空字符（\\u0000），请删除后重试。"))
        return data
