"""The one upload checker (docs/reliability.md K3, docs/adr/0003): types by content, OLE macros found by the
directory of storages (never by a byte scan), zip bombs, and one set of limits for attachments and imports.

The OLE2 files are real compound files written by ``ole_files`` (read back by olefile before use);
the OOXML files are real zips."""

from __future__ import annotations

import io
import zipfile

import ole_files
import olefile
import pytest
from openpyxl import Workbook

from kechuang.core.importing import files
from kechuang.core.importing.files import ATTACHMENTS, TABLES, FileRefused, check

CHINESE_TEXT = "关于在菊园新区推广VBA与Macros自动化办公培训的通知：本文件不含任何宏。"


def refused(data: bytes, name: str, use: files.Use = ATTACHMENTS) -> str:
    with pytest.raises(FileRefused) as error:
        check(data, name=name, use=use)
    return str(error.value)


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            # A fixed date: the bytes (and so the parametrized test ids) are the same on every pytest-xdist
            # worker, which collect at different seconds.
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["名称", "地址"])
    book.active.append(["某公司", "平城路 1 号"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rezip(
    data: bytes, *, add: dict[str, bytes] | None = None, types: tuple[str, str] | None = None
) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if types and info.filename == "[Content_Types].xml":
                content = content.replace(types[0].encode(), types[1].encode())
            target.writestr(info.filename, content)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return out.getvalue()


DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)


# ------------------------------------------------------------------------------------------------
# OLE2: macros by the directory, not by the bytes
# ------------------------------------------------------------------------------------------------


def test_the_built_ole_files_are_well_formed_for_olefile():
    for data in (
        ole_files.word_document(CHINESE_TEXT, macros=True),
        ole_files.excel_workbook(vba=True, macro_sheet=True),
        ole_files.powerpoint(vba=True),
    ):
        ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_POTENTIAL)  # raises on any defect
        assert ole.parsing_issues == []
        ole.close()


def test_chinese_doc_whose_text_says_vba_and_macros_is_accepted_when_it_has_no_macro_storage():
    data = ole_files.word_document(CHINESE_TEXT)
    # The words are in the file as UTF-16, where the old byte scan looked for storage names.
    assert "VBA".encode("utf-16-le") in data and "Macros".encode("utf-16-le") in data
    checked = check(data, name="培训通知.doc", use=ATTACHMENTS)
    assert checked.kind == "doc" and checked.content_type == "application/msword"


def test_doc_with_a_vba_project_in_its_macros_storage_is_refused():
    message = refused(ole_files.word_document("普通的文字", macros=True), "带宏.doc")
    assert "宏" in message


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: ole_files.excel_workbook(vba=True), "宏"),
        (lambda: ole_files.excel_workbook(macro_sheet=True), "宏"),  # an Excel 4.0 macro sheet, no VBA
        (lambda: ole_files.excel_workbook(encrypted=True), "加密"),
    ],
)
def test_xls_with_vba_or_an_excel4_macro_sheet_or_encryption_is_refused(make, fragment):
    assert fragment in refused(make(), "数据.xls")


def test_plain_xls_and_ppt_are_accepted_and_a_ppt_with_a_vba_project_is_refused():
    assert check(ole_files.excel_workbook(), name="数据.xls", use=ATTACHMENTS).kind == "xls"
    assert check(ole_files.powerpoint(), name="汇报.ppt", use=ATTACHMENTS).kind == "ppt"
    assert "宏" in refused(ole_files.powerpoint(vba=True), "汇报.ppt")


def test_password_protected_office_file_is_refused_it_cannot_be_inspected():
    assert "加密" in refused(ole_files.encrypted_ooxml(), "合同.docx")
    # An import says what to do with an encrypted or old Excel file.
    assert ".xlsx" in refused(ole_files.encrypted_ooxml(), "名单.xlsx", use=TABLES)


def test_a_file_that_only_starts_like_ole_is_refused_as_broken():
    fake = files.OLE_MAGIC + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 600
    assert "损坏" in refused(fake, "老文档.doc")


def test_ole_object_with_macros_embedded_in_a_docx_is_refused():
    clean = _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"<w:document/>"})
    assert check(clean, name="方案.docx", use=ATTACHMENTS).kind == "docx"
    embedded = _zip(
        {
            "[Content_Types].xml": DOCX_TYPES,
            "word/document.xml": b"<w:document/>",
            "word/embeddings/oleObject1.bin": ole_files.excel_workbook(vba=True),
        }
    )
    assert "宏" in refused(embedded, "方案.docx")
    harmless = _zip(
        {
            "[Content_Types].xml": DOCX_TYPES,
            "word/document.xml": b"<w:document/>",
            "word/embeddings/oleObject1.bin": ole_files.excel_workbook(),
        }
    )
    assert check(harmless, name="方案.docx", use=ATTACHMENTS).kind == "docx"


