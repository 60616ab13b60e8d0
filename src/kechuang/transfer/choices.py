"""Choices of the technology transfer platform (docs/design.md §3.2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    """Who may see a published listing. The owner organization and operators always see their own."""

    PUBLIC = "public", _("公开")
    MEMBERS = "members", _("注册用户可见")
    OPERATORS = "operators", _("保密（仅运营人员）")


class AchievementStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    PUBLISHED = "published", _("已发布")
    NEGOTIATING = "negotiating", _("洽谈中")
    TRANSFERRED = "transferred", _("已转化")
    ARCHIVED = "archived", _("已归档")


class DemandStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    PUBLISHED = "published", _("已发布")
    NEGOTIATING = "negotiating", _("对接中")
    SOLVED = "solved", _("已解决")
    CLOSED = "closed", _("已关闭")


class CooperationMode(models.TextChoices):
    """Transfer modes of an achievement and cooperation modes of a demand."""

    TRANSFER = "transfer", _("转让")
    LICENSE = "license", _("许可")
    EQUITY = "equity", _("作价入股")
    CO_DEVELOPMENT = "co_development", _("合作开发")
    COMMISSIONED = "commissioned", _("委托开发")
    SERVICE = "service", _("技术服务")


class IPKind(models.TextChoices):
    INVENTION = "invention", _("发明专利")
    UTILITY = "utility", _("实用新型专利")
    DESIGN = "design", _("外观设计专利")
    SOFTWARE = "software", _("软件著作权")
    LAYOUT = "layout", _("集成电路布图设计")
    KNOW_HOW = "know_how", _("技术秘密")


class InterestStatus(models.TextChoices):
    PENDING = "pending", _("待回复")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已婉拒")
    WITHDRAWN = "withdrawn", _("已撤回")


class DealStage(models.TextChoices):
    INTENT = "intent", _("意向")
    NEGOTIATION = "negotiation", _("洽谈")
    SIGNED = "signed", _("签约")
    REGISTERED = "registered", _("登记")
    IMPLEMENTING = "implementing", _("实施")
    ACCEPTED = "accepted", _("验收")
    TERMINATED = "terminated", _("终止")


# The pipeline in order (the board's columns); TERMINATED is off the pipeline.
DEAL_PIPELINE: tuple[str, ...] = (
    DealStage.INTENT,
    DealStage.NEGOTIATION,
    DealStage.SIGNED,
    DealStage.REGISTERED,
    DealStage.IMPLEMENTING,
    DealStage.ACCEPTED,
)


class DealNoteKind(models.TextChoices):
    NOTE = "note", _("备注")
    STAGE = "stage", _("阶段变更")
    SYSTEM = "system", _("系统")


class ContractType(models.TextChoices):
    """技术合同的五类 (技术合同认定登记管理办法)."""

    DEVELOPMENT = "development", _("技术开发")
    TRANSFER = "transfer", _("技术转让")
    LICENSE = "license", _("技术许可")
    CONSULTING = "consulting", _("技术咨询")
    SERVICE = "service", _("技术服务")


class AttachmentAccess(models.TextChoices):
    LISTING = "listing", _("随成果/需求公开")
    PARTIES = "parties", _("仅对接方（意向被接受后）")
