"""``kechuang ledger-bench``: postings per second with 1 and 8 concurrent clients (separate processes),
then the time of a full ``ledger-reconcile`` over everything in the database.

The postings are real and stay in the ledger: run it on a copy of the database (see ``ledger.bench``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from kechuang.ledger import bench
from kechuang.ledger.models import JournalLine
from kechuang.ledger.reconcile import reconcile


class Command(BaseCommand):
    help = "账本基准测试：1 个与 8 个并发客户端每秒记账笔数，以及全量对账用时（会写入测试凭证，请在数据库副本上运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", default="1,8", help="并发客户端数，逗号分隔（默认 1,8）")
        parser.add_argument("--postings", type=int, default=1000, help="每个客户端的记账笔数（默认 1000）")
        parser.add_argument("--accounts", type=int, default=50, help="每个客户端的账户数（默认 50）")
        parser.add_argument(
            "--contention",
            choices=["low", "high"],
            default="low",
            help="low：各客户端用各自的账户；high：所有客户端争用同一组账户",
        )
        parser.add_argument("--no-reconcile", action="store_true", help="不做全量对账计时")
        parser.add_argument(
            "--without-audit",
            action="store_true",
            help="诊断用：不写审计记录，测量审计哈希链对吞吐的影响（生产中每笔记账都写审计）",
        )
        parser.add_argument("--yes", action="store_true", help="确认在当前数据库写入测试凭证")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError(
                "基准测试会向账本写入不可删除的测试凭证。请在数据库副本上运行，并加 --yes 确认。"
            )
        try:
            counts = [int(c) for c in options["clients"].split(",") if c.strip()]
        except ValueError as error:
            raise CommandError("--clients 应为逗号分隔的整数，例如 1,8") from error
        database = settings.DATABASES["default"]
        self.stdout.write(
            f"数据库：{connection.vendor} {database.get('NAME')}；已有分录 "
            f"{JournalLine.objects.count():,} 行；争用：{options['contention']}"
            f"{'；不写审计（诊断）' if options['without_audit'] else ''}"
        )
        rows = []
        for clients in counts:
            run = bench.new_run_id()
            pools = bench.prepare(
                run=run,
                clients=clients,
                accounts_per_client=max(2, options["accounts"]),
                contention=options["contention"],
            )
            result = bench.run_clients(
                run=run,
                pools=pools,
                postings_per_client=options["postings"],
                without_audit=options["without_audit"],
            )
            rows.append(result)
            self.stdout.write(
                f"  {clients} 个客户端：{result.postings:,} 笔，用时 {result.seconds:.2f} 秒，"
                f"{result.per_second:,.0f} 笔/秒（失败 {result.failures}，重试耗尽 {result.retries_exhausted}）"
            )
        if not options["no_reconcile"]:
            lines = JournalLine.objects.count()
            report = reconcile()
            self.stdout.write(
                f"  全量对账：{lines:,} 行分录，用时 {report.seconds:.2f} 秒，"
                f"{'全部通过' if report.ok else f'发现 {report.violation_count} 处问题'}"
            )
