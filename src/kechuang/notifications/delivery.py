"""Sending the email and work-chat copies of notifications, with retries, and the daily digests.

A delivery (or a digest) is claimed before it is sent by one conditional update that also moves its
next attempt a lease ahead (``… WHERE status IN (pending, retry) AND next_attempt_at <= now``): of two
workers, or a worker and ``kechuang notifications-deliver``, one sends and the other finds nothing to
claim; a worker that dies mid-send leaves the delivery to be claimed again when the lease runs out. A
failure moves it to ``retry`` with the next delay of ``NOTIFICATIONS_RETRY_SECONDS``, and after the last
delay to ``failed``. Nothing here changes a notification (docs/adr/0015-notification-channels.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import channels, kinds
from .choices import Channel, DeliveryStatus, Timing
from .models import Delivery, DigestEmail, Notification, NotificationSettings

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.RETRY)


class Skip(Exception):
    """Nothing to send any more (no address, group switched off): recorded, not retried."""


@dataclass
class Outcome:
    status: str
    next_attempt_at: dt.datetime | None = None


@dataclass
class DeliverReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    retry_at: list[tuple[int, dt.datetime]] = field(default_factory=list)

    def add(self, pk: int, outcome: Outcome | None) -> None:
        if outcome is None:
            return
        if outcome.status == DeliveryStatus.SENT:
            self.sent += 1
        elif outcome.status == DeliveryStatus.RETRY:
            self.retry += 1
            if outcome.next_attempt_at is not None:
                self.retry_at.append((pk, outcome.next_attempt_at))
        elif outcome.status == DeliveryStatus.FAILED:
            self.failed += 1
        elif outcome.status == DeliveryStatus.SKIPPED:
            self.skipped += 1


def _claim(model: Any, pk: int, now: dt.datetime) -> bool:
    return (
        model.objects.filter(pk=pk, status__in=CLAIMABLE, next_attempt_at__lte=now).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
        == 1
    )


def _after_failure(
    model: Any, pk: int, attempts: int, error: channels.DeliveryError, now: dt.datetime
) -> Outcome:
    delays = list(settings.NOTIFICATIONS_RETRY_SECONDS)
    message = str(error)[:500]
    if error.permanent or attempts > len(delays):
        model.objects.filter(pk=pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=message
        )
        logger.warning(
            "notifications: %s %s given up after %s attempts: %s", model.__name__, pk, attempts, message
        )
        return Outcome(DeliveryStatus.FAILED)
    when = now + dt.timedelta(seconds=delays[attempts - 1])
    model.objects.filter(pk=pk).update(status=DeliveryStatus.RETRY, next_attempt_at=when, last_error=message)
    logger.info(
        "notifications: %s %s failed (attempt %s), retry at %s: %s",
        model.__name__,
        pk,
        attempts,
        when,
        message,
    )
    return Outcome(DeliveryStatus.RETRY, when)


def _language(user: Any) -> str:
    from .services import language_of

    try:
        row = user.notification_settings
    except NotificationSettings.DoesNotExist:
        row = None
    return language_of(row)


# --- one notification on one channel ----------------------------------------------------------------


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> Outcome | None:
    """Claim and send one due delivery; None when there was nothing to claim (sent, not yet due, or
    another worker has it)."""
    now = now or timezone.now()
    if not _claim(Delivery, delivery_id, now):
        return None
    delivery = Delivery.objects.select_related(
        "notification__recipient__notification_settings", "target"
    ).get(pk=delivery_id)
    try:
        _send(delivery)
    except Skip as reason:
        Delivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.SKIPPED, next_attempt_at=None, last_error=str(reason)[:500]
        )
        return Outcome(DeliveryStatus.SKIPPED)
    except channels.DeliveryError as error:
        return _after_failure(Delivery, delivery_id, delivery.attempts, error, now)
    except Exception as error:  # a bug must not stop the other deliveries; retried like a failure
        logger.exception("notifications: delivery %s failed unexpectedly", delivery_id)
        return _after_failure(
            Delivery, delivery_id, delivery.attempts, channels.DeliveryError(type(error).__name__), now
        )
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    return Outcome(DeliveryStatus.SENT)


def _send(delivery: Delivery) -> None:
    notification = delivery.notification
    user = notification.recipient
    if not user.is_active:
        raise Skip(_("账号已停用"))
    group = kinds.group_for(notification.kind)
    with translation.override(_language(user)):
        label = str(group.label)
        if delivery.channel == Channel.EMAIL:
            if not user.email:
                raise Skip(_("账号没有登记邮箱"))
            subject, text = channels.email_compose(
                title=notification.title, body=notification.body, url=notification.url, group_label=label
            )
            channels.email_send(to=user.email, subject=subject, text=text)
            return
        target = delivery.target
        if target is None or not target.is_active:
            raise Skip(_("工作群已停用或已删除"))
        channels.webhook_send(target, title=notification.title, group_label=label, url=notification.url)


def deliver_notifications(notification_ids: list[int]) -> DeliverReport:
    """Send the due immediate deliveries of these notifications (what the task worker runs)."""
    report = DeliverReport()
    ids = list(
        Delivery.objects.filter(
            notification_id__in=notification_ids, timing=Timing.IMMEDIATE, status__in=CLAIMABLE
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        report.add(pk, deliver(pk))
    return report


def deliver_ids(delivery_ids: list[int]) -> DeliverReport:
    report = DeliverReport()
    for pk in delivery_ids:
        report.add(pk, deliver(pk))
    return report


def deliver_due(*, now: dt.datetime | None = None, limit: int = 500) -> DeliverReport:
    """Every delivery and digest whose attempt is due (``kechuang notifications-deliver``)."""
    now = now or timezone.now()
    report = DeliverReport()
    due = Delivery.objects.filter(status__in=CLAIMABLE, next_attempt_at__lte=now)
    for pk in list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        report.add(pk, deliver(pk, now=now))
    digests = DigestEmail.objects.filter(status__in=CLAIMABLE, next_attempt_at__lte=now)
    for pk in list(digests.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]):
        report.add(pk, digest_deliver(pk, now=now))
    return report


# --- the daily digest ----------------------------------------------------------------------------------


@dataclass
class DigestReport:
    created: int = 0
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    already: int = 0


def _waiting() -> Any:
    return Delivery.objects.filter(
        channel=Channel.EMAIL, timing=Timing.DIGEST, status=DeliveryStatus.PENDING, digest__isnull=True
    )


def digest_run(*, now: dt.datetime | None = None) -> DigestReport:
    """Each user with digest items waiting gets today's digest, once: a second run the same day finds
    the day's digest made and leaves later items for tomorrow's (``kechuang notifications-digest``).
    Items the user has already read in the platform are left out."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    report = DigestReport()
    user_ids = sorted(set(_waiting().values_list("notification__recipient_id", flat=True)))
    done_today = set(
        DigestEmail.objects.filter(day=day, user_id__in=user_ids).values_list("user_id", flat=True)
    )
    for user_id in user_ids:
        if user_id in done_today:
            report.already += 1
            continue
        # what the user has already read in the platform need not be mailed to them
        _waiting().filter(notification__recipient_id=user_id, notification__read_at__isnull=False).update(
            status=DeliveryStatus.SKIPPED, last_error=_("已在站内阅读")
        )
        if not _waiting().filter(notification__recipient_id=user_id).exists():
            report.skipped += 1
            continue
        try:
            with transaction.atomic():
                digest = DigestEmail.objects.create(
                    user_id=user_id, day=day, status=DeliveryStatus.PENDING, next_attempt_at=now
                )
                count = _waiting().filter(notification__recipient_id=user_id).update(digest=digest)
                DigestEmail.objects.filter(pk=digest.pk).update(item_count=count)
        except IntegrityError:  # another run made today's digest for this user a moment ago
            report.already += 1
            continue
        report.created += 1
        outcome = digest_deliver(digest.pk, now=now)
        if outcome is not None:
            status = outcome.status
            report.sent += status == DeliveryStatus.SENT
            report.retry += status == DeliveryStatus.RETRY
            report.failed += status == DeliveryStatus.FAILED
            report.skipped += status == DeliveryStatus.SKIPPED
    return report


