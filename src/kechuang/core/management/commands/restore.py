"""``kechuang restore DIR --yes``: check a backup's checksums, then replace the database and the
uploaded files with it and compare the result with the manifest (docs/adr/0016-shared-state-and-backups.md).

Stop the web, worker and scheduler processes first; start them again afterwards.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core import backup

logger = logging.getLogger("kechuang.backup")


class Command(BaseCommand):
    help = "从备份文件夹恢复：先核对清单中每个文件的校验值，再替换数据库和上传文件，最后核对行数和文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="kechuang backup 写出的备份文件夹")
        parser.add_argument("--yes", action="store_true", help="确认用备份替换当前的数据库和全部上传文件")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        try:
            verified = backup.verify(folder)
        except backup.BackupError as error:
            raise CommandError(str(error), returncode=1) from None
        manifest = verified.manifest
        if not options["yes"]:
            raise CommandError(
                f"恢复会用 {folder} 中的备份（{manifest['created_at']}，{manifest['database']['vendor']}）"
                "替换当前的整个数据库和全部上传文件，当前数据将丢失。确认无误后加 --yes 再运行。",
                returncode=2,
            )
        started = time.monotonic()
        try:
            problems = backup.restore(folder, say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error), returncode=1) from None
        if problems:
            for problem in problems:
                self.stdout.write(problem)
            raise CommandError(f"恢复后与备份清单不一致：{len(problems)} 处（见上）。", returncode=1)
        logger.info("restored from %s (backup of %s)", folder, manifest["created_at"])
        self.stdout.write(
            self.style.SUCCESS(
                f"恢复完成，用时 {time.monotonic() - started:.1f} 秒：{len(manifest['tables'])} 张表的行数、"
                f"{len(verified.media)} 个文件的校验值与备份一致。"
            )
        )
        if manifest["migrations"] != backup.code_heads():
            self.stdout.write("备份来自较早版本的代码：请运行 kechuang migrate（或 kechuang upgrade）。")
        self.stdout.write(
            "建议接着运行 kechuang audit-verify 和 kechuang ledger-reconcile，然后重新启动各进程。"
        )
