"""``kechuang audit-verify``: check the audit log's hash chain (docs/reliability.md C2).

Prints every problem with the row id and exits with status 1 when there is any; a clean chain prints
how many records were checked and exits 0. It reports, it never repairs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core.audit import verify_chain
from kechuang.core.models import AuditEvent


class Command(BaseCommand):
    help = "校验审计日志的哈希链：逐条列出问题（记录编号），有问题时退出码为 1。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000, help="每批读取的记录数（默认 2000）")
        parser.add_argument(
            "--anchor",
            default="",
            help="此前记下的某条记录的哈希（例如上次校验输出的最新哈希）；它必须仍在链上，用于发现尾部被删除",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = 0
        for problem in verify_chain(batch_size=options["batch_size"]):
            problems += 1
            self.stdout.write(f"记录 {problem.event_id}：{problem.problem}")
        total = AuditEvent.objects.count()
        anchor = options["anchor"].strip()
        if anchor and not AuditEvent.objects.filter(hash=anchor).exists():
            problems += 1
            self.stdout.write(f"锚点 {anchor[:16]}…：链上找不到这条记录（记录被删除或整表被替换）")
        if problems:
            raise CommandError(f"审计日志校验失败：共 {total} 条记录，发现 {problems} 处问题。", returncode=1)
        head = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
        self.stdout.write(self.style.SUCCESS(f"审计日志完整：共 {total} 条记录，哈希链无断点。"))
        if head is not None:
            self.stdout.write(f"最新记录 {head[0]} 的哈希：{head[1]}（请另行保存，下次用 --anchor 核对）")
