"""``kechuang notifications-deliver``: send every email and work-chat copy of a notification whose
attempt is due (new ones the task worker has not taken, and retries after a failure), and retry due
daily digests. Idempotent: a delivery is claimed before it is sent, so running it twice, or beside the
worker, sends each message once. Run it from the scheduler every minute or few
(docs/adr/0015-notification-channels.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kechuang.notifications.delivery import deliver_due


class Command(BaseCommand):
    help = "发送到期的邮件和工作群通知（含失败后的重试）；可重复运行，每条消息只发送一次。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="本次最多处理的条数（默认 500）")

    def handle(self, *args: Any, **options: Any) -> None:
        report = deliver_due(limit=max(1, options["limit"]))
        self.stdout.write(
            f"通知投递：发送 {report.sent} 条，待重试 {report.retry} 条，失败 {report.failed} 条，"
            f"未发送 {report.skipped} 条。"
        )
