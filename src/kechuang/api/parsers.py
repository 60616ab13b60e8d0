"""Request parsers for the API.

The JSON parser refuses, with a 400 that says what to fix (docs/reliability.md K2, K5):
- a NUL character anywhere (PostgreSQL cannot store one, and a lookup with one fails there);
- nesting deeper than ``MAX_DEPTH`` (no endpoint takes more than a few levels; Python's parser would
  otherwise run out of stack around 1000 levels, a 500);
- numbers no field can hold: ``NaN``, ``Infinity``, ``1e999`` (infinite once parsed) and integers outside
  the signed 64-bit range, named by the key they were given for.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
INT_MAX = 2**63 - 1


class _OutOfRange:
    """Stands in for a number no field can hold until the object holding it names its key."""

    def __init__(self, text: str) -> None:
        self.text = text


def _number_message(text: str) -> str:
    return str(
        _("数值 %(v)s 超出允许范围，请填写有限的数字（整数不超过 %(max)s）。")
        % {"v": text[:40], "max": INT_MAX}
    )


def _parse_int(text: str) -> Any:
    value = int(text)
    return value if -INT_MAX <= value <= INT_MAX else _OutOfRange(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else _OutOfRange(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    for key, value in pairs:
        if isinstance(value, _OutOfRange):
            raise ParseError({key: [_number_message(value.text)]})
        if isinstance(value, list) and any(isinstance(item, _OutOfRange) for item in value):
            bad = next(item for item in value if isinstance(item, _OutOfRange))
            raise ParseError({key: [_number_message(bad.text)]})
    return dict(pairs)


def check(data: Any) -> None:
    """Walk the parsed body without recursion: depth, NUL characters, a bare out-of-range number."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, _OutOfRange):
            raise ParseError(_number_message(item.text))
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError(_("请求中含有空字符（\\u0000），请删除后重试。"))
            continue
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise ParseError(too_deep())
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def too_deep() -> str:
    return str(_("JSON 嵌套层数超过 %(n)s 层，请检查请求体的结构。") % {"n": MAX_DEPTH})


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the limits above."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(
                text,
                parse_int=_parse_int,
                parse_float=_parse_float,
                parse_constant=lambda name: _OutOfRange(name),
                object_pairs_hook=_object,
            )
        except RecursionError:
            raise ParseError(too_deep()) from None
        except ParseError:
            raise
        except json.JSONDecodeError as error:
            raise ParseError(
                _("JSON 格式有误（第 %(line)s 行第 %(column)s 列）：请检查括号、引号和逗号是否成对、齐全。")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except UnicodeDecodeError:
            raise ParseError(_("请求体不是 UTF-8 编码的文本，请按 UTF-8 发送 JSON。")) from None
        except ValueError:  # e.g. an integer literal of thousands of digits
            raise ParseError(_("JSON 中有无法读取的数值，请检查数字的写法。")) from None
        check(data)
        return data
