"""FilterSets shared by the web lists and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kechuang.core.filters import IdFilter

from . import clock
from .choices import RequestCategory, RequestStatus
from .models import OPEN_STATUSES, ServiceRequest

STATE_CHOICES = [
    ("open", _("未办结")),
    ("overdue", _("已超时")),
    ("escalated", _("已升级")),
    ("to_rate", _("待评价")),
    ("finished", _("已结束")),
]


class ServiceRequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=RequestStatus.choices)
    category = django_filters.ChoiceFilter(label=_("类别"), choices=RequestCategory.choices)
    state = django_filters.ChoiceFilter(label=_("进度"), choices=STATE_CHOICES, method="filter_state")
    organization = IdFilter(label=_("企业"), field_name="organization_id")
    commissioner = IdFilter(label=_("专员"), field_name="commissioner_id")

    class Meta:
        model = ServiceRequest
        fields = ["q", "status", "category", "state", "organization", "commissioner"]

    def search(self, queryset: QuerySet[ServiceRequest], name: str, value: str) -> QuerySet[ServiceRequest]:
        value = (value or "").replace("\x00", "").strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(code__iexact=value)
            | Q(title__icontains=value)
            | Q(organization__name__icontains=value)
            | Q(organization__short_name__icontains=value)
        )

    def filter_state(
        self, queryset: QuerySet[ServiceRequest], name: str, value: Any
    ) -> QuerySet[ServiceRequest]:
        now = clock.now()
        open_ = list(OPEN_STATUSES)
        if value == "open":
            return queryset.filter(status__in=open_)
        if value == "overdue":
            return queryset.filter(
                Q(status__in=open_, resolution_due_at__lte=now)
                | Q(status=RequestStatus.SUBMITTED, response_due_at__lte=now)
            )
        if value == "escalated":
            return queryset.filter(
                Q(status__in=open_)
                & (Q(response_escalated_at__isnull=False) | Q(resolution_escalated_at__isnull=False))
            )
        if value == "to_rate":
            return queryset.filter(status=RequestStatus.RESOLVED)
        if value == "finished":
            return queryset.exclude(status__in=open_)
        return queryset
