"""The directory's long lists as pickers (issue 14 item 6), for every app's forms: technology fields
grouped by their cluster and searchable by name and keywords; organizations, people and experts searched
through the API (/api/v1/organizations/, /api/v1/people/). The widgets are the kernel's
(kechuang.core.widgets); the selects still post the same values, so services see no difference."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from kechuang.core.widgets import RemoteSearchSelect, RemoteSearchSelectMultiple, SearchSelectMultiple

from .choices import Title
from .models import Organization, Person, TechnologyField


def _cluster(field: TechnologyField) -> str:
    return field.parent.name if field.parent is not None else field.name


def _keywords(field: TechnologyField) -> str:
    return " ".join(filter(None, [field.name_en, field.keywords]))


def technology_fields() -> QuerySet[TechnologyField]:
    """Clusters first in their order, each with its fields (the widget groups them under the cluster)."""
    return TechnologyField.objects.select_related("parent").order_by(
        "parent__sort_order", "parent__code", "sort_order", "code"
    )


def field_picker(attrs: dict[str, Any] | None = None) -> SearchSelectMultiple:
    return SearchSelectMultiple(attrs={"size": 8, **(attrs or {})}, group=_cluster, keywords=_keywords)


def organization_picker(*, multiple: bool = False, **params: str) -> forms.Select:
    widget = RemoteSearchSelectMultiple if multiple else RemoteSearchSelect
    return widget(url_name="organization-list", params=params, text=("name",))


def _person_labels() -> dict[str, dict[str, str]]:
    return {
        "title": {str(value): str(label) for value, label in Title.choices if value},
        "fields": dict(TechnologyField.objects.values_list("code", "name")),
    }


def person_picker(*, experts: bool = False, multiple: bool = False) -> forms.Select:
    """People (or only the listed experts) shown with title, organization and fields."""
    widget = RemoteSearchSelectMultiple if multiple else RemoteSearchSelect
    return widget(
        url_name="person-list",
        params={"is_expert": "true"} if experts else {},
        text=("name", "title", "organization_name", "fields"),
        labels=_person_labels,
    )


def person_label(person: Person) -> str:
    """The same text as the picker's remote options, for the rendered (no-JavaScript) options."""
    parts = [person.name, person.get_title_display() if person.title else ""]
    if person.organization is not None:
        parts.append(person.organization.name)
    parts.append("、".join(f.name for f in person.fields.all()))
    return " · ".join(p for p in parts if p)


def organization_queryset() -> QuerySet[Organization]:
    return Organization.objects.order_by("name", "id")
