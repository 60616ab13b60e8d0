"""Bulk import of space units from Excel (.xlsx) or CSV (docs/reliability.md K4), the foundation's way:
``inspect_upload`` → ``dry_run`` (row-level Chinese problems, nothing written) → ``import_commit``
(everything or nothing, one audit event). Re-importing a file creates nothing: a unit's natural key
is (楼宇编码, 单元号); a row equal to its unit changes nothing, and a blank optional cell leaves the
stored value as it is.

Reused from ``kechuang.directory.importing`` (imported, not edited): the file checks
(``inspect_upload``), the CSV reader, text normalisation (``clean_text``, ``display_value``,
``header_key``, ``parse_choice``), the result types, stored uploads and the error-report workbook.
Copied because they are private or shaped for organizations and people: the blank-cell test and a
plain .xlsx reader that takes every sheet as units (the foundation's reader sorts sheets into
organizations/people).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import audit, excel
from kechuang.core.models import AuditEvent
from kechuang.directory import importing as base
from kechuang.directory.importing import (
    BLANK,
    CellError,
    ImportAlreadyCommitted,
    ImportFileError,
    ImportResult,
    Problem,
    RawSheet,
    SheetSummary,
    StoredUpload,
    UploadInfo,
    clean_text,
    display_value,
    header_key,
    inspect_upload,
    parse_choice,
)
from kechuang.directory.models import Building

from .choices import SpaceType, UnitStatus
from .models import SpaceUnit
from .permissions import can_import_units

logger = logging.getLogger(__name__)

UNITS = "units"
IMPORT_ACTION = "spaces.import"
SHEET_NAME = "房源"
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"

__all__ = ["ImportAlreadyCommitted", "ImportFileError", "inspect_upload"]


# --- copied from directory.importing, where they are private --------------------------------------

_IGNORED_SHEETS = {"填写说明", "说明", "readme", "instructions"}


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip(" \t\r\n\u3000\u200b\ufeff"))


def _key(text: str) -> str:
    """A loose key for matching codes and names: NFKC, no blanks or quotes, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return re.sub(r"[\"'“”‘’「」*]", "", text).lower()


def _max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 20000))


