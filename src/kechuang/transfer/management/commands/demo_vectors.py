"""``kechuang demo-vectors --write``: compute the passage vectors of the current catalogue and write
them as the file shipped with the software (kechuang/transfer/data/demo-vectors.npz), so that
``kechuang demo`` is fully semantic at once. Run it on a fresh ``kechuang demo --no-serve`` database
after the demo data or the passage texts change; see kechuang.transfer.shipped_vectors."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kechuang.transfer import matching
from kechuang.transfer.models import ListingVector
from kechuang.transfer.shipped_vectors import SHIPPED, write


class Command(BaseCommand):
    help = "计算当前目录全部文档的语义向量，并写成随软件发布的演示向量文件。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="写入文件（不加则只计算并报告）")
        parser.add_argument("--output", default=str(SHIPPED), help="输出文件")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        missing = matching.missing_vector_ids()
        done = matching.compute_vectors(missing) if missing else 0
        name = matching.get_engine().embedder_name
        rows = list(
            ListingVector.objects.filter(embedder=name)
            .values_list("text_hash", "vector", "dim")
            .order_by("doc_id")
        )
        self.stdout.write(
            f"语义向量：新算 {done} 条，共 {len(rows)} 条（{name}），用时 {time.monotonic() - started:.1f} 秒"
        )
        if options["write"]:
            count = write(Path(options["output"]), name, [(h, bytes(v), d) for h, v, d in rows])
            self.stdout.write(f"已写入 {options['output']}：{count} 条")
