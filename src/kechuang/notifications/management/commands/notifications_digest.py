"""``kechuang notifications-digest``: send each user their daily digest of the notifications they
chose to receive by email once a day. Idempotent: at most one digest per user and day (a UNIQUE in
the database), so a second run the same day sends nothing again; what arrives later waits for the
next day's digest. Run it from the scheduler once a day, e.g. at 08:00
(docs/adr/0015-notification-channels.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kechuang.notifications.delivery import digest_run


class Command(BaseCommand):
    help = "发送每日通知汇总邮件；每人每天最多一封，可重复运行。"

    def handle(self, *args: Any, **options: Any) -> None:
        report = digest_run()
        self.stdout.write(
            f"每日汇总：新建 {report.created} 封，发送 {report.sent} 封，待重试 {report.retry} 封，"
            f"失败 {report.failed} 封，未发送 {report.skipped} 封，今日已发过 {report.already} 人。"
        )
