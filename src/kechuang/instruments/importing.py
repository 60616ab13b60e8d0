"""Bulk import of an institute's instrument list from Excel (.xlsx) or CSV (docs/reliability.md K4): an
import spec on the kernel's importer (``kechuang.core.importing``, docs/adr/0003).

An instrument's idempotency key is (所属单位, 仪器名称): a row whose key is stored updates that instrument
(or changes nothing when it equals it), so re-importing a file creates nothing; a blank optional cell
leaves the stored value as it is. The three hourly prices and three per-sample prices become the rate
card (a blank price leaves that line as it is). Operators import, on an institute's behalf.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from kechuang.core.importing import CREATE, UPDATE, Column, ImportUrls, Plan, RowPlan, SheetKind
from kechuang.core.importing.cells import (
    BLANK,
    parse_choice,
    parse_code,
    parse_int,
    parse_money_fen,
    parse_text,
)
from kechuang.core.importing.keyed import KeyedImport, index_by, lookup_cell
from kechuang.core.importing.report import ImportResult as ImportResult
from kechuang.core.importing.report import error_report_workbook as error_report_workbook
from kechuang.core.importing.stored import load_result as load_result
from kechuang.core.importing.stored import save_result as save_result
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Building, Organization

from .choices import ApprovalRule, RateUnit, ServiceMode, UserClass
from .models import Instrument, InstrumentCategory, Rate, new_code
from .permissions import is_operator

IMPORT_ACTION = "instruments.import"
SHEET_NAME = "共享仪器"


parse_mode = parse_choice(
    ServiceMode,
    "服务方式",
    {
        "自主": ServiceMode.SELF,
        "上机": ServiceMode.SELF,
        "委托": ServiceMode.SAMPLE,
        "送样": ServiceMode.SAMPLE,
        "均可": ServiceMode.BOTH,
        "两者": ServiceMode.BOTH,
    },
)
parse_rule = parse_choice(
    ApprovalRule,
    "预约审批规则",
    {
        "自动": ApprovalRule.AUTOMATIC,
        "培训": ApprovalRule.TRAINED,
        "审批": ApprovalRule.OWNER,
        "审核": ApprovalRule.OWNER,
    },
)
PRICE = parse_money_fen("价格", maximum_yuan=Decimal(1_000_000))
RATES = {
    "rate_owner_hour": (UserClass.OWNER, RateUnit.HOUR),
    "rate_district_hour": (UserClass.DISTRICT, RateUnit.HOUR),
    "rate_outside_hour": (UserClass.OUTSIDE, RateUnit.HOUR),
    "rate_owner_sample": (UserClass.OWNER, RateUnit.SAMPLE),
    "rate_district_sample": (UserClass.DISTRICT, RateUnit.SAMPLE),
    "rate_outside_sample": (UserClass.OUTSIDE, RateUnit.SAMPLE),
}

COLUMNS: tuple[Column, ...] = (
    Column(
        "owner",
        "所属单位",
        lookup_cell("owners", "所属单位", 120),
        required=True,
        aliases=("单位", "院所", "owner"),
        note="平台中已登记的院所或服务机构名称",
        width=24,
    ),
    Column(
        "name",
        "仪器名称",
        parse_code(120, "仪器名称"),
        required=True,
        aliases=("名称", "设备名称", "name"),
        note="同一单位内不重复",
        width=24,
    ),
    Column(
        "category",
        "分类",
        lookup_cell("categories", "分类", 60),
        required=True,
        aliases=("仪器分类", "category"),
        note="分类名称或编码，如 电子光学仪器、0101",
        width=16,
    ),
    Column("model_number", "型号", parse_text(80), aliases=("规格型号", "model"), note="可空", width=14),
    Column("maker", "生产厂商", parse_text(120), aliases=("厂商", "制造商", "maker"), note="可空", width=16),
    Column(
        "original_value_fen",
        "原值（元）",
        parse_money_fen("原值", maximum_yuan=Decimal(10_000_000_000)),
        aliases=("原值", "资产原值"),
        note="元，最多两位小数",
        width=14,
    ),
    Column(
        "purchase_year",
        "购置年份",
        parse_int("购置年份", minimum=1950, maximum=2100),
        aliases=("购置年", "年份"),
        note="如 2021",
        width=10,
    ),
    Column(
        "building",
        "楼宇",
        lookup_cell("buildings", "楼宇", 80),
        aliases=("楼宇编码", "所在楼宇"),
        note="可空",
        width=16,
    ),
    Column("room", "房间", parse_text(40), aliases=("房间号", "位置"), note="可空", width=8),
    Column(
        "service_mode",
        "服务方式",
        parse_mode,
        required=True,
        aliases=("服务模式",),
        note="自主上机、委托测试或两者",
        width=12,
    ),
    Column(
        "approval_rule",
        "预约审批规则",
        parse_rule,
        required=True,
        aliases=("审批规则", "预约规则"),
        note="自动通过、仅限培训合格人员、需管理方审批",
        width=16,
    ),
    Column(
        "rate_owner_hour", "本单位机时价（元/小时）", PRICE, aliases=("本单位机时价",), note="可空", width=12
    ),
    Column(
        "rate_district_hour",
        "街区企业机时价（元/小时）",
        PRICE,
        aliases=("街区企业机时价", "机时价"),
        note="可空",
        width=12,
    ),
    Column(
        "rate_outside_hour", "外部机时价（元/小时）", PRICE, aliases=("外部机时价",), note="可空", width=12
    ),
    Column(
        "rate_owner_sample",
        "本单位样品价（元/样品）",
        PRICE,
        aliases=("本单位样品价",),
        note="可空",
        width=12,
    ),
    Column(
        "rate_district_sample",
        "街区企业样品价（元/样品）",
        PRICE,
        aliases=("街区企业样品价", "样品价"),
        note="可空",
        width=12,
    ),
    Column(
        "rate_outside_sample", "外部样品价（元/样品）", PRICE, aliases=("外部样品价",), note="可空", width=12
    ),
    Column(
        "description",
        "主要功能与技术指标",
        parse_text(5000, multiline=True),
        aliases=("说明", "功能", "技术指标"),
        note="可空",
        width=40,
    ),
)
SCALARS = (
    "category",
    "model_number",
    "maker",
    "original_value_fen",
    "purchase_year",
    "building",
    "room",
    "service_mode",
    "approval_rule",
    "description",
)


class Lookups:
    def __init__(self) -> None:
        owners = Organization.objects.filter(kind__in=[OrganizationKind.INSTITUTE, OrganizationKind.PROVIDER])
        self.owners = index_by(owners, "name", "short_name")
        self.categories = index_by(InstrumentCategory.objects.all(), "code", "name")
        self.buildings = index_by(Building.objects.all(), "code", "name")


class InstrumentImport(KeyedImport):
    name = "instruments.instruments"
    model = Instrument
    parent_field = "owner"
    key_field = "name"
    scalars = SCALARS
    duplicate_text = gettext_lazy("与%(where)s重复（同一单位、同一仪器名称）。")
    action = IMPORT_ACTION
    kinds = (
        SheetKind(
            "instruments",
            SHEET_NAME,
            COLUMNS,
            sheet_titles=(SHEET_NAME, "仪器", "instruments"),
            description=gettext_lazy(
                "每行一台仪器。仪器按“所属单位 + 仪器名称”识别：已存在的仪器会被更新，不会重复新建；"
                "空白的选填单元格不会清除已有数据。价格列填写后成为该仪器的收费标准。"
            ),
            template_filename="共享仪器导入模板.xlsx",
        ),
    )
    urls = ImportUrls.named("instruments", report="import-report")
    title = gettext_lazy("批量导入共享仪器")
    short_title = gettext_lazy("批量导入共享仪器")
    denied_message = gettext_lazy("只有运营人员可以批量导入共享仪器。")
    template_note = (
        "第 1 行是表头，请勿修改；数据从第 2 行开始。同一单位的同一仪器名称只登记一次，"
        "重复导入同一文件不会重复新建；空白的选填单元格不会清除平台中已有的数据。"
    )
    report_prefix = "共享仪器导入错误报告"
    result_links = ((gettext_lazy("查看共享仪器"), "instruments:instrument-list"),)
    permission = staticmethod(is_operator)
    lookups_class = Lookups

    def stored(self) -> QuerySet[Instrument]:
        return Instrument.objects.prefetch_related("rates")

    def changes(self, target: Any, row: RowPlan) -> dict[str, Any]:
        changed = super().changes(target, row)
        rates = {(r.user_class, r.unit): r.price_fen for r in target.rates.all()}
        for key, line in RATES.items():
            if key in row.values and row.values[key] is not BLANK and rates.get(line) != row.values[key]:
                changed[key] = row.values[key]
        return changed

    def write(self, plan: Plan, actor: Any) -> dict[str, Any]:
        created, updated = [], []
        for row in plan.rows:
            if row.action == CREATE:
                values = row.values
                instrument = Instrument.objects.create(
                    code=new_code("YQ"),
                    owner=values["owner"],
                    name=values["name"],
                    **self.scalar_values(row),
                )
                self._rates(instrument, values)
                created.append(instrument.code)
            elif row.action == UPDATE and row.target is not None:
                self.save_scalars(row)
                self._rates(row.target, row.changes)
                updated.append(row.target.code)
        if created or updated:  # new and changed instruments join the matching index
            from django.db import transaction

            from kechuang.transfer import matching

            Instrument.objects.filter(code__in=created + updated).update(
                index_version=matching.bump_version()
            )
            transaction.on_commit(matching.enqueue_missing)
        return {"codes": {"created": created[:5000], "updated": updated[:5000]}}

    @staticmethod
    def _rates(instrument: Instrument, values: dict[str, Any]) -> None:
        for key, (user_class, unit) in RATES.items():
            price = values.get(key, BLANK)
            if price is not BLANK and price is not None:
                Rate.objects.update_or_create(
                    instrument=instrument, user_class=user_class, unit=unit, defaults={"price_fen": price}
                )


SPEC = InstrumentImport()

inspect_upload = SPEC.inspect
dry_run = SPEC.dry_run
import_commit = SPEC.commit
store_upload = SPEC.store_upload
load_upload = SPEC.load_upload