def digest_deliver(digest_id: int, *, now: dt.datetime | None = None) -> Outcome | None:
    """Claim and send one digest; its deliveries follow it (sent, or skipped with it)."""
    now = now or timezone.now()
    if not _claim(DigestEmail, digest_id, now):
        return None
    digest = DigestEmail.objects.select_related("user__notification_settings").get(pk=digest_id)
    try:
        _send_digest(digest)
    except Skip as reason:
        with transaction.atomic():
            DigestEmail.objects.filter(pk=digest_id).update(
                status=DeliveryStatus.SKIPPED, next_attempt_at=None, last_error=str(reason)[:500]
            )
            Delivery.objects.filter(digest_id=digest_id).update(
                status=DeliveryStatus.SKIPPED, last_error=str(reason)[:500]
            )
        return Outcome(DeliveryStatus.SKIPPED)
    except channels.DeliveryError as error:
        outcome = _after_failure(DigestEmail, digest_id, digest.attempts, error, now)
        if outcome.status == DeliveryStatus.FAILED:
            Delivery.objects.filter(digest_id=digest_id).update(
                status=DeliveryStatus.FAILED, last_error=str(error)[:500]
            )
        return outcome
    except Exception as error:
        logger.exception("notifications: digest %s failed unexpectedly", digest_id)
        return _after_failure(
            DigestEmail, digest_id, digest.attempts, channels.DeliveryError(type(error).__name__), now
        )
    sent_at = timezone.now()
    with transaction.atomic():
        DigestEmail.objects.filter(pk=digest_id).update(
            status=DeliveryStatus.SENT, sent_at=sent_at, next_attempt_at=None, last_error=""
        )
        Delivery.objects.filter(digest_id=digest_id).update(
            status=DeliveryStatus.SENT, sent_at=sent_at, last_error=""
        )
    return Outcome(DeliveryStatus.SENT)


def _send_digest(digest: DigestEmail) -> None:
    user = digest.user
    if not user.is_active:
        raise Skip(_("账号已停用"))
    if not user.email:
        raise Skip(_("账号没有登记邮箱"))
    notifications = list(
        Notification.objects.filter(deliveries__digest=digest)
        .order_by("created_at", "pk")
        .only("kind", "title", "url", "created_at")
    )
    if not notifications:
        raise Skip(_("没有需要汇总的通知"))
    with translation.override(_language(user)):
        by_group: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for notification in notifications:
            group = kinds.group_for(notification.kind)
            by_group[group.key].append(
                {
                    "time": f"{timezone.localtime(notification.created_at):%m-%d %H:%M}",
                    "title": notification.title,
                    "url": notification.url,
                }
            )
        sections = [(str(g.label), by_group[g.key]) for g in kinds.ALL_GROUPS if g.key in by_group]
        subject, text = channels.digest_compose(day=digest.day, sections=sections, count=len(notifications))
    channels.email_send(to=user.email, subject=subject, text=text)


def status_counts() -> dict[str, int]:
    """Deliveries by status, for the operators' page."""
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    for status, n in Delivery.objects.order_by().values_list("status").annotate(n=Count("pk")):
        counts[status] = n
    return counts
