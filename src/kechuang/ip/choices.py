"""Choices of the intellectual-property module (docs/adr/0028-intellectual-property.md)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetKind(models.TextChoices):
    INVENTION = "invention", _("发明专利")
    UTILITY = "utility", _("实用新型")
    DESIGN = "design", _("外观设计")
    SOFTWARE = "software", _("软件著作权")
    IC_LAYOUT = "ic_layout", _("集成电路布图设计")
    PLANT_VARIETY = "plant_variety", _("植物新品种")


PATENT_KINDS = frozenset({AssetKind.INVENTION, AssetKind.UTILITY, AssetKind.DESIGN})


class LegalStatus(models.TextChoices):
    """The legal status as the patent office's search export words it (法律状态)."""

    FILED = "filed", _("申请中")
    PUBLISHED = "published", _("公开（实质审查中）")
    GRANTED = "granted", _("有效（已授权）")
    LAPSED = "lapsed", _("失效（未缴年费）")
    EXPIRED = "expired", _("失效（期限届满）")
    REJECTED = "rejected", _("驳回")
    WITHDRAWN = "withdrawn", _("撤回")
    INVALIDATED = "invalidated", _("宣告无效")


# A patent in force: the only status that can be licensed, pledged or counted as an owned patent.
IN_FORCE = frozenset({LegalStatus.GRANTED})
# Dead: open licences leave the listings, reminders stop.
DEAD = frozenset(
    {
        LegalStatus.LAPSED,
        LegalStatus.EXPIRED,
        LegalStatus.REJECTED,
        LegalStatus.WITHDRAWN,
        LegalStatus.INVALIDATED,
    }
)


class NationalAward(models.TextChoices):
    NONE = "", _("无")
    GOLD = "gold", _("中国专利金奖")
    SILVER = "silver", _("中国专利银奖")
    EXCELLENCE = "excellence", _("中国专利优秀奖")


class TransactionKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("转让")
    LICENCE_EXCLUSIVE = "licence_exclusive", _("独占许可")
    LICENCE_SOLE = "licence_sole", _("排他许可")
    LICENCE_ORDINARY = "licence_ordinary", _("普通许可")
    LICENCE_OPEN = "licence_open", _("开放许可")
    PLEDGE = "pledge", _("质押")


LICENCE_KINDS = frozenset(
    {
        TransactionKind.LICENCE_EXCLUSIVE,
        TransactionKind.LICENCE_SOLE,
        TransactionKind.LICENCE_ORDINARY,
        TransactionKind.LICENCE_OPEN,
    }
)
# Counted in 知识产权交易额 (a pledge is financing, counted in 质押融资额).
TRADE_KINDS = frozenset({TransactionKind.ASSIGNMENT, *LICENCE_KINDS})


class OpenLicenceStatus(models.TextChoices):
    PUBLISHED = "published", _("公开中")
    WITHDRAWN = "withdrawn", _("已撤回")
    ENDED = "ended", _("专利失效，已下架")


class ReminderKind(models.TextChoices):
    ANNUITY = "annuity", _("年费缴纳期限")
    GRACE = "grace", _("年费滞纳期")
    EXPIRY = "expiry", _("保护期届满")


class ServiceKind(models.TextChoices):
    """IP services bought with innovation vouchers (the vouchers' 知识产权 category)."""

    VALUATION = "valuation", _("价值评估")
    FTO = "fto", _("自由实施（FTO）分析")
    LANDSCAPE = "landscape", _("专利导航分析")
