"""FilterSets shared by the web lists and the API.

``q`` is a full-text search: the engine's BM25 over segmented Chinese (published listings, ranked),
united with a plain substring match (which also finds the user's own drafts). Results with ``q`` come in
relevance order; without it, newest first.
"""

from __future__ import annotations

import logging
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from kechuang.core.filters import IdFilter
from kechuang.directory.models import TechnologyField

from .choices import AchievementStatus, CooperationMode, DemandStatus, Visibility
from .models import Achievement, Demand
from .workflow import ACHIEVEMENT_PUBLIC_STATUSES, DEMAND_PUBLIC_STATUSES

logger = logging.getLogger(__name__)
SEARCH_LIMIT = 200


def _clean(value: str) -> str:
    return (value or "").replace("\x00", "").strip()[:100]


# Up to this many documents in the engine, ``q`` also matches every listing by substring (a small
# district's whole catalogue); above it, only the listings the engine does not hold (see ``search``).
SEARCH_SUBSTRING_ALL_MAX = 50_000
SEARCH_UNHELD_LIMIT = 1000  # above it, the listings the engine does not hold: the most recent this many


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _engine_ranked_ids(kind: str, text: str) -> tuple[list[int], int]:
    """The engine's best ``SEARCH_LIMIT`` listings of ``kind`` for ``text``, and how many documents the
    engine holds (0 when it failed: then the substring match answers alone, over every listing)."""
    from . import matching

    try:
        engine = matching.get_engine()
        hits = engine.search(text, k=SEARCH_LIMIT, kinds=(kind,))
        indexed = len(engine)
    except Exception:  # the lexical fallback below still answers
        logger.exception("matching: list search failed")
        return [], 0
    ids = []
    for hit in hits:
        try:
            ids.append(matching.parse_doc_id(hit.id)[1])
        except ValueError:
            continue
    return ids, indexed


class ListingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search", max_length=100)
    field = django_filters.ModelChoiceFilter(
        label=_("技术领域"),
        queryset=TechnologyField.objects.all(),
        to_field_name="code",
        method="filter_field",
    )
    visibility = django_filters.ChoiceFilter(label=_("公开范围"), choices=Visibility.choices)
    organization = IdFilter(label=_("机构"), field_name="organization_id")

    KIND = ""
    PUBLIC_STATUSES: frozenset[str] = frozenset()  # the statuses whose listings the engine holds
    search_capped = 0  # set by ``search`` when the published matches are only the engine's best

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = _clean(value)
        if not text:
            return queryset
        ranked, indexed = _engine_ranked_ids(self.KIND, text)
        plain = (
            Q(title__icontains=text)
            | Q(summary__icontains=text)
            | Q(keywords__icontains=text)
            | Q(organization__name__icontains=text)
        )
        if indexed > _setting("SEARCH_SUBSTRING_ALL_MAX", SEARCH_SUBSTRING_ALL_MAX):
            # A city-scale catalogue. Joined with the organization and OR-ed with the ranked keys, the
            # substring match makes PostgreSQL read every listing: 13 to 21 s at a million. It then
            # covers only the listings the engine does not hold (drafts, under review, archived),
            # found through the status index by a statuses list (a negated one would not use it),
            # and the published ones come from the engine's ranking; the keys of both then select the
            # rows by primary key (docs/adr/0030-engine-at-city-scale.md, "The list search at city
            # scale").
            held = set(self.PUBLIC_STATUSES)
            others = [v for v, _label in queryset.model._meta.get_field("status").choices if v not in held]
            unheld = list(
                queryset.filter(plain, status__in=others)
                .order_by("-updated_at", "-id")
                .values_list("pk", flat=True)[:SEARCH_UNHELD_LIMIT]
            )
            if len(ranked) >= SEARCH_LIMIT or len(unheld) >= SEARCH_UNHELD_LIMIT:
                self.search_capped = SEARCH_LIMIT  # the list says it shows the most relevant only
            qs = queryset.filter(pk__in=[*ranked, *unheld])
        else:
            qs = queryset.filter(Q(pk__in=ranked) | plain)
        if ranked:
            order = Case(
                *[When(pk=pk, then=Value(i)) for i, pk in enumerate(ranked)],
                default=Value(len(ranked)),
                output_field=IntegerField(),
            )
            qs = qs.annotate(search_rank=order)
        else:
            qs = qs.annotate(search_rank=Value(0, output_field=IntegerField()))
        return qs

    def filter_field(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        if not value:
            return queryset
        ids = list(
            queryset.model.fields.through.objects.filter(
                Q(technologyfield=value) | Q(technologyfield__parent=value)
            ).values_list(f"{queryset.model._meta.model_name}_id", flat=True)
        )
        return queryset.filter(pk__in=ids)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        qs = super().filter_queryset(queryset)
        if _clean(self.form.cleaned_data.get("q") or "") and "search_rank" in qs.query.annotations:
            return qs.order_by("search_rank", "-published_at", "-id")
        return qs.order_by("-published_at", "-updated_at", "-id")


class AchievementFilter(ListingFilter):
    KIND = "achievement"
    PUBLIC_STATUSES = ACHIEVEMENT_PUBLIC_STATUSES

    status = django_filters.ChoiceFilter(label=_("状态"), choices=AchievementStatus.choices)
    trl_min = django_filters.NumberFilter(
        label=_("成熟度不低于"), field_name="trl", lookup_expr="gte", min_value=1, max_value=9
    )
    transfer_mode = django_filters.ChoiceFilter(
        label=_("转化方式"), choices=CooperationMode.choices, method="filter_mode"
    )

    class Meta:
        model = Achievement
        fields = ["q", "field", "status", "trl_min", "transfer_mode", "visibility", "organization"]

    def filter_mode(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value:
            return queryset
        # JSON containment is not portable to SQLite; a quoted substring of the JSON text is.
        return queryset.filter(transfer_modes__icontains=f'"{value}"')


class DemandFilter(ListingFilter):
    KIND = "demand"
    PUBLIC_STATUSES = DEMAND_PUBLIC_STATUSES

    status = django_filters.ChoiceFilter(label=_("状态"), choices=DemandStatus.choices)
    trl_max = django_filters.NumberFilter(
        label=_("要求成熟度不高于"), field_name="trl_required", lookup_expr="lte", min_value=1, max_value=9
    )
    cooperation_mode = django_filters.ChoiceFilter(
        label=_("合作方式"), choices=CooperationMode.choices, method="filter_mode"
    )

    class Meta:
        model = Demand
        fields = ["q", "field", "status", "trl_max", "cooperation_mode", "visibility", "organization"]

    def filter_mode(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value:
            return queryset
        return queryset.filter(cooperation_modes__icontains=f'"{value}"')
