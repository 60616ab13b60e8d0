"""Builders for import test files, made at test time (no binary fixtures in the repository).

Real .xlsx files are written with openpyxl; CSV files are encoded in UTF-8 (with BOM) or GBK; the
hostile files (macro workbook, zip bomb, HTML disguised as a spreadsheet…) are built byte by byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from kechuang.directory.uscc import check_character

ORG_HEADER = [
    "类型",
    "名称",
    "简称",
    "统一社会信用代码",
    "行业代码",
    "技术领域",
    "资质",
    "板块",
    "园区",
    "地址",
    "规模",
    "重点企业",
    "成立日期",
    "联系人",
    "联系电话",
    "简介",
]
PERSON_HEADER = ["姓名", "所在机构", "职务", "职称", "研究领域", "专长", "入库专家", "院士", "手机号", "邮箱"]

FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def uscc_for(number: int, prefix: str = "92310114") -> str:
    """A valid 统一社会信用代码, unique per number (prefix 92… keeps clear of the factories' 91…)."""
    body = f"{prefix}{number:09d}"
    return body + check_character(body)


def bad_checksum(code: str) -> str:
    """The same code with a wrong check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return code[:17] + alphabet[(alphabet.index(code[17]) + 1) % len(alphabet)]


def phone_for(number: int) -> str:
    return f"139{number:08d}"


def org_row(number: int, **overrides: Any) -> list[Any]:
    """One valid organization row; ``overrides`` by Chinese header."""
    values: dict[str, Any] = {
        "类型": "企业",
        "名称": f"上海导入测试{number}号科技有限公司",
        "简称": f"导入{number}",
        "统一社会信用代码": uscc_for(number),
        "行业代码": "",
        "技术领域": "",
        "资质": "",
        "板块": "",
        "园区": "",
        "地址": f"上海市嘉定区平城路{number}号",
        "规模": "",
        "重点企业": "",
        "成立日期": "",
        "联系人": "张三",
        "联系电话": phone_for(number),
        "简介": "",
    }
    unknown = set(overrides) - set(values)
    assert not unknown, unknown
    values.update(overrides)
    return [values[name] for name in ORG_HEADER]


def varied_org_rows(count: int, start: int = 0) -> list[list[Any]]:
    """``count`` valid rows exercising the accepted spellings: kinds by label or code, full-width
    digits, phones given as floats, dates as Excel dates and as text, every boolean spelling."""
    kinds = ["企业", "enterprise", "服务机构", "孵化器", "企业", "科研院所", "园区运营方", "政府部门"]
    booleans = ["是", "否", "Y", "N", "1", "0", True, ""]
    dates: list[Any] = [
        dt.date(2020, 5, 17),
        dt.datetime(2018, 3, 1),
        "2024-01-05",
        "2024/1/5",
        "2024年1月5日",
        "20190704",
        "",
        "2021.12.31",
    ]
    rows = []
    for index in range(count):
        number = start + index
        row: dict[str, Any] = {
            "类型": kinds[index % len(kinds)],
            "重点企业": booleans[index % len(booleans)],
            "成立日期": dates[index % len(dates)],
            "规模": ["", "小型", "medium", "微型（20人以下）"][index % 4],
        }
        if index % 10 == 3:  # phone typed as a number: Excel keeps it as a float
            row["联系电话"] = float(phone_for(number))
        if index % 10 == 5:  # full-width digits in the code and the phone: accepted after normalisation
            row["统一社会信用代码"] = uscc_for(number).translate(FULLWIDTH_DIGITS)
            row["联系电话"] = phone_for(number).translate(FULLWIDTH_DIGITS)
        if index % 10 == 7:  # lower case and spaces around the code
            row["统一社会信用代码"] = "  " + uscc_for(number).lower() + " "
        if index % 10 == 8:  # a landline
            row["联系电话"] = "021-5999" + f"{number % 10000:04d}"
        rows.append(org_row(number, **row))
    return rows


def person_row(name: str, organization: str, **overrides: Any) -> list[Any]:
    values: dict[str, Any] = {
        "姓名": name,
        "所在机构": organization,
        "职务": "研究员",
        "职称": "正高级职称",
        "研究领域": "",
        "专长": "",
        "入库专家": "否",
        "院士": "否",
        "手机号": "",
        "邮箱": "",
    }
    unknown = set(overrides) - set(values)
    assert not unknown, unknown
    values.update(overrides)
    return [values[header] for header in PERSON_HEADER]


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    """A real .xlsx with one sheet per entry (first row = header). Text is stored as text, even text
    starting with '=' (so the file holds what a user typed, not a formula)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row_index, row in enumerate(rows, start=1):
            for column_index, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                cell = sheet.cell(row=row_index, column=column_index, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def org_workbook(
    rows: Sequence[Sequence[Any]], header: Sequence[str] = ORG_HEADER, title: str = "机构"
) -> bytes:
    return xlsx_bytes({title: [list(header), *rows]})


def csv_bytes(rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode(encoding)


def _rezip(
    data: bytes, *, add: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = (replace or {}).get(info.filename, source.read(info))
            target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def macro_workbook() -> bytes:
    """An .xlsx that carries a VBA project and declares itself macro-enabled (what .xlsm holds)."""
    data = org_workbook([org_row(1)])
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace(
        "</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
    )
    return _rezip(
        data,
        add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0fake vba"},
        replace={"[Content_Types].xml": types.encode()},
    )


def zip_bomb(megabytes: int = 30) -> bytes:
    """A zip that looks like an .xlsx but inflates one sheet to ``megabytes`` of zeros (ratio ~1000)."""
    data = org_workbook([org_row(1)])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as handle:
                    chunk = b"0" * (1024 * 1024)
                    for _ in range(megabytes):
                        handle.write(chunk)
            else:
                target.writestr(info.filename, source.read(info))
    return out.getvalue()


def word_document_zip() -> bytes:
    """A valid zip with OOXML content types but no workbook part (like a .docx renamed to .xlsx)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        target.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


HTML_TABLE = (
    "<html><head><meta charset='utf-8'></head><body><table><tr><td>类型</td><td>名称</td></tr>"
    "<tr><td>企业</td><td>某公司</td></tr></table></body></html>"
).encode()
OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
