"""Writes on the directory: ``<entity>_<verb>(*, actor, ...)``, atomic, permission-checked, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kechuang.core import audit

from . import uscc as uscc_rules
from .models import Block, Industry, Organization, Park, Person, TechnologyField
from .permissions import (
    can_change_organization,
    can_change_person,
    can_create_organization,
    can_create_person,
)


class OrganizationData(TypedDict, total=False):
    """The fields ``organization_create`` and ``organization_update`` take, by name and type."""

    kind: str
    name: str
    short_name: str
    uscc: str | None
    industry: Industry | None
    block: Block | None
    park: Park | None
    address: str
    size_band: str
    is_key: bool
    founded_on: dt.date | None
    description: str
    website: str
    contact_name: str
    contact_phone: str
    qualifications: list[str]
    researchers: int


class PersonData(TypedDict, total=False):
    """The fields ``person_create`` and ``person_update`` take, by name and type."""

    name: str
    organization: Organization | None
    position: str
    title: str
    expertise: str
    is_expert: bool
    is_academician: bool
    is_researcher: bool
    phone: str
    email: str
    bio: str


ORGANIZATION_FIELDS = set(OrganizationData.__annotations__)
PERSON_FIELDS = set(PersonData.__annotations__)


def _clean_uscc(value: str | None, *, exclude_pk: int | None = None) -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        code = uscc_rules.validate(str(value))
    except uscc_rules.USCCError as error:
        raise ValidationError({"uscc": str(error)}) from error
    others = Organization.objects.filter(uscc=code)
    clash = (others.exclude(pk=exclude_pk) if exclude_pk is not None else others).first()
    if clash is not None:
        raise ValidationError({"uscc": _("该统一社会信用代码已被“%(name)s”使用。") % {"name": clash.name}})
    return code


def organization_name_taken(kind: str, name: str, *, exclude_pk: int | None = None) -> str | None:
    """The message for a second organization of the same kind and name (the model's constraint),
    in words that name the field; None when the name is free."""
    same = Organization.objects.filter(kind=kind, name=name)
    if (same.exclude(pk=exclude_pk) if exclude_pk is not None else same).exists():
        return _("已有同类型、同名称的机构“%(name)s”，请核对是否重复登记。") % {"name": name}
    return None


def _check_name(kind: str, name: str, *, exclude_pk: int | None = None) -> None:
    message = organization_name_taken(kind, name, exclude_pk=exclude_pk)
    if message:
        raise ValidationError({"name": message})


def _save_organization(organization: Organization) -> None:
    """Save; a unique index that a concurrent request filled first gives the same message as the checks
    above (a ValidationError, 400), never an IntegrityError (500)."""
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as error:
        if (
            organization.uscc
            and Organization.objects.filter(uscc=organization.uscc).exclude(pk=organization.pk).exists()
        ):
            _clean_uscc(organization.uscc, exclude_pk=organization.pk)
        _check_name(organization.kind, organization.name, exclude_pk=organization.pk)
        raise ValidationError(_("保存失败：与已有记录冲突，请刷新后重试。")) from error


def _apply(instance: Any, data: Mapping[str, Any], allowed: set[str]) -> list[str]:
    unknown = set(data) - allowed - {"fields"}
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(names)s") % {"names": "、".join(sorted(unknown))})
    changed = []
    for key, value in data.items():
        if key == "fields":
            continue
        if getattr(instance, key) != value:
            setattr(instance, key, value)
            changed.append(key)
    return changed


@transaction.atomic
def organization_create(
    *, actor: Any, fields: Iterable[TechnologyField] = (), **data: Unpack[OrganizationData]
) -> Organization:
    if actor is not None and not can_create_organization(actor):
        raise PermissionDenied(_("只有运营人员可以新建机构。"))
    data["uscc"] = _clean_uscc(data.get("uscc"))
    organization = Organization(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    _apply(organization, data, ORGANIZATION_FIELDS)
    _check_name(organization.kind, organization.name)
    organization.full_clean()
    _save_organization(organization)
    if fields:
        organization.fields.set(fields)
    audit.record("organization.create", actor=actor, obj=organization)
    return organization


@transaction.atomic
def organization_update(
    *,
    actor: Any,
    organization: Organization,
    fields: Iterable[TechnologyField] | None = None,
    **data: Unpack[OrganizationData],
) -> Organization:
    if actor is not None and not can_change_organization(actor, organization):
        raise PermissionDenied(_("您无权修改该机构的资料。"))
    changes_kind = "kind" in data and data["kind"] != organization.kind
    if changes_kind and not (actor is None or actor.has_role("operator")):
        raise PermissionDenied(_("只有运营人员可以修改机构类型。"))
    if "uscc" in data:
        data["uscc"] = _clean_uscc(data["uscc"], exclude_pk=organization.pk)
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    changed = _apply(organization, data, ORGANIZATION_FIELDS)
    _check_name(organization.kind, organization.name, exclude_pk=organization.pk)
    organization.full_clean()
    _save_organization(organization)
    if fields is not None:
        organization.fields.set(fields)
        changed.append("fields")
    audit.record("organization.update", actor=actor, obj=organization, detail={"changed": sorted(changed)})
    return organization


@transaction.atomic
def person_create(
    *, actor: Any, fields: Iterable[TechnologyField] = (), **data: Unpack[PersonData]
) -> Person:
    organization = data.get("organization")
    if actor is not None and not (can_create_person(actor) or can_create_person(actor, organization)):
        raise PermissionDenied(_("您无权为该机构添加人员。"))
    person = Person()
    _apply(person, data, PERSON_FIELDS)
    person.full_clean()
    person.save()
    if fields:
        person.fields.set(fields)
    audit.record("person.create", actor=actor, obj=person)
    return person


@transaction.atomic
def person_update(
    *, actor: Any, person: Person, fields: Iterable[TechnologyField] | None = None, **data: Unpack[PersonData]
) -> Person:
    if actor is not None and not can_change_person(actor, person):
        raise PermissionDenied(_("您无权修改该人员的资料。"))
    person = Person.objects.select_for_update().get(pk=person.pk)
    changed = _apply(person, data, PERSON_FIELDS)
    person.full_clean()
    person.save()
    if fields is not None:
        person.fields.set(fields)
        changed.append("fields")
    audit.record("person.update", actor=actor, obj=person, detail={"changed": sorted(changed)})
    return person
