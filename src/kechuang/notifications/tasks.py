"""Background work of notifications (django-tasks; ``kechuang db_worker`` runs them).

``deliver_notifications`` is enqueued when a sending commits; a failed delivery is tried again by a
task deferred to its next attempt where the backend can defer (the database backend), and in any case
by ``kechuang notifications-deliver``, which the scheduler runs (docs/adr/0015-notification-channels.md).
"""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


def _defer_retries(report: object) -> None:
    retry_at = getattr(report, "retry_at", [])
    if not retry_at:
        return
    try:
        if not deliver_again.get_backend().supports_defer:
            return
        for pk, when in retry_at:
            deliver_again.using(run_after=when).enqueue(delivery_ids=[pk])
    except Exception:
        logger.exception("notifications: could not defer retries; `kechuang notifications-deliver` will")


@task()
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Send the email and work-chat copies of these notifications that are due now."""
    from .delivery import deliver_notifications as run

    report = run(notification_ids)
    _defer_retries(report)
    return {"sent": report.sent, "retry": report.retry, "failed": report.failed, "skipped": report.skipped}


@task()
def deliver_again(delivery_ids: list[int]) -> dict[str, int]:
    """A retry that has come due (a no-op when ``notifications-deliver`` got there first)."""
    from .delivery import deliver_ids

    report = deliver_ids(delivery_ids)
    _defer_retries(report)
    return {"sent": report.sent, "retry": report.retry, "failed": report.failed, "skipped": report.skipped}
