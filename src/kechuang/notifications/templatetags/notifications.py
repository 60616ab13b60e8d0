"""``{% unread_notifications %}``: the bell with the unread count, for the navbar in base.html."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/partials/bell.html", takes_context=True)
def unread_notifications(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(getattr(user, "is_authenticated", False))
    return {"signed_in": signed_in, "count": unread_count(user) if signed_in else 0}
