"""OpenAPI post-processing: every operation documents the error answers it can give.

drf-spectacular documents the success answer; clients (and schemathesis, docs/reliability.md K1) also need
to know that a call can be refused: 400 with per-field Chinese messages, 401 without credentials,
403 without the right, 404 for what does not exist or may not be seen, 429 when throttled or locked.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "description": "拒绝原因",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "按字段列出的错误（字段名 → 中文错误信息列表）；non_field_errors 为整体错误",
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "string"},
                {"type": "object"},
            ]
        },
    },
}


def _response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


ERROR_RESPONSES = {
    "400": _response("输入有误", "FieldErrors"),
    "401": _response("未登录或令牌无效", "ErrorDetail"),
    "403": _response("无权操作", "ErrorDetail"),
    "404": _response("不存在或无权查看", "ErrorDetail"),
    "429": _response("请求过于频繁或账号暂时锁定", "ErrorDetail"),
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in ERROR_SCHEMAS.items():
        schemas.setdefault(name, schema)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, response in ERROR_RESPONSES.items():
                responses.setdefault(status, response)
    return result
