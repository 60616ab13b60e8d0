"""Loading a district profile into the database: idempotent (keyed by codes and names)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kechuang.core import audit

from ..choices import OrganizationKind
from ..models import Block, Building, Industry, Line, Organization, Park, TechnologyField
from . import load_profile


def _fields_tree(nodes: list[dict[str, Any]], parent: TechnologyField | None, counter: list[int]) -> int:
    created = 0
    for node in nodes:
        counter[0] += 1
        field, was_created = TechnologyField.objects.update_or_create(
            code=node["code"],
            defaults={
                "name": node["name"], "name_en": node.get("name_en", ""), "parent": parent,
                "keywords": " ".join(node.get("keywords", [])) if isinstance(node.get("keywords"), list)
                else node.get("keywords", ""),
                "sort_order": counter[0],
            },
        )
        created += int(was_created)
        created += _fields_tree(node.get("children", []), field, counter)
    return created


def _industries(nodes: list[dict[str, Any]], parent: Industry | None) -> None:
    for node in nodes:
        industry, _created = Industry.objects.update_or_create(
            code=node["code"], defaults={"name": node["name"], "parent": parent}
        )
        _industries(node.get("children", []), industry)


def _field_objects(codes: list[str]) -> list[TechnologyField]:
    return list(TechnologyField.objects.filter(code__in=codes or []))


@transaction.atomic
def apply_profile(name: str, *, actor: Any = None) -> dict[str, int]:
    """Create or update everything the profile describes; returns counts per kind of record."""
    profile = load_profile(name)
    counts: dict[str, int] = {}
    _fields_tree(profile.get("fields", []), None, [0])
    counts["fields"] = TechnologyField.objects.count()
    _industries(profile.get("industries", []), None)
    counts["industries"] = Industry.objects.count()

    for order, item in enumerate(profile.get("blocks", [])):
        Block.objects.update_or_create(code=item["code"], defaults={
            "name": item["name"], "theme": item.get("theme", ""), "description": item.get("description", ""),
            "shape": item.get("shape", []), "color": item.get("color", ""), "sort_order": order,
        })
    counts["blocks"] = len(profile.get("blocks", []))

    institutes: dict[str, Organization] = {}
    for item in profile.get("organizations", []):
        kind = item.get("kind", OrganizationKind.INSTITUTE)
        defaults = {
            "short_name": item.get("short_name", ""), "description": item.get("description", ""),
            "address": item.get("address", ""), "website": item.get("website", ""),
            "researchers": item.get("researchers", 0), "is_key": item.get("is_key", False),
            "qualifications": item.get("qualifications", []),
        }
        if item.get("uscc"):
            defaults["uscc"] = item["uscc"]
        if item.get("block"):
            defaults["block"] = Block.objects.get(code=item["block"])
        organization, _created = Organization.objects.update_or_create(kind=kind, name=item["name"],
                                                                         defaults=defaults)
        if item.get("fields"):
            organization.fields.set(_field_objects(item["fields"]))
        if item.get("key"):
            institutes[item["key"]] = organization
    counts["organizations"] = len(profile.get("organizations", []))

    for order, item in enumerate(profile.get("parks", [])):
        park, _created = Park.objects.update_or_create(code=item["code"], defaults={
            "name": item["name"], "theme": item.get("theme", ""), "description": item.get("description", ""),
            "block": Block.objects.filter(code=item.get("block")).first(),
            "institute": institutes.get(item.get("institute", "")),
            "x": item.get("x", 0), "y": item.get("y", 0), "sort_order": order,
        })
        park.fields.set(_field_objects(item.get("fields", [])))
        institute = institutes.get(item.get("institute", ""))
        if institute is not None and institute.park_id is None:
            institute.park = park
            institute.block = institute.block or park.block
            institute.save(update_fields=["park", "block"])
    counts["parks"] = len(profile.get("parks", []))

    for order, item in enumerate(profile.get("lines", [])):
        Line.objects.update_or_create(code=item["code"], defaults={
            "name": item["name"], "description": item.get("description", ""), "roads": item.get("roads", ""),
            "path": item.get("path", []), "sort_order": order,
        })
    counts["lines"] = len(profile.get("lines", []))

    for item in profile.get("buildings", []):
        Building.objects.update_or_create(code=item["code"], defaults={
            "name": item["name"], "address": item.get("address", ""), "use": item.get("use", "mixed"),
            "park": Park.objects.filter(code=item.get("park")).first(),
            "block": Block.objects.filter(code=item.get("block")).first(),
            "floors": item.get("floors"), "gross_area_m2": item.get("gross_area_m2"),
            "x": item.get("x", 0), "y": item.get("y", 0),
        })
    counts["buildings"] = len(profile.get("buildings", []))
    audit.record("district.load", actor=actor, object_type="district", object_id=name, detail=counts)
    return counts
