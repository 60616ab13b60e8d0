"""FilterSets shared by the voucher pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import ApplicationStatus, ClaimStatus, OrderStatus, ServiceCategory, VoucherStatus
from .models import Application, ProviderService, ServiceOrder, SettlementClaim, Voucher


def _clean(value: Any) -> str:
    return str(value or "").replace("\x00", "").strip()[:60]


class TextFilter(django_filters.CharFilter):
    """A text filter that drops NUL characters (PostgreSQL refuses them in a query: no 500 for any input)."""

    def filter(self, qs: Any, value: Any) -> Any:
        return super().filter(qs, _clean(value) if value not in (None, "") else value)


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices)
    scheme = TextFilter(label=_("批次编号"), field_name="scheme__code", max_length=20)

    class Meta:
        model = Application
        fields = ["status", "scheme"]


class VoucherFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=VoucherStatus.choices)
    scheme = TextFilter(label=_("批次编号"), field_name="scheme__code", max_length=20)

    class Meta:
        model = Voucher
        fields = ["status", "scheme"]


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=OrderStatus.choices)
    category = django_filters.ChoiceFilter(label=_("服务类别"), choices=ServiceCategory.choices)
    voucher = TextFilter(label=_("券号"), field_name="voucher__code", max_length=20)

    class Meta:
        model = ServiceOrder
        fields = ["status", "category", "voucher"]


class ClaimFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ClaimStatus.choices)

    class Meta:
        model = SettlementClaim
        fields = ["status"]


class ServiceFilter(django_filters.FilterSet):
    q = TextFilter(label=_("搜索"), method="search", max_length=60)
    category = django_filters.ChoiceFilter(label=_("服务类别"), choices=ServiceCategory.choices)
    provider = TextFilter(label=_("机构编号"), field_name="provider__code", max_length=20)

    class Meta:
        model = ProviderService
        fields = ["q", "category", "provider"]

    def search(self, queryset: QuerySet[ProviderService], name: str, value: Any) -> QuerySet[ProviderService]:
        text = _clean(value)
        if not text:
            return queryset
        return queryset.filter(
            Q(name__icontains=text)
            | Q(description__icontains=text)
            | Q(provider__organization__name__icontains=text)
        )
