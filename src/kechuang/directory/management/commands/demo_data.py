"""``kechuang demo-data --scale small|large --seed N``: deterministic synthetic data (idempotent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from kechuang.directory.choices import OrganizationKind
from kechuang.directory.demo.generator import DEFAULT_SEED, SCALES, DemoGeneratorFailed, run_demo
from kechuang.directory.models import Organization, Person
from kechuang.directory.profiles import available_profiles
from kechuang.directory.profiles.apply import ProfileError

LABELS = {
    "enterprises": "企业",
    "providers": "服务机构",
    "incubators": "孵化器",
    "investors": "投资机构",
    "people": "人员",
    "researchers": "其中科研人员",
    "experts": "其中入库专家",
    "academicians": "其中院士",
}


class Command(BaseCommand):
    help = (
        "生成演示数据（企业、服务机构、孵化器、投资机构、科研人员与专家，以及各模块登记的演示数据）。"
        "同一随机种子重复运行不会新增记录。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default="small",
            help="规模：small（约200家企业、600人）、large（2000家企业、5300名科研人员）；tiny 供测试使用",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help="随机种子（默认 2026）；同一种子生成相同的数据"
        )
        parser.add_argument("--district", default=None, help="街区配置名（默认取 KECHUANG_DISTRICT）")
        parser.add_argument(
            "--no-modules", action="store_true", help="只生成名录数据，不运行各模块登记的演示数据生成器"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        district = options["district"] or settings.DISTRICT
        if district not in available_profiles():
            raise CommandError(
                f"找不到街区配置“{district}”。可用的街区配置：{'、'.join(available_profiles()) or '（无）'}。"
            )
        self.stdout.write(f"演示数据（规模 {options['scale']}，种子 {options['seed']}）：")
        try:
            report = run_demo(
                district=district,
                scale=options["scale"],
                seed=options["seed"],
                stdout=self.stdout,
                modules=not options["no_modules"],
                on_directory=self._directory_done,
                on_module=self._module_done,
            )
        except ProfileError as error:
            raise CommandError(f"街区配置“{district}”有误：{error}") from error
        except DemoGeneratorFailed as error:
            raise CommandError(
                f"{error}。名录数据和此前的模块数据已写入；修复后用同样的参数重新运行即可，已有数据不会重复。"
                "（加 --traceback 查看详细信息）"
            ) from error
        by_kind = dict(
            Organization.objects.values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        )
        people = Person.objects.aggregate(
            total=Count("id"),
            researchers=Count("id", filter=Q(is_researcher=True)),
            experts=Count("id", filter=Q(is_expert=True)),
            academicians=Count("id", filter=Q(is_academician=True)),
            titled=Count(
                "id", filter=Q(is_researcher=True, title__in=["intermediate", "associate_senior", "senior"])
            ),
        )
        self.stdout.write(
            f"  库中合计：科研院所 {by_kind.get(OrganizationKind.INSTITUTE, 0)}，"
            f"企业 {by_kind.get(OrganizationKind.ENTERPRISE, 0)}，"
            f"服务机构 {by_kind.get(OrganizationKind.PROVIDER, 0)}，"
            f"孵化器 {by_kind.get(OrganizationKind.INCUBATOR, 0)}，"
            f"投资机构 {by_kind.get(OrganizationKind.INVESTOR, 0)}；人员 {people['total']}，"
            f"科研人员 {people['researchers']}"
            f"（中高级职称 {people['titled']}，院士 {people['academicians']}），"
            f"入库专家 {people['experts']}"
        )
        self.stdout.write(self.style.SUCCESS(f"完成，用时 {report.seconds:.1f} 秒。"))

    def _directory_done(self, created: dict[str, int], seconds: float) -> None:
        self.stdout.write(
            "  名录新增：" + "，".join(f"{label} {created[key]}" for key, label in LABELS.items())
        )
        if created["skipped"]:
            self.stdout.write(f"  已存在而跳过：{created['skipped']} 条")
        self.stdout.write(f"  名录用时 {seconds:.1f} 秒")

    def _module_done(self, name: str, result: dict[str, int], seconds: float) -> None:
        summary = "，".join(f"{k} {v}" for k, v in result.items()) or "无新增"
        self.stdout.write(f"  {name}：{summary}（{seconds:.1f} 秒）")
