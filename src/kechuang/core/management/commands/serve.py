"""``kechuang serve [--bind ADDR] [--workers N]``: the production web server.

gunicorn with the project's configuration (``kechuang.gunicorn_conf``: workers, threads, timeouts,
graceful restart, worker recycling, access log, trusted proxies, each from the environment; the list is
in docs/operations.md). The command replaces itself with gunicorn's master process (``exec``), so
SIGTERM from systemd or a container stops it gracefully (requests in flight finish within
``WEB_GRACEFUL_TIMEOUT``) and SIGHUP reloads the code with a rolling restart of the workers.
``kechuang demo`` serves through this command too (docs/adr/0013-production-layout.md).

Before handing over it refuses what would make every page fail: a static storage with a manifest
(the production settings) but no manifest, i.e. ``collectstatic`` never ran.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def gunicorn_argv(*, bind: list[str] | None = None, workers: int | None = None) -> list[str]:
    """The gunicorn command line: the project's config, then the options given here (they win)."""
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:kechuang.gunicorn_conf"]
    for address in bind or []:
        argv += ["--bind", address]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return argv


# The C allocator's settings for the server's processes, unless the environment sets them
# (docs/adr/0030-engine-at-city-scale.md, "The allocator"): two malloc arenas instead of one per thread,
# and a fixed threshold above which a block is its own mapping, returned when freed. With glibc's
# defaults a worker's threads each grew an arena of their own, and the threshold rose with the large
# arrays a search frees, so they came back inside the arenas: at 1M listings the two workers'
# private memory grew by 160 and 67 MB over 40 searches, against 53 and 59 with these.
MALLOC_DEFAULTS = {"MALLOC_ARENA_MAX": "2", "MALLOC_MMAP_THRESHOLD_": "131072"}


def server_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment gunicorn starts with: ``environ`` (the process's) with ``MALLOC_DEFAULTS`` where
    it sets nothing (glibc reads them when a process starts, so they must be in place before ``exec``)."""
    env = dict(os.environ if environ is None else environ)
    for name, value in MALLOC_DEFAULTS.items():
        env.setdefault(name, value)
    return env


def static_manifest_problem() -> str | None:
    """Why the static files cannot be served, or None. Only manifest storages need collectstatic."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    storage: Any = staticfiles_storage
    if not isinstance(storage, ManifestFilesMixin):  # the lazy object answers for the configured class
        return None
    if storage.read_manifest() is None:
        return (
            f"静态文件尚未收集（{settings.STATIC_ROOT} 中没有 {storage.manifest_name}），"
            "每个页面都会出错。请先运行 kechuang upgrade（或 kechuang collectstatic --noinput）。"
        )
    return None


class Command(BaseCommand):
    help = "启动生产网站（gunicorn；进程数、线程、超时等见 docs/operations.md 的环境变量）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            action="append",
            metavar="ADDR",
            help="监听地址，如 127.0.0.1:8000 或 unix:/run/kechuang/web.sock；可重复（默认 WEB_BIND）",
        )
        parser.add_argument("--workers", type=int, metavar="N", help="工作进程数（默认 WEB_CONCURRENCY）")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers is not None and workers < 1:
            raise CommandError("--workers 至少为 1。")
        if problem := static_manifest_problem():
            raise CommandError(problem)
        argv = gunicorn_argv(bind=options["bind"], workers=workers)
        where = ", ".join(options["bind"] or []) or os.environ.get("WEB_BIND", "127.0.0.1:8000")
        self.stdout.write(
            f"启动网站：gunicorn，监听 {where}，设置 {os.environ.get('DJANGO_SETTINGS_MODULE', '')}"
        )
        self.stdout.flush()
        sys.stderr.flush()
        os.execve(argv[0], argv, server_environment())  # noqa: S606 (our own interpreter, fixed arguments)