def _write_private(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


# --- cell parsers --------------------------------------------------------------------------------

_SUFFIXES = re.compile(
    r"(平方米|平米|㎡|m²|m2|kn/㎡|kn/m2|kn/m²|kw|千瓦|元/㎡·天|元/㎡/天|元/平方米/天|元)$", re.IGNORECASE
)


def _number(raw: Any, what: str) -> Decimal:
    if isinstance(raw, bool):
        raise CellError(_("%(what)s应为数字，不能是“是/否”。") % {"what": what})
    if isinstance(raw, int | float):
        if isinstance(raw, float) and raw != raw:  # NaN
            raise CellError(_("%(what)s应为数字。") % {"what": what})
        return Decimal(str(raw))
    text = unicodedata.normalize("NFKC", clean_text(raw)).replace(",", "").replace(" ", "")
    text = _SUFFIXES.sub("", text)
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise CellError(
            _("“%(value)s”不是有效的%(what)s，请填写数字。") % {"value": display_value(raw), "what": what}
        ) from error
    if not value.is_finite():
        raise CellError(_("%(what)s应为数字。") % {"what": what})
    return value


def parse_decimal(what: str, *, places: int, minimum: Decimal, maximum: Decimal, above: bool = False) -> Any:
    def parse(raw: Any, lookups: Any) -> Any:
        if _is_blank(raw):
            return BLANK
        value = _number(raw, what)
        if value != value.quantize(Decimal(1).scaleb(-places)):
            raise CellError(_("%(what)s最多保留 %(n)s 位小数。") % {"what": what, "n": places})
        if (value <= minimum if above else value < minimum) or value > maximum:
            low = _("大于") if above else _("不小于")
            raise CellError(
                _("%(what)s应%(low)s %(min)s 且不超过 %(max)s。")
                % {"what": what, "low": low, "min": minimum, "max": maximum}
            )
        return value.quantize(Decimal(1).scaleb(-places))

    return parse


def parse_int(what: str, *, minimum: int, maximum: int) -> Any:
    decimal = parse_decimal(what, places=0, minimum=Decimal(minimum), maximum=Decimal(maximum))

    def parse(raw: Any, lookups: Any) -> Any:
        value = decimal(raw, lookups)
        return value if value is BLANK else int(value)

    return parse


_FLOOR = re.compile(r"^(?:(?P<basement>[bB地下负-])\s*)?(?P<n>\d{1,3})\s*(?:f|F|层|楼)?$")


def parse_floor(raw: Any, lookups: Any) -> Any:
    if _is_blank(raw):
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


def parse_code(max_length: int, what: str) -> Any:
    def parse(raw: Any, lookups: Any) -> Any:
        if _is_blank(raw):
            return BLANK
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = unicodedata.normalize("NFKC", clean_text(raw)).strip()
        if len(text) > max_length:
            raise CellError(_("%(what)s最多 %(n)s 个字符。") % {"what": what, "n": max_length})
        return text

    return parse


def parse_building(raw: Any, lookups: Lookups) -> Any:
    text = parse_code(80, "楼宇编码")(raw, lookups)
    if text is BLANK:
        return BLANK
    found = lookups.buildings.get(_key(text))
    if found is None:
        raise CellError(_("找不到楼宇“%(value)s”，请填写平台中已登记的楼宇编码或名称。") % {"value": text})
    return found


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


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Any
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column(
        "building",
        "楼宇编码",
        parse_building,
        True,
        ("楼宇", "楼宇代码", "楼宇名称"),
        "平台中已登记的楼宇编码（或楼宇名称）",
        20,
    ),
    Column(
        "unit_code",
        "单元号",
        parse_code(32, "单元号"),
        True,
        ("房号", "单元", "房间号"),
        "楼宇内唯一，如 301、A-2",
        10,
    ),
    Column("floor", "楼层", parse_floor, True, ("所在楼层",), "整数；地下层写 B1 或 -1", 8),
    Column(
        "area_m2",
        "面积（㎡）",
        parse_decimal("面积", places=2, minimum=Decimal(0), maximum=Decimal(1_000_000), above=True),
        True,
        ("面积", "建筑面积", "面积㎡"),
        "大于 0，最多两位小数",
        10,
    ),
    Column(
        "space_type", "类型", parse_type, True, ("房源类型", "用途"), "办公、研发实验室、厂房、洁净室", 10
    ),
    Column(
        "rent",
        "租金（元/㎡·天）",
        parse_decimal("租金", places=2, minimum=Decimal(0), maximum=Decimal(1000)),
        True,
        ("租金", "日租金"),
        "元/㎡·天，最多两位小数",
        14,
    ),
    Column(
        "floor_load_kn_m2",
        "承重（kN/㎡）",
        parse_decimal("承重", places=1, minimum=Decimal(0), maximum=Decimal(1000)),
        False,
        ("承重", "楼面承重", "楼板承重"),
        "可空",
        12,
    ),
    Column(
        "power_kw",
        "供电（kW）",
        parse_int("供电容量", minimum=0, maximum=1_000_000),
        False,
        ("供电", "供电容量", "电力"),
        "可空，整数",
        10,
    ),
    Column("description", "说明", base.parse_text(500), False, ("备注", "描述"), "可空，500 字以内", 40),
)
_HEADERS = {header_key(name): column for column in COLUMNS for name in (column.header, *column.aliases)}
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
        self.buildings: dict[str, Building] = {}
        items = list(Building.objects.select_related("park", "block"))
        for item in items:
            self.buildings.setdefault(_key(item.code), item)
        for item in items:
            self.buildings.setdefault(_key(item.name), item)


# --- reading -------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> tuple[list[RawSheet], list[str]]:
    """Every sheet except the instructions, as units (read-only, cached values, never formulas)."""
    from openpyxl import load_workbook

    notices: list[str] = []
    sheets: list[RawSheet] = []
    left = _max_rows()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as error:
        raise ImportFileError(
            _("无法读取这个 Excel 文件（可能已损坏）。请在 Excel 中重新“另存为” .xlsx 后上传。")
        ) from error
    try:
        for worksheet in workbook.worksheets:
            if not hasattr(worksheet, "iter_rows"):
                continue
            title = str(worksheet.title)
            if header_key(title) in _IGNORED_SHEETS:
                continue
            header: list[Any] = []
            rows: list[tuple[int, tuple[Any, ...]]] = []
            for number, cells in enumerate(
                worksheet.iter_rows(values_only=True, max_col=base.MAX_HEADER_COLUMNS), start=1
            ):
                if number == 1:
                    header = list(cells)
                    while header and _is_blank(header[-1]):
                        header.pop()
                    continue
                cells = tuple(cells[: len(header)])
                if all(_is_blank(c) for c in cells):
                    continue
                left -= 1
                if left < 0:
                    raise ImportFileError(
                        _("文件中的数据超过单次导入上限 %(n)s 行，请拆分成多个文件后分别导入。")
                        % {"n": _max_rows()}
                    )
                rows.append((number, cells))
            if not header:
                if rows:
                    notices.append(_("工作表“%(sheet)s”的第 1 行没有表头，已跳过。") % {"sheet": title})
                continue
            sheets.append(RawSheet(title, UNITS, header, rows))
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError(
            _("无法读取这个 Excel 文件（可能已损坏）。请在 Excel 中重新“另存为” .xlsx 后上传。")
        ) from error
    finally:
        workbook.close()
    return sheets, notices


