"""``kechuang vouchers-monthly-batch``: gather the month's approved settlement claims into a batch.

Safe to rerun: claims already in a batch are not taken again, and an empty month creates nothing. The
batch is created by the system; a leader approves it and an operator records the payment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kechuang.core.money import format_fen
from kechuang.vouchers.services import batch_create, month_start


class Command(BaseCommand):
    help = "生成月度结算批次：汇总当月审核通过、尚未结算的申请（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", default=None, help="结算月份 YYYY-MM（默认上个月）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["month"]:
            try:
                period = dt.date.fromisoformat(options["month"] + "-01")
            except ValueError as error:
                raise CommandError("月份格式应为 YYYY-MM。") from error
        else:
            period = month_start(month_start(timezone.localdate()) - dt.timedelta(days=1))
        batch = batch_create(actor=None, period=period)
        if batch is None:
            self.stdout.write(f"{period:%Y-%m} 没有待结算的申请。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成结算批次 {batch.code}：{batch.claim_count} 笔，{format_fen(batch.total_fen)}，待领导审批。"
            )
        )
