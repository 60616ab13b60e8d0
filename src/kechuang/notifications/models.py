"""In-platform notifications (a short message to one user, read or unread) and their copies by email
and work chat: the recipients' settings, the operators' work-chat robots, deliveries and daily digests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Channel, DeliveryStatus, Timing, WebhookFlavor, WebhookFormat


class Notification(models.Model):
    """One message for one user. ``dedupe_key`` makes a notification idempotent per recipient."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=40, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), max_length=2000, blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    dedupe_key = models.CharField(_("去重键"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class WebhookTarget(models.Model):
    """A work-chat group robot (企业微信 or 钉钉) that operators connect, with the staff in that group.

    The address carries the robot's key and the secret signs 钉钉 messages: both are credentials, shown
    masked after saving and never written to the audit log. Only hosts in
    ``settings.NOTIFICATIONS_WEBHOOK_HOSTS`` are accepted, when saved and again when sending.
    """

    name = models.CharField(_("名称"), max_length=60)
    flavor = models.CharField(_("类型"), max_length=20, choices=WebhookFlavor.choices)
    message_format = models.CharField(
        _("消息格式"), max_length=20, choices=WebhookFormat.choices, default=WebhookFormat.MARKDOWN
    )
    url = models.CharField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("工作群机器人")
        verbose_name_plural = _("工作群机器人")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class NotificationSettings(models.Model):
    """One user's notification settings: the language notifications are written in, the channels per
    group of kinds (``channels``: group key → ``{"email": "immediate|digest|off", "webhook": bool}``;
    a group not listed keeps its default, see ``kinds.py``) and the work-chat group they belong to
    (set by operators). A user without a row has the defaults and the site's language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("用户"),
    )
    language = models.CharField(_("通知语言"), max_length=10, blank=True)
    channels = models.JSONField(_("通知方式"), default=dict, blank=True)
    webhook_target = models.ForeignKey(
        WebhookTarget,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("工作群"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return str(self.user)


class DigestEmail(models.Model):
    """One user's daily digest: at most one per user and local day (the UNIQUE makes the digest
    command idempotent, also when two run at once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("接收人")
    )
    day = models.DateField(_("日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    item_count = models.PositiveIntegerField(_("条数"), default=0)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("每日汇总邮件")
        verbose_name_plural = _("每日汇总邮件")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_day")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.day}"


class Delivery(models.Model):
    """One notification on one outside channel: pending → sent, or retried with backoff until it is
    sent or given up (failed). The notification itself is never touched by a delivery."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("通知")
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    timing = models.CharField(_("时机"), max_length=10, choices=Timing.choices, default=Timing.IMMEDIATE)
    target = models.ForeignKey(
        WebhookTarget,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("工作群"),
    )
    digest = models.ForeignKey(
        DigestEmail,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("汇总邮件"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("通知投递")
        verbose_name_plural = _("通知投递")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.channel} {self.status}"
