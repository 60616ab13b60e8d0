"""``kechuang load-district <name>``: load a district profile (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kechuang.directory.profiles import available_profiles, load_profile, profile_dirs
from kechuang.directory.profiles.apply import SECTION_LABELS, ProfileError, apply_profile


class Command(BaseCommand):
    help = (
        "载入街区配置（技术领域、行业、板块、院所与机构、园区、融合线、楼宇）。可重复执行，不会产生重复记录。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "name", nargs="?", default=None, help="街区配置名，如 juyuan（默认取环境变量 KECHUANG_DISTRICT）"
        )
        parser.add_argument("--list", action="store_true", help="列出可用的街区配置后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        names = available_profiles()
        if options["list"]:
            for name in names:
                self.stdout.write(name)
            return
        name = options["name"] or settings.DISTRICT
        if name not in names:
            places = "、".join(str(p) for p in profile_dirs())
            raise CommandError(
                f"找不到街区配置“{name}”。可用的街区配置：{'、'.join(names) or '（无）'}。"
                f"配置文件为 <目录>/<名称>/profile.yaml，查找目录：{places}"
                "（可用 KECHUANG_PROFILE_DIRS 增加目录）。"
            )
        try:
            profile = load_profile(name)
            counts = apply_profile(name, profile=profile)
        except ProfileError as error:
            raise CommandError(f"街区配置“{name}”有误，未作任何改动：{error}") from error
        title = (
            profile.get("district", {}).get("full_name") or profile.get("district", {}).get("name") or name
        )
        self.stdout.write(f"街区配置 {name}（{title}）：")
        self.stdout.write("  " + "  ".join(f"{label} {counts[key]}" for key, label in SECTION_LABELS.items()))
        if counts["created"] or counts["updated"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"  已载入：新增 {counts['created']} 条，更新 {counts['updated']} 条记录。"
                )
            )
        else:
            self.stdout.write("  数据已是最新，未作改动。")
