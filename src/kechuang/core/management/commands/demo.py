"""``kechuang demo``: the embedded database, the district profile, demo data and accounts, then serve.

Running it again reuses the database: nothing is lost and nothing is duplicated. The demo password is
the one given with ``--demo-password``, else one generated at the first run and kept in the data folder.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.core.registry import make_demo_accounts


class Command(BaseCommand):
    help = "建立演示环境（街区配置、演示数据、演示账号）并启动网站。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="监听端口（默认 8000）")
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动网站")
        parser.add_argument("--demo-password", default=None, help="演示账号的密码（默认自动生成并保存）")
        parser.add_argument(
            "--scale",
            choices=["small", "large", "tiny"],
            default="small",
            help="演示数据规模：small（默认）、large；tiny 供测试使用",
        )
        parser.add_argument("--seed", type=int, default=2026, help="演示数据随机种子")
        parser.add_argument("--workers", type=int, default=2, help="网站进程数")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "演示命令需要演示模式：请用 `kechuang demo` 运行（会自动设置 KECHUANG_DEMO=1）。"
            )
        started = time.monotonic()
        self.stdout.write(f"数据目录：{settings.HOME}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("数据库已就绪。")
        call_command("load_district", settings.DISTRICT, stdout=self.stdout)
        call_command("demo_data", scale=options["scale"], seed=options["seed"], stdout=self.stdout)
        password = self._password(options["demo_password"])
        accounts = make_demo_accounts(password)  # the directory's, then the modules attach them
        self.stdout.write(self.style.SUCCESS(f"准备完成，用时 {time.monotonic() - started:.1f} 秒。"))
        self.stdout.write("演示账号（密码相同）：")
        for account in accounts:
            self.stdout.write(
                f"  {account['username']:<13} {account['role']:<10} {account.get('organization', '')}"
            )
        self.stdout.write(f"  密码：{password}")
        if options["no_serve"]:
            return
        self._serve(options["host"], options["port"], options["workers"])

    def _password(self, given: str | None) -> str:
        path = Path(settings.HOME) / "demo_password"
        if given:
            path.write_text(given)
            path.chmod(0o600)
            return given
        if path.exists():
            return path.read_text().strip()
        password = "Juyuan-" + secrets.token_urlsafe(9)
        path.write_text(password)
        path.chmod(0o600)
        return password

    def _serve(self, host: str, port: int, workers: int) -> None:
        env = {**os.environ, "KECHUANG_DEMO": "1", "KECHUANG_HOME": str(settings.HOME)}
        env.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")
        env.setdefault("WEB_LOG_LEVEL", "warning")  # the access log still shows each request
        # The production server command (gunicorn with kechuang.gunicorn_conf), so the demo serves
        # exactly as a district's installation does (docs/adr/0013-production-layout.md).
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kechuang",
                "serve",
                "--bind",
                f"{host}:{port}",
                "--workers",
                str(workers),
            ],
            env=env,
        )
        helpers = {
            "worker": [sys.executable, "-m", "kechuang", "worker"],
            # periodic jobs (ADR 0014): a breached request is escalated without anyone running sla-tick
            "scheduler": [sys.executable, "-m", "kechuang", "scheduler"],
        }
        running = {name: subprocess.Popen(command, env=env) for name, command in helpers.items()}
        self.stdout.write(self.style.SUCCESS(f"网站已启动：http://{host}:{port}/  （按 Ctrl+C 停止）"))
        self.stdout.write("后台任务进程已启动（语义向量在后台补全，页面可立即使用）。")
        self.stdout.write("定时任务调度器已启动（诉求超时升级、到期处理等自动运行）。")

        def stop(*_args: Any) -> None:
            for process in (web, *running.values()):
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, lambda *a: stop())
        try:
            while web.poll() is None:
                for name, process in running.items():
                    if process.poll() is not None:  # restart the task worker or the scheduler if it died
                        running[name] = subprocess.Popen(helpers[name], env=env)
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in (web, *running.values()):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
