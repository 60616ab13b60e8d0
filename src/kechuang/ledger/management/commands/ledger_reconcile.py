"""``kechuang ledger-reconcile``: check every ledger invariant (docs/reliability.md G) and report each violation.

It never changes anything (a read-only transaction on PostgreSQL). Exit status 0 when everything
holds, 1 when anything is wrong; ``--json`` prints the report as JSON for a monitoring job.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from kechuang.ledger.reconcile import reconcile


class Command(BaseCommand):
    help = "账本对账：检查借贷平衡、缓存余额、冻结、幂等记录及各模块的限额，逐条报告问题，不做任何修改。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="以 JSON 输出报告")
        parser.add_argument(
            "--only", action="append", default=None, metavar="CHECK", help="只运行指定的检查（可重复）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile(only=options["only"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            self._print(report)
        if not report.ok:
            raise CommandError(f"账本对账发现 {report.violation_count} 处问题。", returncode=1)

    def _print(self, report: Any) -> None:
        self.stdout.write(
            f"账本对账 {timezone.localtime(report.started_at):%Y-%m-%d %H:%M:%S}（只读，不做任何修改）"
        )
        for result in report.results:
            mark = self.style.SUCCESS("✓") if result.ok else self.style.ERROR("✗")
            line = f"  {mark} {result.title}：检查 {result.checked:,} 项"
            if not result.ok:
                line += f"，发现 {result.count} 处问题"
            self.stdout.write(f"{line}（{result.seconds:.2f} 秒）")
            for violation in result.violations:
                self.stdout.write(f"      - {violation.subject}：{violation.message}")
            if result.count > len(result.violations):
                self.stdout.write(f"      …… 另有 {result.count - len(result.violations)} 处未列出")
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"      ! {warning}"))
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"结论：全部检查通过，用时 {report.seconds:.2f} 秒。"))
        else:
            self.stdout.write(
                self.style.ERROR(
                    f"结论：发现 {report.violation_count} 处问题，用时 {report.seconds:.2f} 秒。未做任何修改，请核查。"
                )
            )
