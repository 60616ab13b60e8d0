"""Choices of the innovation-voucher module (创新券)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceCategory(models.TextChoices):
    TESTING = "testing", _("检验检测")
    IP = "ip", _("知识产权")
    LEGAL = "legal", _("法律服务")
    CONSULTING = "consulting", _("技术咨询")
    DESIGN = "design", _("工业设计")
    RESEARCH = "research", _("研发外包")
    INSTRUMENTS = "instruments", _("仪器共享")  # machine time and sample tests (docs/adr/0024-instruments.md)


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("已启用")
    CLOSED = "closed", _("已结束")


class ProviderStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已入驻")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待初审")
    REVIEWED = "reviewed", _("待领导审批")
    GRANTED = "granted", _("已发放")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


class VoucherStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已撤销")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("待机构接单")
    ACCEPTED = "accepted", _("服务中")
    DELIVERED = "delivered", _("待企业确认")
    CONFIRMED = "confirmed", _("已核销")
    DECLINED = "declined", _("机构拒单")
    CANCELLED = "cancelled", _("已取消")


OPEN_ORDER_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DELIVERED})


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("已退回")
    BATCHED = "batched", _("已纳入结算批次")
    PAID = "paid", _("已支付")


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("待审批")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已支付")
