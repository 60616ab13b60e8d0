"""``kechuang load-event-series``: load the district profile's brand events as event series (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from kechuang.events.services import series_load_from_profile


class Command(BaseCommand):
    help = "把街区配置中的品牌活动（district.events）载入为活动系列。可重复执行，不会产生重复记录。"

    def handle(self, *args: Any, **options: Any) -> None:
        created = series_load_from_profile(actor=None)
        self.stdout.write(f"活动系列：新增 {created} 个。")
