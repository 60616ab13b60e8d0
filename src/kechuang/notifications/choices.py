"""Choices of the notification channels (docs/adr/0015-notification-channels.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    WEBHOOK = "webhook", _("工作群")


class Timing(models.TextChoices):
    IMMEDIATE = "immediate", _("立即")
    DIGEST = "digest", _("每日汇总")


class EmailMode(models.TextChoices):
    """What a user wants by email for one group of notifications."""

    IMMEDIATE = "immediate", _("立即发送")
    DIGEST = "digest", _("每日汇总")
    OFF = "off", _("不发送")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    RETRY = "retry", _("待重试")
    FAILED = "failed", _("失败")
    SKIPPED = "skipped", _("未发送")


class WebhookFlavor(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class WebhookFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown 消息")
    TEXT = "text", _("文本消息")
