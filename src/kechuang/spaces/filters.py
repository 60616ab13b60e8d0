"""FilterSets shared by the web lists and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kechuang.directory.models import Block, Park

from .choices import RequestStatus, SpaceType, UnitStatus
from .models import SpaceRequest, SpaceUnit


class SpaceUnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    block = django_filters.ModelChoiceFilter(
        label=_("板块"), queryset=Block.objects.all(), to_field_name="code", field_name="building__block"
    )
    park = django_filters.ModelChoiceFilter(
        label=_("园区"), queryset=Park.objects.all(), to_field_name="code", field_name="building__park"
    )
    space_type = django_filters.ChoiceFilter(label=_("类型"), choices=SpaceType.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=UnitStatus.choices)
    area_min = django_filters.NumberFilter(
        label=_("面积不小于（㎡）"),
        field_name="area_m2",
        lookup_expr="gte",
        min_value=0,
        max_value=10_000_000,
    )
    area_max = django_filters.NumberFilter(
        label=_("面积不大于（㎡）"),
        field_name="area_m2",
        lookup_expr="lte",
        min_value=0,
        max_value=10_000_000,
    )

    class Meta:
        model = SpaceUnit
        fields = ["q", "block", "park", "space_type", "status", "area_min", "area_max"]

    def search(self, queryset: QuerySet[SpaceUnit], name: str, value: str) -> QuerySet[SpaceUnit]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(building__name__icontains=value) | Q(description__icontains=value)
        )


class SpaceRequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RequestStatus.choices)
    space_type = django_filters.ChoiceFilter(label=_("类型"), choices=SpaceType.choices)

    class Meta:
        model = SpaceRequest
        fields = ["q", "status", "space_type"]

    def search(self, queryset: QuerySet[SpaceRequest], name: str, value: str) -> QuerySet[SpaceRequest]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(code__iexact=value) | Q(title__icontains=value) | Q(organization__name__icontains=value)
        )
