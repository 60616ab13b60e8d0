"""``kechuang upgrade``: bring the database, static files, translations and matching index in line with
the installed code, in that order, each step printed. Safe to run again: every step does only what is
missing.

    1. migrate              the schema and data migrations (docs/operations.md: expand, then contract)
    2. createcachetable     the database cache's table, when CACHE_URL names the database cache
    3. collectstatic        the static files, hashed, into STATIC_ROOT (a manifest storage needs them)
    4. compilemessages      the translations, when a .po is newer than its .mo and the folder is writable
    5. matching index       documents without a vector are queued for the task worker (``--reindex-now``:
                            computed here, in the foreground)

Run it after installing a new release and before restarting the web, worker and scheduler processes
(docs/operations.md, "Upgrade").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core import registry


class Command(BaseCommand):
    help = "升级：数据库迁移、缓存表、静态文件、翻译文件、匹配索引（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reindex-now",
            action="store_true",
            help="缺少的语义向量在此前台计算（默认交给后台任务进程 kechuang worker）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = int(options["verbosity"])
        steps: list[tuple[str, Callable[[], None]]] = [
            ("数据库迁移（migrate）", self._migrate),
            ("缓存表（createcachetable）", self._cache_table),
            ("静态文件（collectstatic）", self._static),
            ("翻译文件（compilemessages）", self._messages),
            ("匹配索引（语义向量）", lambda: self._matching(now=options["reindex_now"])),
        ]
        started = time.monotonic()
        for number, (title, step) in enumerate(steps, start=1):
            self.stdout.write(self.style.MIGRATE_HEADING(f"[{number}/{len(steps)}] {title}"))
            step_started = time.monotonic()
            step()
            self.stdout.write(f"  完成，用时 {time.monotonic() - step_started:.1f} 秒")
        self.stdout.write(
            self.style.SUCCESS(f"升级完成，用时 {time.monotonic() - started:.1f} 秒。")
            + "\n请重启网站、后台任务与定时任务进程（docs/operations.md「升级」）。"
        )

    def _indented(self) -> Any:
        """A stream that indents the output of the commands called here under their step. Lines are
        written whole: migrate writes "Applying x..." and its " OK" in two calls."""
        return _Indented(self.stdout)

    def _call(self, name: str, **options: Any) -> None:
        out = self._indented()
        try:
            call_command(name, stdout=out, **options)
        finally:
            out.flush()

    def _migrate(self) -> None:
        self._call("migrate", interactive=False, verbosity=self.verbosity)

    def _cache_table(self) -> None:
        database_caches = [
            alias
            for alias, cache in settings.CACHES.items()
            if str(cache.get("BACKEND", "")).endswith("DatabaseCache")
        ]
        if not database_caches:
            self.stdout.write("  未使用数据库缓存，无需建表")
            return
        self._call("createcachetable", verbosity=self.verbosity)
        self.stdout.write(f"  数据库缓存表已就绪：{', '.join(database_caches)}")

    def _static(self) -> None:
        self._call("collectstatic", interactive=False, verbosity=self.verbosity)
        # nginx serves STATIC_ROOT as another user (docs/operations.md, step 7): every file readable by
        # all, including the compressed copies written with the process's umask (UMask=0027 under
        # systemd) and files an earlier release collected with narrower modes.
        widened = 0
        for folder, _names, files in os.walk(settings.STATIC_ROOT):
            for path, mode in [(Path(folder), 0o755)] + [(Path(folder) / name, 0o644) for name in files]:
                if path.stat().st_mode & 0o777 != mode:
                    path.chmod(mode)
                    widened += 1
        if widened:
            self.stdout.write(f"  {widened} 个静态文件改为所有用户可读（nginx 以其他用户读取）")

    def _messages(self) -> None:
        for folder in map(Path, settings.LOCALE_PATHS):
            catalogues = sorted(folder.glob("*/LC_MESSAGES/*.po"))
            stale = [po for po in catalogues if _is_stale(po)]
            if not stale:
                self.stdout.write(f"  {len(catalogues)} 个翻译文件已是最新（{folder}）")
                continue
            missing = [po for po in stale if not po.with_suffix(".mo").exists()]
            if not all(os.access(po.parent, os.W_OK) for po in stale):
                if missing:
                    raise CommandError(
                        f"翻译文件未编译且目录不可写：{missing[0]}。请以安装目录的所有者运行。"
                    )
                # An installed package ships its compiled .mo files; unpacking may leave the .po newer.
                self.stdout.write(f"  安装目录只读，使用安装包中已编译的翻译文件（{folder}）")
                continue
            if shutil.which("msgfmt") is None:
                if missing:
                    raise CommandError(
                        f"编译翻译文件需要 GNU gettext 的 msgfmt（{missing[0]} 尚未编译）："
                        "请安装 gettext（Debian：apt-get install gettext）后重试。"
                    )
                self.stdout.write("  未安装 msgfmt（gettext），沿用已编译的翻译文件")
                continue
            # compilemessages also walks the current folder for "locale" folders: run it from inside
            # this one, so it compiles exactly LOCALE_PATHS and nothing of the virtualenv's.
            with contextlib.chdir(folder):
                self._call("compilemessages", verbosity=self.verbosity)
            self.stdout.write(f"  已编译 {len(stale)} 个翻译文件（{folder}）")

    def _matching(self, *, now: bool) -> None:
        matching = registry.search_index()
        if matching is None:
            self.stdout.write("  未安装匹配索引模块，跳过")
            return
        missing = matching.missing_vector_ids()
        total = matching.size()
        if not missing:
            self.stdout.write(f"  索引 {total} 条，语义向量齐全")
            return
        if now:
            self.stdout.write(f"  索引 {total} 条，缺少语义向量 {len(missing)} 条，现在计算：")
            self._call(matching.reindex_command)
            return
        if _vector_task_pending(matching.task_path):
            self.stdout.write(
                f"  索引 {total} 条，缺少语义向量 {len(missing)} 条：补全任务已在队列中，"
                "由后台任务进程（kechuang worker）计算"
            )
            return
        matching.enqueue_missing()
        self.stdout.write(
            f"  索引 {total} 条，缺少语义向量 {len(missing)} 条：已加入后台任务队列，由 kechuang worker "
            "计算（在此之前搜索照常可用，只是没有语义部分；也可运行 kechuang match-reindex 前台计算）"
        )


class _Indented:
    def __init__(self, out: Any) -> None:
        self.out, self.pending = out, ""

    def write(self, text: str, *args: Any, **kwargs: Any) -> None:
        *lines, self.pending = (self.pending + text).split("\n")
        for line in lines:
            if line.strip():
                self.out.write(f"  {line.strip()}")

    def flush(self) -> None:
        if self.pending.strip():
            self.out.write(f"  {self.pending.strip()}")
        self.pending = ""
        self.out.flush()


def _is_stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def _vector_task_pending(task_path: str) -> bool:
    """Whether a missing-vectors task already waits in the database queue (so a second run adds none)."""
    try:
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - another task backend
        return False
    if not settings.TASKS.get("default", {}).get("BACKEND", "").startswith("django_tasks_db"):
        return False
    return DBTaskResult.objects.filter(
        task_path=task_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    ).exists()
