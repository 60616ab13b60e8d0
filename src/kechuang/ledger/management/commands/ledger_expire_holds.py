"""``kechuang ledger-expire-holds``: release every hold past its time (idempotent; run by a timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kechuang.ledger.services import holds_expire_due


class Command(BaseCommand):
    help = "解冻所有已到期的资金冻结（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        count = holds_expire_due()
        self.stdout.write(self.style.SUCCESS(f"已解冻到期冻结 {count} 笔。"))
