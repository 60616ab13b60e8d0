"""Loading a district profile into the database.

Idempotent: every record is found by its natural key (a code, or an organization's kind and name) and
written only when a value differs, so running the load a second time writes nothing and leaves no
audit event. Organization attributes the profile does not mention (a researcher count filled by the
demo data, a phone number an operator typed in) are left alone.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import models, transaction

from kechuang.core import audit

from .. import uscc as uscc_rules
from ..choices import OrganizationKind, Qualification, SizeBand
from ..models import Block, Building, Industry, Line, Organization, Park, TechnologyField
from . import load_profile

SECTION_LABELS = {
    "fields": "技术领域",
    "industries": "国民经济行业",
    "blocks": "产业板块",
    "organizations": "机构",
    "parks": "科创园区",
    "lines": "科创融合线",
    "buildings": "楼宇",
}

# Organization attributes a profile may set, copied only when present in the profile.
_ORGANIZATION_TEXT = ("short_name", "description", "address", "website", "contact_name", "contact_phone")
_ORGANIZATION_PLAIN = ("researchers", "is_key", "qualifications", "size_band", "founded_on")


class ProfileError(ValueError):
    """The profile refers to something that does not exist or holds an invalid value (Chinese message)."""


class _Writer:
    """Creates or updates rows only when something differs, and counts what it did."""

    def __init__(self) -> None:
        self.created: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()

    def upsert(
        self, section: str, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
    ) -> Any:
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model._default_manager.create(**lookup, **values)
            self.created[section] += 1
            return obj
        changed = [name for name, value in values.items() if not _same(obj, name, value)]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            update_fields = list(changed)
            if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
                update_fields.append("updated_at")
            obj.save(update_fields=update_fields)
            self.updated[section] += 1
        return obj

    def set_many(self, section: str, obj: Any, attr: str, targets: list[Any], *, created: bool) -> None:
        manager = getattr(obj, attr)
        wanted = {t.pk for t in targets}
        current = set(manager.values_list("pk", flat=True))
        if wanted != current:
            manager.set(targets)
            if not created:
                self.updated[section] += 1

    def mark_updated(self, section: str) -> None:
        self.updated[section] += 1


def _same(obj: Any, name: str, value: Any) -> bool:
    field = obj._meta.get_field(name)
    if field.many_to_one or field.one_to_one:
        return bool(getattr(obj, field.attname) == (value.pk if value is not None else None))
    current = getattr(obj, name)
    if isinstance(field, models.FloatField) and current is not None and value is not None:
        return float(current) == float(value)
    return bool(current == value)


def _keywords(node: dict[str, Any]) -> str:
    words = node.get("keywords", [])
    return " ".join(str(w) for w in words) if isinstance(words, list) else str(words or "")


def _fields_tree(
    writer: _Writer, nodes: list[dict[str, Any]], parent: TechnologyField | None, counter: list[int]
) -> int:
    total = 0
    for node in nodes:
        counter[0] += 1
        total += 1
        field = writer.upsert(
            "fields",
            TechnologyField,
            {"code": str(node["code"])},
            {
                "name": node["name"],
                "name_en": node.get("name_en", ""),
                "parent": parent,
                "keywords": _keywords(node)[:300],
                "sort_order": counter[0],
            },
        )
        total += _fields_tree(writer, node.get("children", []), field, counter)
    return total


def _industries(writer: _Writer, nodes: list[dict[str, Any]], parent: Industry | None) -> int:
    total = 0
    for node in nodes:
        total += 1
        industry = writer.upsert(
            "industries", Industry, {"code": str(node["code"])}, {"name": node["name"], "parent": parent}
        )
        total += _industries(writer, node.get("children", []), industry)
    return total


def _by_code(model: type[models.Model], code: Any, what: str, owner: str) -> Any:
    if code in (None, ""):
        return None
    obj = model._default_manager.filter(code=str(code)).first()
    if obj is None:
        raise ProfileError(f"{owner}引用了不存在的{what}编码：{code}")
    return obj


def _field_objects(codes: list[Any] | None, owner: str) -> list[TechnologyField]:
    codes = [str(c) for c in (codes or [])]
    found = list(TechnologyField.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {f.code for f in found})
    if missing:
        raise ProfileError(f"{owner}引用了不存在的技术领域编码：{'、'.join(missing)}")
    return found


def _organization_values(item: dict[str, Any], owner: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in _ORGANIZATION_TEXT:
        if key in item:
            values[key] = str(item[key] or "").strip()
    for key in _ORGANIZATION_PLAIN:
        if key in item:
            values[key] = item[key]
    if "qualifications" in values:
        unknown = sorted(set(values["qualifications"]) - set(Qualification.values))
        if unknown:
            raise ProfileError(f"{owner}的资质代码无效：{'、'.join(unknown)}")
    if values.get("size_band") and values["size_band"] not in SizeBand.values:
        raise ProfileError(f"{owner}的规模代码无效：{values['size_band']}")
    if item.get("uscc"):
        try:
            values["uscc"] = uscc_rules.validate(str(item["uscc"]))
        except uscc_rules.USCCError as error:
            raise ProfileError(f"{owner}：{error}") from error
    if "industry" in item:
        values["industry"] = _by_code(Industry, item["industry"], "行业", owner)
    if "block" in item:
        values["block"] = _by_code(Block, item["block"], "板块", owner)
    return values


@transaction.atomic
def apply_profile(name: str, *, actor: Any = None, profile: dict[str, Any] | None = None) -> dict[str, int]:
    """Create or update everything the profile describes.

    Returns the number of entries per section (``fields``, ``industries``, ``blocks``,
    ``organizations``, ``parks``, ``lines``, ``buildings``) plus ``created`` and ``updated``: how many
    rows this run created and changed (both 0 on a second run). Raises ``FileNotFoundError`` for an
    unknown profile and ``ProfileError`` for a profile that refers to missing codes or holds invalid values;
    nothing is written then.
    """
    profile = profile if profile is not None else load_profile(name)
    writer = _Writer()
    counts: dict[str, int] = {}
    counts["fields"] = _fields_tree(writer, profile.get("fields", []), None, [0])
    counts["industries"] = _industries(writer, profile.get("industries", []), None)

    for order, item in enumerate(profile.get("blocks", [])):
        writer.upsert(
            "blocks",
            Block,
            {"code": str(item["code"])},
            {
                "name": item["name"],
                "theme": item.get("theme", ""),
                "description": item.get("description", ""),
                "shape": item.get("shape", []),
                "color": item.get("color", ""),
                "sort_order": order,
            },
        )
    counts["blocks"] = len(profile.get("blocks", []))

    by_key: dict[str, Organization] = {}
    pending_parks: list[tuple[Organization, Any]] = []
    for item in profile.get("organizations", []):
        kind = item.get("kind", OrganizationKind.INSTITUTE)
        if kind not in OrganizationKind.values:
            raise ProfileError(f"机构“{item.get('name')}”的类型无效：{kind}")
        owner = f"机构“{item['name']}”"
        values = _organization_values(item, owner)
        if kind == OrganizationKind.ENTERPRISE and not values.get("uscc"):
            existing = Organization.objects.filter(kind=kind, name=item["name"]).exclude(uscc=None).exists()
            if not existing:
                raise ProfileError(f"{owner}是企业，必须填写统一社会信用代码。")
        before = writer.created["organizations"]
        organization = writer.upsert(
            "organizations", Organization, {"kind": kind, "name": item["name"]}, values
        )
        if "fields" in item:
            writer.set_many(
                "organizations",
                organization,
                "fields",
                _field_objects(item["fields"], owner),
                created=writer.created["organizations"] > before,
            )
        if item.get("park"):
            pending_parks.append((organization, item["park"]))
        if item.get("key"):
            by_key[str(item["key"])] = organization
    counts["organizations"] = len(profile.get("organizations", []))

    for order, item in enumerate(profile.get("parks", [])):
        owner = f"园区“{item['name']}”"
        institute_key = item.get("institute") or ""
        if institute_key and institute_key not in by_key:
            raise ProfileError(f"{owner}的依托院所 {institute_key} 没有在 organizations 中定义（key）。")
        institute = by_key.get(institute_key)
        before = writer.created["parks"]
        park = writer.upsert(
            "parks",
            Park,
            {"code": str(item["code"])},
            {
                "name": item["name"],
                "theme": item.get("theme", ""),
                "description": item.get("description", ""),
                "block": _by_code(Block, item.get("block"), "板块", owner),
                "institute": institute,
                "x": item.get("x", 0),
                "y": item.get("y", 0),
                "sort_order": order,
            },
        )
        writer.set_many(
            "parks",
            park,
            "fields",
            _field_objects(item.get("fields"), owner),
            created=writer.created["parks"] > before,
        )
        if institute is not None and institute.park_id is None:
            institute.park = park
            institute.block = institute.block or park.block
            institute.save(update_fields=["park", "block", "updated_at"])
            writer.mark_updated("organizations")
    counts["parks"] = len(profile.get("parks", []))

    for organization, park_code in pending_parks:
        park = _by_code(Park, park_code, "园区", f"机构“{organization.name}”")
        if organization.park_id != park.pk:
            organization.park = park
            organization.block = organization.block or park.block
            organization.save(update_fields=["park", "block", "updated_at"])
            writer.mark_updated("organizations")

    for order, item in enumerate(profile.get("lines", [])):
        writer.upsert(
            "lines",
            Line,
            {"code": str(item["code"])},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "roads": item.get("roads", "") or "",
                "path": item.get("path", []),
                "sort_order": order,
            },
        )
    counts["lines"] = len(profile.get("lines", []))

    for item in profile.get("buildings", []):
        owner = f"楼宇“{item['name']}”"
        writer.upsert(
            "buildings",
            Building,
            {"code": str(item["code"])},
            {
                "name": item["name"],
                "address": item.get("address", ""),
                "use": item.get("use", "mixed"),
                "park": _by_code(Park, item.get("park"), "园区", owner),
                "block": _by_code(Block, item.get("block"), "板块", owner),
                "floors": item.get("floors"),
                "gross_area_m2": item.get("gross_area_m2"),
                "x": item.get("x", 0),
                "y": item.get("y", 0),
            },
        )
    counts["buildings"] = len(profile.get("buildings", []))

    counts["created"] = sum(writer.created.values())
    counts["updated"] = sum(writer.updated.values())
    if counts["created"] or counts["updated"]:
        audit.record(
            "district.load",
            actor=actor,
            object_type="district",
            object_id=name,
            detail={
                **{k: counts[k] for k in SECTION_LABELS},
                "created": dict(writer.created),
                "updated": dict(writer.updated),
            },
        )
    return counts
