"""``kechuang backup --output DIR``: the database, the uploaded files and a manifest with checksums
(docs/adr/0016-shared-state-and-backups.md; docs/reliability.md M2). Safe while people work."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core import backup

logger = logging.getLogger("kechuang.backup")


class Command(BaseCommand):
    help = (
        "备份数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份接口）、上传文件和带校验值的清单到一个新文件夹。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="备份写入的新文件夹（不存在或为空）")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        output = Path(options["output"])
        try:
            manifest = backup.create(output, say=self.stdout.write)
        except backup.BackupError as error:
            raise CommandError(str(error), returncode=1) from None
        size = sum(int(entry["size"]) for entry in manifest["files"])
        uploads = [entry for entry in manifest["files"] if str(entry["name"]).startswith(f"{backup.MEDIA}/")]
        rows = sum(manifest["tables"].values())
        logger.info(
            "backup written to %s: %s rows, %s uploaded files, %s bytes", output, rows, len(uploads), size
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{output.resolve()}（{manifest['database']['vendor']}，{len(manifest['tables'])} 张表 "
                f"{rows} 行，上传文件 {len(uploads)} 个，共 {size / 1048576:.1f} MB，"
                f"用时 {time.monotonic() - started:.1f} 秒）"
            )
        )
