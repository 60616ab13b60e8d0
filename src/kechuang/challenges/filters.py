"""FilterSets shared by the challenge pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import ApplicationStatus, ChallengeStatus, IssuerKind
from .models import Application, Challenge


def _clean(value: Any) -> str:
    return str(value or "").replace("\x00", "").strip()[:60]


def _styled(form: Any) -> None:
    for field in form.fields.values():
        css = (
            "form-select"
            if getattr(field.widget, "input_type", "") == "select"
            or field.widget.__class__.__name__.endswith("Select")
            else "form-control"
        )
        field.widget.attrs.setdefault("class", css)


class ChallengeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="search", max_length=60)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ChallengeStatus.choices)
    issuer_kind = django_filters.ChoiceFilter(label=_("发榜类型"), choices=IssuerKind.choices)
    field = django_filters.CharFilter(label=_("技术领域"), method="by_field", max_length=40)

    class Meta:
        model = Challenge
        fields = ["q", "status", "issuer_kind", "field"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self.form)

    def search(self, qs: QuerySet[Challenge], name: str, value: Any) -> QuerySet[Challenge]:
        text = _clean(value)
        if not text:
            return qs
        return qs.filter(
            Q(title__icontains=text)
            | Q(problem__icontains=text)
            | Q(code__iexact=text)
            | Q(issuer__name__icontains=text)
        )

    def by_field(self, qs: QuerySet[Challenge], name: str, value: Any) -> QuerySet[Challenge]:
        code = _clean(value)
        return qs.filter(fields__code=code).distinct() if code else qs


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ApplicationStatus.choices)
    challenge = django_filters.CharFilter(label=_("榜单编号"), method="by_challenge", max_length=20)

    class Meta:
        model = Application
        fields = ["status", "challenge"]

    def by_challenge(self, qs: QuerySet[Application], name: str, value: Any) -> QuerySet[Application]:
        code = _clean(value)
        return qs.filter(challenge__code=code) if code else qs
