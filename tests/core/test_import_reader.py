"""Reading import files (docs/adr/0003): CSV in the encodings Chinese offices save (UTF-8 with and without BOM,
GBK, GB18030), .xlsx read-only through openpyxl with defusedxml."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import openpyxl.xml
import pytest
from openpyxl import Workbook

from kechuang.core.importing import files, reader
from kechuang.core.importing.files import TABLES, FileRefused, check

ROWS = [
    ["名称", "联系人", "地址"],
    ["上海某科技有限公司", "刘䶮", "嘉定区平城路 1 号"],
    ["某研究所", "王五", "菊园"],
]


def csv_bytes(encoding: str, delimiter: str = ",") -> bytes:
    return "\r\n".join(delimiter.join(row) for row in ROWS).encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gb18030(encoding):
    checked = check(csv_bytes(encoding), name="名单.csv", use=TABLES)
    read = reader.read_csv(checked.text, "名单")
    sheet = read.sheets[0]
    assert sheet.header == ROWS[0]
    assert [cells for _number, cells in sheet.rows] == [tuple(ROWS[1]), tuple(ROWS[2])]
    assert [number for number, _cells in sheet.rows] == [2, 3]


def test_csv_in_gbk_is_read_as_gb18030():
    data = "\r\n".join(",".join(row) for row in ROWS[::2]).encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert files.decode_text(data).splitlines()[1] == "某研究所,王五,菊园"


def test_csv_in_utf16_or_binary_is_refused_with_what_to_do():
    assert "UTF-8" in _refused(csv_bytes("utf-16"), "名单.csv")
    assert "二进制" in _refused(bytes(range(256)) * 10, "名单.csv")


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_delimiter_is_taken_from_the_header_line(delimiter):
    read = reader.read_csv(csv_bytes("utf-8", delimiter).decode(), "名单")
    assert read.sheets[0].header == ROWS[0]


def test_blank_rows_are_left_out_and_row_numbers_are_as_excel_shows_them():
    text = "名称,地址\r\n甲,一\r\n,\r\n\r\n乙,二\r\n"
    assert [number for number, _cells in reader.read_csv(text, "x").sheets[0].rows] == [2, 5]


def test_row_limit(settings):
    settings.IMPORT_MAX_ROWS = 1
    with pytest.raises(FileRefused, match="上限 1 行"):
        reader.read_csv(csv_bytes("utf-8").decode(), "名单")


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_sheets_are_read_and_the_instructions_sheet_and_headerless_sheets_skipped():
    data = _workbook({"机构": ROWS, "填写说明": [["列", "要求"]], "空表": [[None], [None, "孤零零的值"]]})
    read = reader.read_xlsx(data)
    assert [sheet.title for sheet in read.sheets] == ["机构"]
    assert read.worksheet_count == 3
    assert read.notices == ["工作表“空表”的第 1 行没有表头，已跳过。"]


def test_openpyxl_parses_with_defusedxml_and_an_entity_bomb_is_not_expanded():
    assert openpyxl.xml.DEFUSEDXML is True
    data = _workbook({"机构": ROWS})
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', b"")
                content = laughs.encode() + content
            target.writestr(info.filename, content)
    bomb = out.getvalue()
    assert check(bomb, name="机构.xlsx", use=TABLES).kind == "xlsx"  # the zip itself is harmless
    with pytest.raises(FileRefused, match="无法读取") as error:
        reader.read_xlsx(bomb)
    causes = []
    cause: BaseException | None = error.value
    while cause is not None:
        causes.append(type(cause).__name__)
        cause = cause.__cause__
    assert "EntitiesForbidden" in causes  # refused by defusedxml, not expanded


def _refused(data: bytes, name: str) -> str:
    with pytest.raises(FileRefused) as error:
        check(data, name=name, use=TABLES)
    return str(error.value)
