"""Safe Excel writing, shared by every export of the platform (docs/reliability.md K4).

A spreadsheet cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (also after leading spaces or
tabs), or with a tab or carriage return, can be taken for a formula by Excel or WPS when the file is
opened or a cell is edited ("CSV/formula injection": ``=HYPERLINK(...)``, ``=cmd|...``). Every text
value written through this module is neutralised with a leading apostrophe, so it is always shown as
text and never evaluated. The value is also forced to the string type, characters that XML cannot
hold are replaced, and over-long texts are cut to Excel's cell limit, so no input can make an export
fail.

Use ``workbook_bytes`` (or ``write_rows`` on a sheet you made) and ``xlsx_response`` for downloads;
``csv_bytes`` applies the same rule to CSV exports (UTF-8 with BOM, so Excel reads Chinese correctly).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.http import HttpResponse

if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

# Characters that make a spreadsheet treat text as a formula (the full-width forms too: some
# spreadsheet programs convert them when a cell is edited).
FORMULA_TRIGGERS = frozenset("=+-@＝＋－＠")
# Characters that are dangerous at the very start of a cell.
DANGEROUS_FIRST = frozenset("\t\r\n")
# Skipped when looking for a trigger: " =1+1" or "\t=1+1" is still a formula for some programs.
LEADING_BLANKS = " \t\r\n\u3000\u00a0"
PREFIX = "'"
MAX_CELL_CHARS = 32767  # Excel's limit for one cell
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Control characters XML 1.0 cannot carry (openpyxl raises IllegalCharacterError on them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BAD_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


def needs_neutralising(text: str) -> bool:
    """True when ``text`` could be read as a formula by a spreadsheet program."""
    if not text:
        return False
    if text[0] in DANGEROUS_FIRST:
        return True
    stripped = text.lstrip(LEADING_BLANKS)
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def neutralise(text: str) -> str:
    """The text with a leading apostrophe when it could be a formula; otherwise unchanged."""
    return PREFIX + text if needs_neutralising(text) else text


def clean_text(text: str) -> str:
    """Replace characters XML cannot hold and cut to the cell limit (keeping room for the prefix)."""
    text = _ILLEGAL_XML.sub("\ufffd", text)
    if len(text) > MAX_CELL_CHARS - 1:
        text = text[: MAX_CELL_CHARS - 2] + "…"
    return text


def safe_value(value: Any) -> Any:
    """A value that openpyxl writes as data, never as a formula.

    Numbers, booleans, dates and None pass through; everything else becomes neutralised text.
    Time-zone aware datetimes are written in local wall-clock time without the zone (Excel has none).
    """
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, dt.date | dt.time):
        return value
    return neutralise(clean_text(str(value)))


def safe_sheet_title(title: str) -> str:
    """A title Excel accepts: no []:*?/\\ and at most 31 characters."""
    title = _BAD_SHEET_TITLE.sub("_", clean_text(title or "").replace("\ufffd", "")).strip("'") or "Sheet"
    return title[:31]


@functools.cache
def _cell_classes() -> tuple[Any, Any]:
    """openpyxl's cell and font, imported when a file is first written, not with this module: every
    process that starts Django imports it (the importers' reports), and openpyxl cost 0.13 s of each
    start (django.setup() 1.05 → 0.90 s)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    return WriteOnlyCell, Font


def _cell(sheet: Any, value: Any, *, bold: bool = False) -> WriteOnlyCell:
    cell_class, font_class = _cell_classes()
    cell = cell_class(sheet, value=safe_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # belt and braces: never a formula
    if bold:
        cell.font = font_class(bold=True)
    return cell


@dataclass
class SheetData:
    """One sheet to write: a title, a header row and the data rows."""

    title: str
    header: Sequence[Any] = ()
    rows: Iterable[Sequence[Any]] = ()
    widths: Sequence[int] = ()
    text_columns: Sequence[int] = field(default_factory=tuple)  # 0-based columns formatted as text ("@")


def write_rows(sheet: Any, rows: Iterable[Sequence[Any]], *, header: Sequence[Any] = ()) -> None:
    """Append ``header`` (bold) and ``rows`` to a sheet of a write-only workbook, every value made safe."""
    if header:
        sheet.append([_cell(sheet, value, bold=True) for value in header])
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])


def workbook_bytes(sheets: Sequence[SheetData]) -> bytes:
    """An .xlsx file holding ``sheets``, written in streaming mode (large exports stay small in memory)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    for data in sheets:
        sheet = workbook.create_sheet(title=safe_sheet_title(data.title))
        for index, width in enumerate(data.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        for index in data.text_columns:
            sheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
        if data.header:
            sheet.freeze_panes = "A2"
        write_rows(sheet, data.rows, header=data.header)
    if not sheets:
        workbook.create_sheet(title="Sheet")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]], *, header: Sequence[Any] = ()) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF) whose text cells are neutralised like the Excel cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in [header] if header else []:
        writer.writerow([_csv_cell(value) for value in row])
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> Any:
    value = safe_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_") or "export.xlsx"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download response for an .xlsx file (always an attachment, never rendered inline)."""
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
