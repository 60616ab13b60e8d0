"""``kechuang load-calendar``: load the official holiday and 调休 calendars
(servicedesk/data/holidays_cn.yaml, or ``--file`` in the same format) into the editable working-day
calendar, and mark the file's years as loaded in full. Idempotent; days an operator changed are kept
unless --replace."""

from __future__ import annotations

from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.servicedesk.services import calendar_load
from kechuang.servicedesk.workcalendar import ensure_default_policies, parse_calendar_file


class Command(BaseCommand):
    help = "载入国务院办公厅公布的节假日与调休安排（可重复运行；已修改的日期默认保留）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--replace", action="store_true", help="用文件内容覆盖已修改的日期")
        parser.add_argument("--year", type=int, action="append", help="只载入指定年份（可重复）")
        parser.add_argument(
            "--file",
            default=None,
            help="从指定文件导入（格式同 servicedesk/data/holidays_cn.yaml），默认用内置文件",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from kechuang.servicedesk.models import SlaPolicy

        path = options["file"]
        try:
            parse_calendar_file(path)
        except OSError as error:
            raise CommandError(f"无法读取日历文件：{error}") from error
        except (ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError) as error:
            raise CommandError(f"日历文件有误：{error}") from error
        years = set(options["year"]) if options["year"] else None
        counts = calendar_load(actor=None, replace=options["replace"], years=years, path=path)
        created_policies = ensure_default_policies(SlaPolicy)
        self.stdout.write(
            f"工作日历：新增 {counts['created']} 天，更新 {counts['updated']} 天，"
            f"保持不变 {counts['unchanged']} 天"
            + (f"；补充默认服务时限 {created_policies} 类" if created_policies else "")
            + (
                f"；确认录入完整的年份：{'、'.join(str(y) for y in counts['years'])}"
                if counts.get("years")
                else ""
            )
            + "。"
        )
