from __future__ import annotations

from typing import Any

from .models import Membership


def memberships_of(user: Any) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user).select_related("organization").order_by("-is_default", "id")
    )


def acting_organization_for(user: Any, chosen_id: Any) -> Any:
    """The organization chosen in the session if the user belongs to it, else the default one."""
    loaded = getattr(user, "_memberships_cache", None)  # the request's principal (accounts.principal)
    if loaded is not None:
        if chosen_id:
            chosen = next((m for m in loaded if str(m.organization_id) == str(chosen_id)), None)
            if chosen is not None:
                return chosen.organization
        return loaded[0].organization if loaded else None
    memberships = Membership.objects.filter(user=user).select_related("organization")
    if chosen_id:
        chosen = memberships.filter(organization_id=chosen_id).first()
        if chosen is not None:
            return chosen.organization
    first = memberships.order_by("-is_default", "id").first()
    return first.organization if first else None
