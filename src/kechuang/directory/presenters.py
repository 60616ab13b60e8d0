"""Turning directory records into what a given user may see (masking, docs/reliability.md D1)."""

from __future__ import annotations

from typing import Any

from kechuang.core.masking import mask_phone

from .permissions import may_see_full_phone


def phone_for(user: Any, phone: str, organization_id: int | None) -> str:
    if not phone:
        return ""
    return phone if may_see_full_phone(user, organization_id) else mask_phone(phone)