# ------------------------------------------------------------------------------------------------
# OOXML and zip bombs
# ------------------------------------------------------------------------------------------------


def test_xlsx_with_an_excel4_macro_sheet_part_is_refused():
    data = _rezip(_xlsx(), add={"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"})
    assert "宏" in refused(data, "表.xlsx")
    assert "宏" in refused(data, "表.xlsx", use=TABLES)


def test_macro_enabled_extension_is_refused_before_the_content_is_read():
    assert "宏" in refused(_xlsx(), "表.xlsm", use=TABLES)
    assert "宏" in refused(b"%PDF-1.4 whatever", "文档.docm")


def test_zip_bomb_by_ratio_is_refused_for_both_uses():
    bomb = _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"\x00" * (20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    assert "压缩炸弹" in refused(bomb, "炸弹.docx")
    assert "压缩炸弹" in refused(
        _rezip(_xlsx(), add={"xl/media/big.bin": b"0" * (20 * 1024 * 1024)}), "x.xlsx", TABLES
    )


def test_zip_limits_come_from_settings_and_hold_for_attachments_and_imports_alike(settings):
    data = _xlsx()
    assert check(data, name="表.xlsx", use=ATTACHMENTS).kind == "xlsx"
    assert check(data, name="表.xlsx", use=TABLES).kind == "xlsx"
    settings.UPLOAD_ZIP_MAX_ENTRIES = 3
    for use in (ATTACHMENTS, TABLES):
        assert "压缩炸弹" in refused(data, "表.xlsx", use)
    settings.UPLOAD_ZIP_MAX_ENTRIES = 5000
    settings.UPLOAD_MAX_UNCOMPRESSED_BYTES = 2000
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2000
    for use in (ATTACHMENTS, TABLES):
        assert "解压后" in refused(data, "表.xlsx", use)


def test_nested_archives_and_plain_zips_are_refused():
    assert "压缩包" in refused(_zip({"a.txt": b"hello"}), "资料.zip")
    nested = _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"<w/>", "word/x.zip": b"PK"})
    assert "压缩包" in refused(nested, "嵌套.docx")


# ------------------------------------------------------------------------------------------------
# One checker: the same hostile files are refused by attachments and imports
# ------------------------------------------------------------------------------------------------

HOSTILE = {
    "html": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "x.xlsx"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>', "x.csv"),
    "exe": (b"MZ\x90\x00" + b"\x00" * 200, "x.xlsx"),
    "elf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "x.csv"),
    "macro docx as xlsx": (
        _zip(
            {
                "[Content_Types].xml": DOCX_TYPES.replace(
                    b"document.main+xml", b"document.macroEnabled.main+xml"
                ),
                "word/document.xml": b"<w/>",
                "word/vbaProject.bin": b"\x00" * 100,
            }
        ),
        "x.xlsx",
    ),
    "empty": (b"", "x.xlsx"),
    "gzip": (b"\x1f\x8b\x08\x00" + b"\x00" * 100, "x.csv"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_by_attachments_and_imports(name):
    data, filename = HOSTILE[name]
    for use in (ATTACHMENTS, TABLES):
        with pytest.raises(FileRefused):
            check(data, name=filename, use=use)


def test_size_limit_is_per_use_from_settings(settings):
    data = _xlsx()
    settings.IMPORT_MAX_BYTES = len(data) - 1
    assert "超过上限" in refused(data, "表.xlsx", TABLES)
    assert check(data, name="表.xlsx", use=ATTACHMENTS).kind == "xlsx"
    settings.UPLOAD_MAX_BYTES = len(data) - 1
    assert "太大" in refused(data, "表.xlsx", ATTACHMENTS)


# ------------------------------------------------------------------------------------------------
# Names and extensions
# ------------------------------------------------------------------------------------------------


def test_extension_must_agree_with_the_content():
    message = refused(_xlsx(), "表.xls")
    assert "不符" in message and ".xlsx" in message
    assert "没有扩展名" in refused(_xlsx(), "表格")
    assert "不是有效的 .xlsx" in refused("名称,地址\n甲,乙\n".encode(), "假.xlsx", TABLES)


def test_clean_name_drops_bidi_overrides_that_disguise_an_extension():
    assert files.clean_name("报告\u202egpj.exe") == "报告gpj.exe"
    assert files.clean_name("../../etc/passwd") == "passwd"
    assert files.clean_name("", default="upload") == "upload"
