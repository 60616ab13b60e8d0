"""Reads of the directory; every list starts from a ``*_visible_to`` queryset."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Block, Line, Organization, Park, Person, TechnologyField
from .permissions import organization_visible_to, person_visible_to


def organization_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Organization]:
    from .filters import OrganizationFilter

    qs = organization_visible_to(actor).select_related("block", "park", "industry")
    if filters:
        qs = OrganizationFilter(filters, queryset=qs).qs
    return qs


def person_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Person]:
    from .filters import PersonFilter

    qs = person_visible_to(actor).select_related("organization")
    if filters:
        qs = PersonFilter(filters, queryset=qs).qs
    return qs


def field_tree() -> list[TechnologyField]:
    """Roots with their children prefetched (two queries)."""
    return list(TechnologyField.objects.filter(parent__isnull=True).prefetch_related("children"))


def district_counts() -> dict[str, int]:
    from .choices import OrganizationKind

    by_kind = dict(Organization.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    people = Person.objects.aggregate(
        researchers=Count("id", filter=Q(is_researcher=True)),
        experts=Count("id", filter=Q(is_expert=True)),
        academicians=Count("id", filter=Q(is_academician=True)),
    )
    return {
        "institutes": by_kind.get(OrganizationKind.INSTITUTE, 0),
        "enterprises": by_kind.get(OrganizationKind.ENTERPRISE, 0),
        "providers": by_kind.get(OrganizationKind.PROVIDER, 0),
        **people,
    }


def district_map_data() -> dict[str, Any]:
    """Blocks, parks (with their institutes) and lines for the schematic map."""
    blocks = [
        {"code": b.code, "name": b.name, "theme": b.theme, "shape": b.shape, "color": b.color}
        for b in Block.objects.all()
    ]
    parks = [
        {
            "code": p.code, "name": p.name, "theme": p.theme, "x": p.x, "y": p.y,
            "institute": p.institute.name if p.institute else "",
            "institute_id": p.institute_id, "block": p.block.name if p.block else "",
            "organizations": p.n,
        }
        for p in Park.objects.select_related("institute", "block").annotate(n=Count("organizations"))
    ]
    lines = [{"code": line.code, "name": line.name, "roads": line.roads, "path": line.path}
             for line in Line.objects.all()]
    return {"blocks": blocks, "parks": parks, "lines": lines}


@lru_cache(maxsize=4)
def _load_profile(name: str) -> dict[str, Any]:
    from .profiles import load_profile

    try:
        return load_profile(name)
    except FileNotFoundError:
        return {}


def district_profile() -> dict[str, Any]:
    """The loaded district profile's descriptive part (names, goals, figures) for templates."""
    from django.conf import settings

    profile = _load_profile(settings.DISTRICT)
    return profile.get("district", {})
