"""FilterSets shared by the web lists and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kechuang.core.filters import IdFilter

from .choices import OrganizationKind, Qualification, Title
from .models import Block, Organization, Park, Person, TechnologyField


class OrganizationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=OrganizationKind.choices)
    block = django_filters.ModelChoiceFilter(
        label=_("板块"), queryset=Block.objects.all(), to_field_name="code"
    )
    park = django_filters.ModelChoiceFilter(
        label=_("园区"), queryset=Park.objects.all(), to_field_name="code"
    )
    field = django_filters.ModelChoiceFilter(
        label=_("技术领域"),
        queryset=TechnologyField.objects.all(),
        to_field_name="code",
        method="filter_field",
    )
    qualification = django_filters.ChoiceFilter(
        label=_("资质"), choices=Qualification.choices, method="filter_qualification"
    )
    is_key = django_filters.BooleanFilter(label=_("重点企业"))

    class Meta:
        model = Organization
        fields = ["q", "kind", "block", "park", "field", "qualification", "is_key"]

    def search(self, queryset: QuerySet[Organization], name: str, value: str) -> QuerySet[Organization]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(short_name__icontains=value)
            | Q(uscc__iexact=value)
            | Q(description__icontains=value)
        )

    def filter_field(self, queryset: QuerySet[Organization], name: str, value: Any) -> QuerySet[Organization]:
        if not value:
            return queryset
        return queryset.filter(Q(fields=value) | Q(fields__parent=value)).distinct()

    def filter_qualification(
        self, queryset: QuerySet[Organization], name: str, value: str
    ) -> QuerySet[Organization]:
        if not value:
            return queryset
        # JSON containment is not portable to SQLite; a quoted substring match on the JSON text is.
        return queryset.filter(qualifications__icontains=f'"{value}"')


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    organization = IdFilter(label=_("机构"), field_name="organization_id")
    is_expert = django_filters.BooleanFilter(label=_("入库专家"))
    title = django_filters.ChoiceFilter(label=_("职称"), choices=Title.choices)
    field = django_filters.ModelChoiceFilter(
        label=_("领域"), queryset=TechnologyField.objects.all(), to_field_name="code", method="filter_field"
    )

    class Meta:
        model = Person
        fields = ["q", "organization", "is_expert", "title", "field"]

    def search(self, queryset: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(expertise__icontains=value) | Q(organization__name__icontains=value)
        )

    def filter_field(self, queryset: QuerySet[Person], name: str, value: Any) -> QuerySet[Person]:
        if not value:
            return queryset
        return queryset.filter(Q(fields=value) | Q(fields__parent=value)).distinct()
