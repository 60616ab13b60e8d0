"""Reading a checked import file into sheets of raw cells (docs/adr/0003).

.xlsx through openpyxl in read-only, data-only mode (cached values, never formulas; openpyxl parses the
XML with defusedxml when it is installed, and it is a dependency here); CSV through the csv module from
the text that :func:`kechuang.core.importing.files.decode_text` decoded (UTF-8 with or without BOM, else
GB18030), with the delimiter taken from the header line. Row numbers are the ones Excel shows; blank rows
are left out; the instructions sheet of a template is skipped; at most ``IMPORT_MAX_ROWS`` data rows.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .cells import display_value, header_key, is_blank
from .files import FileRefused

logger = logging.getLogger(__name__)

MAX_HEADER_COLUMNS = 200
IGNORED_SHEETS = frozenset({"填写说明", "说明", "readme", "instructions"})


@dataclass
class RawSheet:
    title: str
    kind: str | None
    header: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number as Excel shows it, cells); blank rows left out


@dataclass
class ReadFile:
    """The sheets of a file (those with a header), notices about the ones skipped, and how many
    worksheets the workbook had (a spec may use the upload's chosen kind for a lone sheet)."""

    sheets: list[RawSheet]
    notices: list[str] = field(default_factory=list)
    worksheet_count: int = 1


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 20000))


def _row_is_blank(cells: Iterable[Any]) -> bool:
    return all(is_blank(cell) for cell in cells)


class _RowBudget:
    def __init__(self) -> None:
        self.left = max_rows()

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise FileRefused(
                _("文件中的数据超过单次导入上限 %(n)s 行，请拆分成多个文件后分别导入。") % {"n": max_rows()}
            )


def _unreadable() -> FileRefused:
    return FileRefused(_("无法读取这个 Excel 文件（可能已损坏）。请在 Excel 中重新“另存为” .xlsx 后上传。"))


def read_xlsx(data: bytes) -> ReadFile:
    """Every worksheet's header and non-blank rows (read-only, cached values, never formulas)."""
    from openpyxl import load_workbook

    notices: list[str] = []
    sheets: list[RawSheet] = []
    budget = _RowBudget()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as error:
        logger.info("import: unreadable workbook: %s", type(error).__name__)
        raise _unreadable() from error
    try:
        worksheets = [sheet for sheet in workbook.worksheets if hasattr(sheet, "iter_rows")]
        for worksheet in worksheets:
            title = str(worksheet.title)
            if header_key(title) in IGNORED_SHEETS:
                continue
            rows = worksheet.iter_rows(values_only=True, max_col=MAX_HEADER_COLUMNS)
            header: list[Any] = []
            data_rows: list[tuple[int, tuple[Any, ...]]] = []
            for number, cells in enumerate(rows, start=1):
                if number == 1:
                    header = list(cells)
                    while header and is_blank(header[-1]):
                        header.pop()
                    continue
                cells = tuple(cells[: len(header)])
                if _row_is_blank(cells):
                    continue
                budget.take()
                data_rows.append((number, cells))
            if not header:
                if data_rows or worksheet.max_row not in (None, 0, 1):
                    notices.append(
                        _("工作表“%(sheet)s”的第 1 行没有表头，已跳过。") % {"sheet": display_value(title)}
                    )
                continue
            sheets.append(RawSheet(title, None, header, data_rows))
    except FileRefused:
        raise
    except Exception as error:
        logger.info("import: unreadable worksheet: %s", type(error).__name__)
        raise _unreadable() from error
    finally:
        workbook.close()
    return ReadFile(sheets, notices, worksheet_count=len(worksheets))


def read_csv(text: str, title: str) -> ReadFile:
    """One sheet named ``title`` from CSV text; the delimiter (comma, tab or semicolon) is the one the
    header line uses most."""
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    budget = _RowBudget()
    header: list[Any] = []
    data_rows: list[tuple[int, tuple[Any, ...]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number == 1:
                header = list(cells[:MAX_HEADER_COLUMNS])
                while header and is_blank(header[-1]):
                    header.pop()
                continue
            if _row_is_blank(cells):
                continue
            budget.take()
            data_rows.append((number, tuple(cells[: max(len(header), 1)])))
    except csv.Error as error:
        raise FileRefused(
            _("CSV 文件第 %(row)s 行格式有误（引号不配对或单元格过长），请在 Excel 中打开检查后重新保存。")
            % {"row": number + 1}
        ) from error
    if not header:
        raise FileRefused(_("CSV 文件的第 1 行没有表头，请使用导入模板。"))
    return ReadFile([RawSheet(title, None, header, data_rows)])