def read_sheets(data: bytes, info: UploadInfo, title: str) -> tuple[list[RawSheet], list[str]]:
    if info.format == "xlsx":
        return read_xlsx(data)
    return base.read_csv(info.text, title or SHEET_NAME, chosen_kind=UNITS)


# --- planning ------------------------------------------------------------------------------------


@dataclass
class RowPlan:
    sheet: str
    row: int
    values: dict[str, Any]
    action: str = ""
    target: SpaceUnit | None = None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    rows: list[RowPlan]
    result: ImportResult


def build_plan(data: bytes, info: UploadInfo, *, title: str = "", for_update: bool = False) -> Plan:
    sheets, notices = read_sheets(data, info, title)
    result = ImportResult(notices=list(notices))
    lookups = Lookups()
    plans: list[RowPlan] = []
    seen: dict[tuple[int, str], RowPlan] = {}

    def problem(sheet: str, row: int, column: str, value: Any, message: str) -> None:
        result.problem_count += 1
        if len(result.problems) < base.MAX_PROBLEMS_KEPT:
            result.problems.append(Problem(sheet, row, column, display_value(value), message))

    parsed: list[tuple[SheetSummary, RowPlan]] = []
    for sheet in sheets:
        summary = SheetSummary(sheet=sheet.title, kind=UNITS)
        result.sheets.append(summary)
        columns: list[Column | None] = []
        for raw_header in sheet.header:
            columns.append(_HEADERS.get(header_key(raw_header)) if raw_header is not None else None)
        present = {c.key for c in columns if c}
        missing = [c.header for c in COLUMNS if c.required and c.key not in present]
        if missing:
            problem(
                sheet.title,
                1,
                "",
                "",
                _("缺少必填列：%(cols)s。请使用房源导入模板的表头。") % {"cols": "、".join(missing)},
            )
            summary.rows = len(sheet.rows)
            summary.error_rows = len(sheet.rows)
            continue
        for number, cells in sheet.rows:
            summary.rows += 1
            values: dict[str, Any] = {}
            bad = False
            for index, column in enumerate(columns):
                if column is None or column.key in values:
                    continue
                raw = cells[index] if index < len(cells) else None
                try:
                    value = column.parse(raw, lookups)
                except CellError as error:
                    problem(sheet.title, number, column.header, raw, str(error))
                    bad = True
                    continue
                if value is BLANK:
                    if column.required:
                        problem(
                            sheet.title,
                            number,
                            column.header,
                            raw,
                            _("%(col)s必须填写。") % {"col": column.header},
                        )
                        bad = True
                    continue
                values[column.key] = value
            plan = RowPlan(sheet.title, number, values)
            if not bad:
                key = (values["building"].pk, values["unit_code"])
                if key in seen:
                    other = seen[key]
                    where = (
                        _("第 %(row)s 行") % {"row": other.row}
                        if other.sheet == sheet.title
                        else _("工作表“%(sheet)s”第 %(row)s 行") % {"sheet": other.sheet, "row": other.row}
                    )
                    problem(
                        sheet.title,
                        number,
                        "单元号",
                        values["unit_code"],
                        _("与%(where)s重复（同一楼宇、同一单元号）。") % {"where": where},
                    )
                    bad = True
                else:
                    seen[key] = plan
            if bad:
                summary.error_rows += 1
                plan.action = "error"
            parsed.append((summary, plan))
            plans.append(plan)

    good = [p for p in plans if p.action != "error"]
    existing: dict[tuple[int, str], SpaceUnit] = {}
    building_ids = {p.values["building"].pk for p in good}
    if building_ids:
        qs = SpaceUnit.objects.filter(building_id__in=building_ids)
        if for_update:
            qs = qs.select_for_update()
        existing = {(u.building_id, u.unit_code): u for u in qs}
    for summary, plan in parsed:
        if plan.action == "error":
            continue
        values = dict(plan.values)
        if "rent" in values:
            values["rent_fen_per_m2_day"] = int(values.pop("rent") * 100)
        plan.values = values
        target = existing.get((values["building"].pk, values["unit_code"]))
        if target is None:
            plan.action = CREATE
            summary.create += 1
            continue
        plan.target = target
        for name in SCALARS:
            if name in values and _differs(getattr(target, name), values[name]):
                plan.changes[name] = values[name]
        plan.action = UPDATE if plan.changes else UNCHANGED
        if plan.changes:
            summary.update += 1
        else:
            summary.unchanged += 1
    return Plan(plans, result)


