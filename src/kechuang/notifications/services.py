"""Writes on notifications: sending (idempotent with a dedupe key, in each recipient's language, with
its copies by email and work chat planned in the same transaction), marking as read, a user's own
settings, and the operators' work-chat robots (docs/adr/0015-notification-channels.md)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit

from . import channels as outbound
from . import kinds
from .choices import Channel, DeliveryStatus, EmailMode, Timing, WebhookFlavor, WebhookFormat
from .models import Delivery, Notification, NotificationSettings, WebhookTarget
from .permissions import can_manage_webhooks, webhook_member_candidates
from .selectors import unread_changed
from .text import render

logger = logging.getLogger(__name__)


def organization_members(*organization_ids: int | None) -> Any:
    """Active users acting for any of these organizations (the usual recipients of a module's news)."""
    from django.contrib.auth import get_user_model

    ids = [i for i in organization_ids if i]
    return get_user_model().objects.filter(memberships__organization_id__in=ids, is_active=True).distinct()


# The roles that act for an organization itself: its own accounts. An institute's experts and researchers
# are members of it too, and hear only of what concerns them, not of each of the institute's listings,
# matches, applications and deals (issue 14 item 8).
DESK_ROLES = ("institute", "enterprise", "provider")


def organization_desk(*organization_ids: int | None, people: Iterable[int | None] = ()) -> Any:
    """Active users who answer for these organizations: members holding the organization's own role
    (院所, 企业, 服务机构) or its administrators, and ``people`` (e.g. whoever submitted the thing)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    ids = [i for i in organization_ids if i]
    named = [i for i in people if i]
    desk = Q(memberships__organization_id__in=ids) & (
        Q(groups__name__in=DESK_ROLES) | Q(memberships__is_admin=True)
    )
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(pk__in=users.filter(desk | Q(pk__in=named)).values("pk"))


def role_holders(role: str) -> Any:
    """Active users holding a role (a group), e.g. every operator."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=role, is_active=True).distinct()


# --- the language and channels of a recipient ------------------------------------------------------


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


def language_of(user_settings: NotificationSettings | None) -> str:
    """The language a user reads notifications in: their own choice, else the site's default."""
    language = user_settings.language if user_settings is not None else ""
    return language if language in _languages() else settings.LANGUAGE_CODE


def _with_settings(recipients: Iterable[Any]) -> tuple[Iterable[Any], bool]:
    """A queryset of users brings each one's settings and work-chat group in the same query (and
    they are fresh); users passed in a list get theirs read by :func:`_settings_by_user`."""
    if isinstance(recipients, QuerySet) and recipients._iterable_class is ModelIterable:
        from django.contrib.auth import get_user_model

        if recipients.model is get_user_model():
            return recipients.select_related("notification_settings__webhook_target"), True
    return recipients, False


def _settings_by_user(users: dict[int, Any], *, loaded: bool) -> dict[int, NotificationSettings | None]:
    """Each user's settings row (None without one): as loaded with the users, else in one query."""
    if loaded:
        return {pk: getattr(user, "notification_settings", None) for pk, user in users.items()}
    rows = NotificationSettings.objects.filter(user_id__in=list(users)).select_related("webhook_target")
    found = {row.user_id: row for row in rows}
    return {pk: found.get(pk) for pk in users}


# --- sending -----------------------------------------------------------------------------------------


def notification_send(
    *, recipients: Iterable[Any], kind: str, title: Any, body: Any = "", url: str = "", dedupe_key: str = ""
) -> list[Notification]:
    """Send one notification to each recipient; with a dedupe key, a recipient gets it at most once.

    ``title`` and ``body`` are lazy text (``gettext_lazy``, :func:`kechuang.notifications.text.lazy_text`)
    rendered for each recipient in the recipient's language; plain strings are stored as they are.

    The in-platform rows are written in the caller's transaction: who already has this key, then one
    insert that the database lets skip a row a concurrent sender has just written (the partial UNIQUE
    on recipient and key). Two queries for a queryset of recipients, which brings their settings
    along; one more for a list. The copies by email and work chat are then planned by
    :func:`_plan_deliveries`, which can never undo the rows or raise into the caller. Returns the
    notifications written, less any such concurrent duplicate.
    """
    users: dict[int, Any] = {}
    recipients, loaded = _with_settings(recipients)
    for user in recipients:
        if user is None or user.pk in users or not getattr(user, "is_active", True):
            continue
        users[user.pk] = user
    if dedupe_key and users:
        have = set(
            Notification.objects.filter(
                recipient_id__in=list(users), dedupe_key=dedupe_key[:120]
            ).values_list("recipient_id", flat=True)
        )
        users = {pk: u for pk, u in users.items() if pk not in have}
    if not users:
        return []
    user_settings = _settings_by_user(users, loaded=loaded)
    rendered: dict[str, tuple[str, str]] = {}
    rows = []
    for pk, user in users.items():
        language = language_of(user_settings[pk])
        if language not in rendered:
            rendered[language] = (render(title, language)[:200], render(body, language)[:2000])
        text_title, text_body = rendered[language]
        rows.append(
            Notification(
                recipient=user,
                kind=kind[:40],
                title=text_title,
                body=text_body,
                url=url[:300],
                dedupe_key=dedupe_key[:120],
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
    unread_changed(users)
    _plan_deliveries(rows, user_settings, kind=kind[:40], dedupe_key=dedupe_key[:120])
    return rows


def _plan_deliveries(
    rows: list[Notification],
    user_settings: dict[int, NotificationSettings | None],
    *,
    kind: str,
    dedupe_key: str,
) -> None:
    """One delivery per notification and outside channel the recipient wants for this kind, written in
    a savepoint of the caller's transaction and handed to the task worker once it commits.

    Email needs the channel configured (``NOTIFICATIONS_EMAIL``) and an address on the account; the
    work chat needs the user in an active group. When several recipients of one sending share a
    group, the group gets the message once (the others' deliveries are recorded as not sent). Any
    error here is logged and swallowed: the in-platform copy stays, whatever happens to its copies.
    """
    group = kinds.group_for(kind)
    wanted: list[tuple[Notification, str, str, WebhookTarget | None]] = []
    for row in rows:
        user = row.recipient
        row_settings = user_settings.get(user.pk)
        email_mode, webhook = kinds.choice(row_settings.channels if row_settings else None, group)
        if settings.NOTIFICATIONS_EMAIL and user.email and email_mode != EmailMode.OFF:
            wanted.append((row, Channel.EMAIL, email_mode, None))
        target = row_settings.webhook_target if row_settings is not None else None
        if webhook and target is not None and target.is_active:
            wanted.append((row, Channel.WEBHOOK, Timing.IMMEDIATE, target))
    if not wanted:
        return
    try:
        with transaction.atomic():
            if any(row.pk is None for row in rows):  # rows skipped by ignore_conflicts have no key
                ids = dict(
                    Notification.objects.filter(
                        recipient_id__in=[row.recipient_id for row in rows], dedupe_key=dedupe_key
                    ).values_list("recipient_id", "pk")
                )
                for row in rows:
                    row.pk = row.pk or ids.get(row.recipient_id)
            now = timezone.now()
            told_groups: set[int] = set()
            deliveries = []
            for row, channel, timing, target in wanted:
                if row.pk is None:
                    continue
                status, error = DeliveryStatus.PENDING, ""
                if target is not None:
                    if target.pk in told_groups:
                        status, error = DeliveryStatus.SKIPPED, _("同一工作群已收到这条消息")
                    told_groups.add(target.pk)
                immediate = timing == Timing.IMMEDIATE and status == DeliveryStatus.PENDING
                deliveries.append(
                    Delivery(
                        notification_id=row.pk,
                        channel=channel,
                        timing=timing,
                        target=target,
                        status=status,
                        last_error=error,
                        next_attempt_at=now if immediate else None,
                    )
                )
            Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    except Exception:
        logger.exception("notifications: could not plan the email and work-chat copies of %s", kind)
        return
    immediate_ids = sorted(
        {d.notification_id for d in deliveries if d.next_attempt_at is not None and d.notification_id}
    )
    if immediate_ids:
        transaction.on_commit(partial(enqueue_deliveries, immediate_ids), robust=True)


def enqueue_deliveries(notification_ids: list[int]) -> None:
    """Hand the immediate deliveries of these notifications to the task worker. If the queue cannot
    take them, ``kechuang notifications-deliver`` sends them on its next run."""
    from .tasks import deliver_notifications

    try:
        deliver_notifications.enqueue(notification_ids=notification_ids)
    except Exception:
        logger.exception("notifications: could not enqueue deliveries; `kechuang notifications-deliver` will")


# --- reading -------------------------------------------------------------------------------------------


def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    if notification.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        unread_changed([notification.recipient_id])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    count = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())
    unread_changed([actor.pk])
    if count:
        audit.record(
            "notification.read_all",
            actor=actor,
            object_type="notifications.notification",
            detail={"count": count},
        )
    return count


# --- a user's own settings ---------------------------------------------------------------------------


def _check_language(language: str) -> str:
    language = (language or "").strip()
    if language not in _languages():
        raise ValidationError({"language": _("请选择平台支持的语言。")})
    return language


def _signed_in(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "is_active", False):
        raise PermissionDenied


@transaction.atomic
def notification_settings_set(
    *, actor: Any, language: str, channels: dict[str, dict[str, Any]]
) -> NotificationSettings:
    """A user sets their own notification language and, per group of kinds, email (immediate, daily
    digest or off) and work chat (on or off). Groups not given keep their current choice."""
    _signed_in(actor)
    language = _check_language(language)
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(user=actor)
    merged = dict(row.channels or {})
    for key, choice in channels.items():
        if key not in kinds.BY_KEY or not isinstance(choice, dict):
            raise ValidationError({"channels": _("未知的通知类别：%(key)s") % {"key": key}})
        email = choice.get("email")
        if email not in EmailMode.values:
            raise ValidationError(
                {"channels": _("请为“%(group)s”选择邮件方式。") % {"group": kinds.BY_KEY[key].label}}
            )
        merged[key] = {"email": email, "webhook": bool(choice.get("webhook"))}
    row.language = language
    row.channels = merged
    row.save()
    audit.record(
        "notification.settings_set", actor=actor, obj=row, detail={"language": language, "channels": merged}
    )
    return row


@transaction.atomic
def notification_language_set(*, actor: Any, language: str) -> NotificationSettings | None:
    """Remember the language a signed-in user switched to, for the notifications they receive."""
    if not getattr(actor, "is_authenticated", False):
        return None
    language = _check_language(language)
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(user=actor)
    if row.language != language:
        row.language = language
        row.save(update_fields=["language", "updated_at"])
        audit.record("notification.language_set", actor=actor, obj=row, detail={"language": language})
    return row


# --- the operators' work-chat robots -------------------------------------------------------------------


def _clean(value: Any, *, field: str, label: str, max_length: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("%(label)s不能超过 %(n)s 个字符。") % {"label": label, "n": max_length}}
        )
    return text


@transaction.atomic
def webhook_target_save(
    *,
    actor: Any,
    target: WebhookTarget | None = None,
    name: str,
    flavor: str,
    message_format: str,
    url: str = "",
    secret: str = "",
    clear_secret: bool = False,
    is_active: bool = True,
    members: Iterable[Any] = (),
) -> WebhookTarget:
    """Create or change a work-chat robot and who is in its group. On a change, an empty address or
    secret keeps the saved one (they are credentials and are not shown again)."""
    if not can_manage_webhooks(actor):
        raise PermissionDenied
    name = _clean(name, field="name", label=_("名称"), max_length=60)
    if flavor not in WebhookFlavor.values:
        raise ValidationError({"flavor": _("请选择企业微信或钉钉。")})
    if message_format not in WebhookFormat.values:
        raise ValidationError({"message_format": _("请选择消息格式。")})
    url = _clean(url, field="url", label=_("Webhook 地址"), max_length=500, required=target is None)
    if url:
        try:
            outbound.webhook_check_url(url)
        except outbound.DeliveryError as error:
            raise ValidationError({"url": str(error)}) from error
    secret = _clean(secret, field="secret", label=_("加签密钥"), max_length=200, required=False)
    if secret and flavor != WebhookFlavor.DINGTALK:
        raise ValidationError({"secret": _("企业微信群机器人没有加签密钥，请留空。")})
    if secret and not secret.startswith("SEC"):
        raise ValidationError({"secret": _("钉钉的加签密钥以 SEC 开头，请从机器人安全设置中完整复制。")})

    people = {user.pk: user for user in members}
    allowed = set(webhook_member_candidates().filter(pk__in=list(people)).values_list("pk", flat=True))
    if set(people) - allowed:
        raise ValidationError({"members": _("工作群成员只能是在岗的运营人员、企业专员或班子领导。")})
    elsewhere = NotificationSettings.objects.filter(user_id__in=list(people), webhook_target__isnull=False)
    if target is not None:
        elsewhere = elsewhere.exclude(webhook_target=target)
    taken = list(elsewhere.select_related("user", "webhook_target").order_by("user_id"))
    if taken:
        names = "、".join(f"{row.user}（{row.webhook_target}）" for row in taken)
        raise ValidationError(
            {
                "members": _(
                    "以下人员已接入其他工作群：%(names)s。每人只接入一个工作群，请先在原工作群中移除。"
                )
                % {"names": names}
            }
        )

    created = target is None
    if target is None:
        target = WebhookTarget(created_by=actor)
    else:
        target = WebhookTarget.objects.select_for_update().get(pk=target.pk)
    before = set(target.members.values_list("user_id", flat=True)) if not created else set()
    target.name, target.flavor, target.message_format, target.is_active = (
        name,
        flavor,
        message_format,
        is_active,
    )
    if url:
        target.url = url
    if flavor != WebhookFlavor.DINGTALK or clear_secret:
        target.secret = ""
    if secret:
        target.secret = secret
    target.save()
    NotificationSettings.objects.filter(webhook_target=target).exclude(user_id__in=list(people)).update(
        webhook_target=None
    )
    for pk in sorted(set(people) - before):
        row, _created = NotificationSettings.objects.get_or_create(user_id=pk)
        row.webhook_target = target
        row.save(update_fields=["webhook_target", "updated_at"])
    audit.record(
        "notification.webhook_create" if created else "notification.webhook_update",
        actor=actor,
        obj=target,
        detail={
            "name": name,
            "flavor": flavor,
            "format": message_format,
            "host": outbound.webhook_host(target.url),
            "signed": bool(target.secret),
            "active": is_active,
            "members": sorted(people),
        },
    )
    return target


def webhook_target_test(*, actor: Any, target: WebhookTarget) -> str:
    """Post a test message to the robot now; returns "" when it arrived, else the reason it did not."""
    if not can_manage_webhooks(actor):
        raise PermissionDenied
    error = ""
    try:
        outbound.webhook_send(
            target,
            title=_("测试消息：工作群机器人“%(name)s”已接通") % {"name": target.name},
            group_label=_("系统"),
            url="",
        )
    except outbound.DeliveryError as failure:
        error = str(failure)
    audit.record(
        "notification.webhook_test",
        actor=actor,
        obj=target,
        result="ok" if not error else "failed",
        detail={"error": error[:200]},
    )
    return error
