"""``kechuang challenges-close-due``: close applications of published challenges whose deadline has passed.

Idempotent; run daily by a timer. A challenge nobody applied to stays published and is listed, so an
operator can extend or withdraw it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.challenges.services import challenges_close_due


class Command(BaseCommand):
    help = "揭榜截止处理：截止日期已过的榜单截止报名、进入评审（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", default=None, help="按指定日期处理（YYYY-MM-DD，默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError("日期格式应为 YYYY-MM-DD。") from error
        result = challenges_close_due(today=today)
        self.stdout.write(self.style.SUCCESS(f"截止报名 {len(result['closed'])} 张榜单。"))
        if result["empty"]:
            self.stdout.write(f"无人揭榜、需运营人员延期或撤回：{'、'.join(result['empty'])}")