def _differs(current: Any, new: Any) -> bool:
    if isinstance(new, Decimal) and current is not None:
        return Decimal(current) != new
    return current != new


def dry_run(data: bytes, info: UploadInfo, *, title: str = "") -> ImportResult:
    return build_plan(data, info, title=title).result


# --- committing ----------------------------------------------------------------------------------


@dataclass
class CommitOutcome:
    committed: bool
    result: ImportResult
    event_id: int | None = None


def committed_event(token: str) -> AuditEvent | None:
    return AuditEvent.objects.filter(action=IMPORT_ACTION, object_id=token).first()


def import_commit(*, actor: Any, upload: StoredUpload) -> CommitOutcome:
    """Validate the stored file again and, if no row has a problem, write all of it in one transaction."""
    if not can_import_units(actor):
        raise PermissionDenied(_("只有运营人员可以批量导入房源。"))
    data = upload.read_bytes()
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        raise ImportFileError(_("上传的文件已失效，请重新上传。"))
    info = inspect_upload(upload.filename, data)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(upload.sha256[:15], 16)])
        if committed_event(upload.token) is not None:
            raise ImportAlreadyCommitted
        plan = build_plan(data, info, title=upload.sheet_title, for_update=True)
        if plan.result.has_errors:
            return CommitOutcome(committed=False, result=plan.result)
        today = timezone.localdate()
        created = SpaceUnit.objects.bulk_create(
            [
                SpaceUnit(
                    code=f"{row.values['building'].code}-{row.values['unit_code']}"[:80],
                    building=row.values["building"],
                    unit_code=row.values["unit_code"],
                    status=UnitStatus.VACANT,
                    vacant_since=today,
                    **{name: row.values[name] for name in SCALARS if name in row.values},
                )
                for row in plan.rows
                if row.action == CREATE
            ],
            batch_size=500,
        )
        updated = []
        for row in plan.rows:
            if row.action == UPDATE and row.target is not None:
                for name, value in row.changes.items():
                    setattr(row.target, name, value)
                row.target.save(update_fields=[*row.changes, "updated_at"])
                updated.append(row.target.code)
        totals = plan.result.totals
        event = audit.record(
            IMPORT_ACTION,
            actor=actor,
            object_type=IMPORT_ACTION,
            object_id=upload.token,
            object_repr=upload.filename[:200],
            detail={
                "filename": upload.filename[:200],
                "sha256": upload.sha256,
                "size": upload.size,
                "rows": totals["rows"],
                "created": totals["create"],
                "updated": totals["update"],
                "unchanged": totals["unchanged"],
                "codes": {"created": [u.code for u in created][:5000], "updated": updated[:5000]},
            },
        )
    return CommitOutcome(committed=True, result=plan.result, event_id=event.pk)


# --- stored uploads and files --------------------------------------------------------------------


def _marker(token: str) -> Path:
    return base.import_dir() / f"{token}.spaces.json"


def store_upload(*, actor: Any, filename: str, data: bytes, info: UploadInfo) -> StoredUpload:
    upload = base.store_upload(actor=actor, filename=filename, data=data, info=info, kind=None)
    return upload


def save_result(upload: StoredUpload, result: ImportResult) -> None:
    """Kept apart from the directory's result file: a directory upload's token is not a spaces import."""
    _write_private(_marker(upload.token), result.to_json().encode())


def load_upload(token: str, *, actor: Any) -> StoredUpload | None:
    upload = base.load_upload(token, actor=actor)
    if upload is None or not _marker(upload.token).exists():
        return None
    return upload


def load_result(upload: StoredUpload) -> ImportResult | None:
    try:
        return ImportResult.from_json(_marker(upload.token).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return None


def template_workbook() -> bytes:
    notes = [[SHEET_NAME, c.header, "是" if c.required else "", c.note] for c in COLUMNS]
    notes.append(
        [
            "",
            "说明",
            "",
            "第 1 行是表头，请勿修改；数据从第 2 行开始。同一楼宇的同一单元号只登记一次，"
            "重复导入同一文件不会重复新建；空白的选填单元格不会清除平台中已有的数据。",
        ]
    )
    return excel.workbook_bytes(
        [
            excel.SheetData(
                title=SHEET_NAME,
                header=[c.header for c in COLUMNS],
                widths=[c.width for c in COLUMNS],
                text_columns=[0, 1],
            ),
            excel.SheetData(
                title="填写说明",
                header=["工作表", "列", "必填", "填写要求"],
                rows=notes,
                widths=[10, 18, 8, 80],
            ),
        ]
    )


def error_report_workbook(result: ImportResult) -> bytes:
    return base.error_report_workbook(result)
