"""Choices of the challenge module (揭榜挂帅)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kechuang.core import panels as core_panels


class IssuerKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业出题")
    DISTRICT = "district", _("街区出题")


class ChallengeStatus(models.TextChoices):
    """draft → submitted → (operator review) → published (公示/揭榜中) → closed (截止报名) → reviewing
    (专家评审) → awarded (已定榜) → in_progress (攻关中) → completed (验收结题); withdrawn ends it early with
    a reason; rejected (未通过审核) carries the operator's reason back to the issuer, who may revise the
    challenge and submit it again."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("揭榜中")
    CLOSED = "closed", _("截止报名")
    REVIEWING = "reviewing", _("专家评审")
    AWARDED = "awarded", _("已定榜")
    IN_PROGRESS = "in_progress", _("攻关中")
    COMPLETED = "completed", _("验收结题")
    WITHDRAWN = "withdrawn", _("已撤回")
    REJECTED = "rejected", _("未通过审核")


# Statuses the public may see (the notice page and, once awarded, the progress page).
PUBLIC_STATUSES = frozenset(
    {
        ChallengeStatus.PUBLISHED,
        ChallengeStatus.CLOSED,
        ChallengeStatus.REVIEWING,
        ChallengeStatus.AWARDED,
        ChallengeStatus.IN_PROGRESS,
        ChallengeStatus.COMPLETED,
    }
)
AWARDED_STATUSES = frozenset(
    {ChallengeStatus.AWARDED, ChallengeStatus.IN_PROGRESS, ChallengeStatus.COMPLETED}
)


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    WITHDRAWN = "withdrawn", _("已撤回")
    IN_REVIEW = "in_review", _("评审中")
    WON = "won", _("揭榜成功")
    NOT_CHOSEN = "not_chosen", _("未入选")


# One status for every expert panel (the shape shared with the competitions, kechuang.core.panels).
PanelStatus = core_panels.PanelStatus


class AwardStatus(models.TextChoices):
    SIGNING = "signing", _("待签任务书")
    IN_PROGRESS = "in_progress", _("攻关中")
    ACCEPTED = "accepted", _("验收通过")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("进行中")
    DELIVERED = "delivered", _("待验收")
    ACCEPTED = "accepted", _("已验收")
    REQUESTED = "requested", _("待审批拨付")
    PAID = "paid", _("已拨付")
