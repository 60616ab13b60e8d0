"""``kechuang vouchers-expire``: expire vouchers past their date and return what is unused to the budget.

Idempotent (each return is keyed by the voucher and its account's line count); run daily by a timer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core.money import format_fen
from kechuang.vouchers.services import vouchers_expire_due


class Command(BaseCommand):
    help = "创新券到期处理：取消未交付的订单，收回未使用额度到批次预算（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", default=None, help="按指定日期处理（YYYY-MM-DD，默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as error:
                raise CommandError("日期格式应为 YYYY-MM-DD。") from error
        result = vouchers_expire_due(today=today)
        self.stdout.write(
            self.style.SUCCESS(
                f"到期 {result['expired']} 张，收回额度 {format_fen(result['returned_fen'])}。"
            )
        )
