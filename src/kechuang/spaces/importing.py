"""Bulk import of space units from Excel (.xlsx) or CSV (docs/reliability.md K4): an import spec on the
kernel's importer (``kechuang.core.importing``, docs/adr/0003).

Every sheet except the instructions holds units. A unit's idempotency key is (楼宇编码, 单元号): a row
whose key is stored updates that unit, or changes nothing when it equals it, so re-importing a file creates
nothing; a blank optional cell leaves the stored value as it is. New units are vacant from today.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.importing import CREATE, UPDATE, Column, ImportUrls, Plan, SheetKind
from kechuang.core.importing.cells import (
    BLANK,
    CellError,
    clean_text,
    display_value,
    is_blank,
    parse_choice,
    parse_code,
    parse_decimal,
    parse_int,
    parse_money_fen,
    parse_text,
)
from kechuang.core.importing.keyed import KeyedImport, index_by, lookup_cell
from kechuang.core.importing.report import ImportResult as ImportResult
from kechuang.core.importing.report import error_report_workbook as error_report_workbook
from kechuang.core.importing.stored import load_result as load_result
from kechuang.core.importing.stored import save_result as save_result
from kechuang.directory.models import Building

from .choices import SpaceType, UnitStatus
from .models import SpaceUnit
from .permissions import can_import_units

UNITS = "units"
IMPORT_ACTION = "spaces.import"
SHEET_NAME = "房源"

_FLOOR = re.compile(r"^(?:(?P<basement>[bB地下负-])\s*)?(?P<n>\d{1,3})\s*(?:f|F|层|楼)?$")


def parse_floor(raw: Any, lookups: Any) -> Any:
    if is_blank(raw):
        return BLANK
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if float(raw) != int(raw):
            raise CellError(_("楼层应为整数（地下层写 B1 或 -1）。"))
        value = int(raw)
    else:
        text = unicodedata.normalize("NFKC", clean_text(raw)).replace(" ", "")
        match = _FLOOR.match(text)
        if not match:
            raise CellError(
                _("“%(value)s”不是有效的楼层，请填写如 3、3F、B1。") % {"value": display_value(raw)}
            )
        value = int(match.group("n")) * (-1 if match.group("basement") else 1)
    if not -10 <= value <= 200 or value == 0:
        raise CellError(_("楼层应在 -10 到 200 之间且不为 0。"))
    return value


parse_building = lookup_cell(
    "buildings", "楼宇编码", 80, gettext_lazy("找不到楼宇“%(value)s”，请填写平台中已登记的楼宇编码或名称。")
)


parse_type = parse_choice(
    SpaceType,
    "房源类型",
    {
        "办公室": SpaceType.OFFICE,
        "写字楼": SpaceType.OFFICE,
        "实验室": SpaceType.LAB,
        "研发": SpaceType.LAB,
        "研发楼": SpaceType.LAB,
        "标准厂房": SpaceType.PLANT,
        "车间": SpaceType.PLANT,
        "生产厂房": SpaceType.PLANT,
        "净化车间": SpaceType.CLEANROOM,
        "无尘室": SpaceType.CLEANROOM,
        "无尘车间": SpaceType.CLEANROOM,
    },
)

COLUMNS: tuple[Column, ...] = (
    Column(
        "building",
        "楼宇编码",
        parse_building,
        required=True,
        aliases=("楼宇", "楼宇代码", "楼宇名称", "building"),
        note="平台中已登记的楼宇编码（或楼宇名称）",
        text_format=True,
        width=20,
    ),
    Column(
        "unit_code",
        "单元号",
        parse_code(32, "单元号"),
        required=True,
        aliases=("房号", "单元", "房间号", "unit"),
        note="楼宇内唯一，如 301、A-2",
        text_format=True,
        width=10,
    ),
    Column(
        "floor",
        "楼层",
        parse_floor,
        required=True,
        aliases=("所在楼层", "floor"),
        note="整数；地下层写 B1 或 -1",
        width=8,
    ),
    Column(
        "area_m2",
        "面积（㎡）",
        parse_decimal("面积", places=2, minimum=Decimal(0), maximum=Decimal(1_000_000), above=True),
        required=True,
        aliases=("面积", "建筑面积", "面积㎡", "area"),
        note="大于 0，最多两位小数",
        width=10,
    ),
    Column(
        "space_type",
        "类型",
        parse_type,
        required=True,
        aliases=("房源类型", "用途", "type"),
        note="办公、研发实验室、厂房、洁净室",
        width=10,
    ),
    Column(
        "rent_fen_per_m2_day",
        "租金（元/㎡·天）",
        parse_money_fen("租金", maximum_yuan=Decimal(1000)),
        required=True,
        aliases=("租金", "日租金", "rent"),
        note="元/㎡·天，最多两位小数",
        width=14,
    ),
    Column(
        "floor_load_kn_m2",
        "承重（kN/㎡）",
        parse_decimal("承重", places=1, minimum=Decimal(0), maximum=Decimal(1000)),
        aliases=("承重", "楼面承重", "楼板承重"),
        note="可空",
        width=12,
    ),
    Column(
        "power_kw",
        "供电（kW）",
        parse_int("供电容量", minimum=0, maximum=1_000_000),
        aliases=("供电", "供电容量", "电力"),
        note="可空，整数",
        width=10,
    ),
    Column(
        "description", "说明", parse_text(500), aliases=("备注", "描述"), note="可空，500 字以内", width=40
    ),
)
SCALARS = (
    "floor",
    "area_m2",
    "space_type",
    "rent_fen_per_m2_day",
    "floor_load_kn_m2",
    "power_kw",
    "description",
)


class Lookups:
    def __init__(self) -> None:
        self.buildings = index_by(Building.objects.select_related("park", "block"), "code", "name")


class UnitImport(KeyedImport):
    name = "spaces.units"
    model = SpaceUnit
    parent_field = "building"
    key_field = "unit_code"
    scalars = SCALARS
    duplicate_text = gettext_lazy("与%(where)s重复（同一楼宇、同一单元号）。")
    action = IMPORT_ACTION
    kinds = (
        SheetKind(
            UNITS,
            SHEET_NAME,
            COLUMNS,
            sheet_titles=(SHEET_NAME, "units"),
            description=gettext_lazy(
                "每行一套房源。房源按“楼宇编码 + 单元号”识别：已存在的房源会被更新，不会重复新建；"
                "空白的选填单元格不会清除已有数据。新导入的房源状态为空置。"
            ),
            template_filename="房源导入模板.xlsx",
        ),
    )
    urls = ImportUrls.named("spaces", report="import-report")
    title = gettext_lazy("批量导入房源")
    short_title = gettext_lazy("批量导入房源")
    denied_message = gettext_lazy("只有运营人员可以批量导入房源。")
    template_note = (
        "第 1 行是表头，请勿修改；数据从第 2 行开始。同一楼宇的同一单元号只登记一次，"
        "重复导入同一文件不会重复新建；空白的选填单元格不会清除平台中已有的数据。"
    )
    report_prefix = "房源导入错误报告"
    result_links = ((gettext_lazy("查看房源"), "spaces:unit-list"),)
    permission = staticmethod(can_import_units)
    lookups_class = Lookups

    def write(self, plan: Plan, actor: Any) -> dict[str, Any]:
        today = timezone.localdate()
        created = SpaceUnit.objects.bulk_create(
            [
                SpaceUnit(
                    code=f"{row.values['building'].code}-{row.values['unit_code']}"[:80],
                    building=row.values["building"],
                    unit_code=row.values["unit_code"],
                    status=UnitStatus.VACANT,
                    vacant_since=today,
                    **self.scalar_values(row),
                )
                for row in plan.rows
                if row.action == CREATE
            ],
            batch_size=self.chunk,
        )
        updated = []
        for row in plan.rows:
            if row.action == UPDATE and row.target is not None:
                self.save_scalars(row)
                updated.append(row.target.code)
        return {"codes": {"created": [unit.code for unit in created][:5000], "updated": updated[:5000]}}


SPEC = UnitImport()

# The unit import as functions, for scripts and tests.
inspect_upload = SPEC.inspect
dry_run = SPEC.dry_run
import_commit = SPEC.commit
store_upload = SPEC.store_upload
load_upload = SPEC.load_upload
