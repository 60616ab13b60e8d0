"""Reads of the directory; every list starts from a ``*_visible_to`` queryset."""

from __future__ import annotations

import re
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


# Block colours go into a style attribute and the SVG: only plain hex colours pass (docs/reliability.md D2).
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


def district_map_data() -> dict[str, Any]:
    """Everything the schematic map and its side panel draw: blocks (with their organization counts),
    parks (with their institutes), lines, and the profile's amenities, landmarks and headline figures.
    Three queries whatever the size of the district."""
    from django.urls import reverse

    from kechuang.core.home import district_overview

    blocks = [
        {
            "code": b.code,
            "name": b.name,
            "theme": b.theme,
            "description": b.description,
            "shape": b.shape,
            "color": b.color if _HEX_COLOR.fullmatch(b.color or "") else "",
            "organizations": b.n,
        }
        for b in Block.objects.annotate(n=Count("organizations"))
    ]
    parks = [
        {
            "code": p.code,
            "name": p.name,
            "theme": p.theme,
            "x": p.x,
            "y": p.y,
            "institute": p.institute.name if p.institute else "",
            "institute_short": (p.institute.short_name or p.institute.name) if p.institute else "",
            "institute_id": p.institute_id,
            "institute_url": (
                reverse("directory:organization-detail", args=[p.institute_id]) if p.institute_id else ""
            ),
            "block": p.block.name if p.block else "",
            "organizations": p.n,
        }
        for p in Park.objects.select_related("institute", "block").annotate(n=Count("organizations"))
    ]
    lines = [
        {
            "code": line.code,
            "name": line.name,
            "roads": line.roads,
            "description": line.description,
            "path": line.path,
        }
        for line in Line.objects.all()
    ]
    profile = district_profile()
    amenities = [
        {
            "name": a.get("name", ""),
            "kind": a.get("kind", ""),
            "x": a["x"],
            "y": a["y"],
            "description": a.get("description", ""),
        }
        for a in profile.get("amenities", []) or []
        if isinstance(a, dict) and isinstance(a.get("x"), int | float) and isinstance(a.get("y"), int | float)
    ]
    landmarks = [
        {
            "name": m.get("name", ""),
            "description": m.get("description", ""),
            "center": m["center"],
            "radius": m.get("radius", 60),
        }
        for m in profile.get("landmarks", []) or []
        if isinstance(m, dict) and isinstance(m.get("center"), list) and len(m["center"]) == 2
    ]
    return {
        "canvas": profile.get("canvas") or {"width": 1000, "height": 700},
        "blocks": blocks,
        "parks": parks,
        "lines": lines,
        "amenities": amenities,
        "landmarks": landmarks,
        "overview": district_overview(profile),
    }


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

    district: dict[str, Any] = _load_profile(settings.DISTRICT).get("district", {})
    return district
