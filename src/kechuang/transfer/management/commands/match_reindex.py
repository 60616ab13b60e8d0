"""``kechuang match-reindex``: compute the vectors the catalogue is missing (or all of them with
``--all``), store them, and let every process pick them up through the index version."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "计算并保存缺失的语义向量（--all 全部重算），显示进度"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="重算全部向量")
        parser.add_argument("--batch", type=int, default=64)
        parser.add_argument("--strong", action="store_true", help="之后检查强匹配并发送通知")
        parser.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")

    def handle(self, *args: Any, **options: Any) -> None:
        from kechuang.transfer import matching, strong

        started = time.monotonic()
        engine = matching.refresh()
        ids = engine.ids() if options["all"] else engine.missing_vectors()
        if options["all"]:
            from kechuang.transfer.models import ListingVector

            ListingVector.objects.filter(embedder=engine.embedder_name).update(text_hash="")
        total, done = len(ids), 0
        batch = max(1, min(1024, options["batch"]))
        quiet = options["json"]
        if not quiet:
            self.stdout.write(f"索引 {len(engine)} 条，待计算向量 {total} 条（{engine.embedder_name}）")
        for start in range(0, total, batch):
            chunk = ids[start : start + batch]
            done += matching.compute_vectors(chunk, batch_size=batch)
            if not quiet:
                rate = (start + len(chunk)) / max(time.monotonic() - started, 1e-6)
                self.stdout.write(f"  向量 {start + len(chunk)}/{total}（{rate:.1f} 条/秒）")
        announced = 0
        if options["strong"]:
            for doc_id in engine.ids():
                if doc_id.startswith(("demand:", "achievement:")):
                    announced += strong.announce_for(doc_id)
        matching.refresh()
        result = {
            "documents": len(engine),
            "missing_before": total,
            "computed": done,
            "announced": announced,
            "seconds": round(time.monotonic() - started, 2),
            "embedder": engine.embedder_name,
        }
        if quiet:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(self.style.SUCCESS(f"完成：计算 {done} 条，用时 {result['seconds']} 秒"))
