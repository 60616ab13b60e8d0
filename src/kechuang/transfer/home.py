"""The transfer platform's panels on each role's home page (registered in TransferConfig.ready)."""

from __future__ import annotations

from typing import Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from kechuang.core.figures import cached_figures
from kechuang.core.registry import HomePanel, HomeSection

from .choices import AchievementStatus, DealStage, DemandStatus, InterestStatus
from .models import Achievement, Deal, Demand, Interest
from .permissions import achievement_visible_to, demand_visible_to

TEMPLATE = "transfer/partials/home_panel.html"


def _panel(
    title: str, url: str, section: str, width: Literal["half", "full"] = "half", **context: Any
) -> HomePanel:
    return HomePanel(
        title=title, url=url, template=TEMPLATE, width=width, context={"section": section, **context}
    )


def transfer_home_panel(request: HttpRequest, role: str) -> HomeSection | None:
    from . import selectors

    user = request.user
    organization = getattr(request, "acting_organization", None)
    panels: list[HomePanel] = []
    if role == "enterprise" and organization is not None:
        demands = list(
            Demand.objects.filter(organization=organization)
            .exclude(status=DemandStatus.CLOSED)
            .select_related("organization__park")
            .prefetch_related("fields")
            .order_by("-updated_at")[:3]
        )
        ctx = selectors.MatchContext.load()  # one set of lookups for the three demands
        rows = [
            {
                "demand": d,
                "matches": selectors.demand_recommendations(
                    actor=user, demand=d, k=3, people=False, ctx=ctx
                ).primary,
            }
            for d in demands
        ]
        panels.append(
            _panel(
                _("我的技术需求与推荐成果"),
                reverse("transfer:my-listings"),
                "enterprise",
                width="full",
                rows=rows,
            )
        )
    elif role == "institute" and organization is not None:
        achievements = list(
            Achievement.objects.filter(organization=organization)
            .annotate(n_pending=Count("interests", filter=Q(interests__status=InterestStatus.PENDING)))
            .order_by("-updated_at")[:5]
        )
        interests = list(
            Interest.objects.filter(achievement__organization=organization, status=InterestStatus.PENDING)
            .select_related("organization", "achievement")
            .order_by("-created_at")[:5]
        )
        panels.append(
            _panel(
                _("我的科技成果"),
                reverse("transfer:my-listings"),
                "institute_achievements",
                achievements=achievements,
            )
        )
        panels.append(
            _panel(
                _("感兴趣的企业"),
                reverse("transfer:interest-inbox"),
                "institute_interests",
                interests=interests,
            )
        )
    elif role in ("operator", "leader"):
        if role == "operator":
            queue = selectors.review_queue(limit=5)
            items = sorted(
                queue["achievements"] + queue["demands"], key=lambda x: x.submitted_at or x.created_at
            )
            panels.append(
                _panel(
                    _("待审核的成果与需求"),
                    reverse("transfer:review-queue"),
                    "review",
                    items=items[:5],
                    total=queue["achievement_total"] + queue["demand_total"],
                )
            )
        counts = cached_figures(
            "transfer:deal-stage-counts",
            lambda: dict(Deal.objects.values_list("stage").annotate(n=Count("id"))),
        )
        stages = [{"label": label, "n": counts.get(value, 0)} for value, label in DealStage.choices]
        panels.append(
            _panel(
                _("项目对接"),
                reverse("transfer:deal-board"),
                "deals",
                stages=stages,
                matching_url=reverse("transfer:matching-board") if role == "operator" else "",
            )
        )
    else:
        latest = list(
            achievement_visible_to(user)
            .filter(status=AchievementStatus.PUBLISHED)
            .select_related("organization")
            .order_by("-published_at")[:5]
        )
        demands = list(
            demand_visible_to(user)
            .filter(status=DemandStatus.PUBLISHED)
            .select_related("organization")
            .order_by("-published_at")[:5]
        )
        panels.append(
            _panel(
                _("最新科技成果"),
                reverse("transfer:achievement-list"),
                "latest_achievements",
                items=latest,
            )
        )
        panels.append(
            _panel(_("最新技术需求"), reverse("transfer:demand-list"), "latest_demands", items=demands)
        )
    return HomeSection(panels=panels)
