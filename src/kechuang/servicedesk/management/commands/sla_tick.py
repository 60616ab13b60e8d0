"""``kechuang sla-tick``: remind commissioners of requests about to run out of time and escalate those
that have, to the responsible leader. Idempotent: run it from a timer (every 5–15 minutes); running it
twice in a row escalates and notifies once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.servicedesk.services import sla_tick


class Command(BaseCommand):
    help = "检查诉求时限：临期提醒专员，超时升级至包保领导并通知（可重复运行，不会重复升级或通知）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只列出将要提醒和升级的诉求，不做任何改动")
        parser.add_argument(
            "--now",
            default=None,
            help="按指定时间检查（ISO 8601，带时区，如 2026-10-09T15:00:00+08:00），用于补跑或演练",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError as error:
                raise CommandError(f"--now 不是有效的时间：{options['now']}") from error
            if now.tzinfo is None:
                raise CommandError("--now 需要带时区，例如 2026-10-09T15:00:00+08:00")
        report = sla_tick(now=now, dry_run=options["dry_run"])
        prefix = "（演练，未做改动）" if options["dry_run"] else ""
        self.stdout.write(f"{prefix}{report.summary()}")
        for code in report.escalated:
            self.stdout.write(f"  升级：{code}")
        for code in report.reminded:
            self.stdout.write(f"  提醒：{code}")
