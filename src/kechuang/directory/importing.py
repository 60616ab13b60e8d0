"""Bulk onboarding of organizations and people from Excel (.xlsx) or CSV (docs/design.md §3.1, docs/reliability.md K4).

The steps, each one function:

``inspect_upload(filename, data)``
    Checks the file by its content before anything parses it: size, a real OOXML zip holding a
    workbook part (no macros, no encryption, no zip bomb), or a CSV that is text in UTF-8 or GB18030
    (not HTML, not binary). Raises ``ImportFileError`` with a Chinese message.
``dry_run(data, info, kind=None)``
    Reads every row of every sheet and validates it against the database without writing anything.
    Returns an ``ImportResult``: per-sheet counts (create / update / unchanged / rows with errors)
    and one ``Problem`` (sheet, row as Excel shows it, column header, raw value, Chinese message) per
    bad cell, in-file duplicates naming the other row.
``import_commit(actor=..., upload=...)``
    The write. Runs the same validation again inside one transaction, with the matched rows locked,
    and writes everything or nothing; refuses when any row has a problem. Records one audit event
    (``directory.import``) holding the counts and the file's sha256. Re-importing a file is
    idempotent: natural keys are an organization's USCC (else its kind and name) and a person's
    (organization, name, phone), and a row equal to its record changes nothing.

Uploaded files are kept under ``MEDIA_ROOT/imports/`` with a random token next to a small JSON file
naming the uploader; ``load_upload`` returns nothing for anybody else, so the views answer 404.

A blank cell leaves the stored value as it is (an import never erases data); columns absent from the
file are not touched either.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import logging
import os
import re
import secrets
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kechuang.core import audit, excel
from kechuang.core.models import AuditEvent

from . import uscc as uscc_rules
from .choices import OrganizationKind, Qualification, SizeBand, Title
from .models import Block, Industry, Organization, Park, Person, TechnologyField
from .permissions import can_import_directory

logger = logging.getLogger(__name__)

ORGANIZATIONS = "organizations"
PEOPLE = "people"
KINDS = (ORGANIZATIONS, PEOPLE)
SHEET_NAMES = {ORGANIZATIONS: "机构", PEOPLE: "人员"}
IMPORT_ACTION = "directory.import"

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

# Limits on the zip container of an .xlsx, checked before openpyxl opens it.
MAX_ZIP_ENTRIES = 2000
MAX_INFLATE_RATIO = 100  # uncompressed / compressed, for entries larger than RATIO_MIN_SIZE
RATIO_MIN_SIZE = 1024 * 1024
MAX_PROBLEMS_KEPT = 10000  # problems stored for the review page and the report
MAX_VALUE_SHOWN = 300  # characters of a raw value kept for the report
MAX_HEADER_COLUMNS = 200
_CHUNK = 500


def _max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024))


def _max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", 20000))


def _max_uncompressed() -> int:
    return int(getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 20 * _max_bytes()))


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be imported; the message (Chinese) says why and what to do."""


class ImportAlreadyCommitted(Exception):
    """This upload was committed before (a second click, or a replayed request)."""


@dataclass(frozen=True)
class Problem:
    """One thing to fix: where (sheet, row as Excel shows it, column header), the value, and how."""

    sheet: str
    row: int
    column: str
    value: str
    message: str


@dataclass
class SheetSummary:
    sheet: str
    kind: str
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    error_rows: int = 0

    @property
    def kind_label(self) -> str:
        return SHEET_NAMES.get(self.kind, self.kind)


@dataclass
class ImportResult:
    """What a dry run (or a commit) found; serialisable to JSON for the review page."""

    sheets: list[SheetSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problem_count: int = 0  # may exceed len(problems) when the list was cut

    @property
    def has_errors(self) -> bool:
        return self.problem_count > 0

    def total(self, attribute: str) -> int:
        return sum(getattr(sheet, attribute) for sheet in self.sheets)

    @property
    def totals(self) -> dict[str, int]:
        return {name: self.total(name) for name in ("rows", "create", "update", "unchanged", "error_rows")}

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for sheet in self.sheets:
            bucket = counts.setdefault(sheet.kind, {"rows": 0, "created": 0, "updated": 0, "unchanged": 0})
            bucket["rows"] += sheet.rows
            bucket["created"] += sheet.create
            bucket["updated"] += sheet.update
            bucket["unchanged"] += sheet.unchanged
        return counts

    def to_json(self) -> str:
        return json.dumps(
            {
                "sheets": [asdict(sheet) for sheet in self.sheets],
                "problems": [asdict(problem) for problem in self.problems],
                "notices": self.notices,
                "problem_count": self.problem_count,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ImportResult:
        data = json.loads(text)
        return cls(
            sheets=[SheetSummary(**sheet) for sheet in data.get("sheets", [])],
            problems=[Problem(**problem) for problem in data.get("problems", [])],
            notices=list(data.get("notices", [])),
            problem_count=int(data.get("problem_count", 0)),
        )


# ------------------------------------------------------------------------------------------------
# Checking the file by its content
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadInfo:
    format: str  # "xlsx" or "csv"
    sha256: str
    size: int
    text: str = ""  # the decoded text of a CSV


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OTHER_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"MZ",
    b"\x7fELF",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
    b"BZh",
)
_WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
_MACRO_TYPES = ("macroenabled", "vbaproject", "application/vnd.ms-office.vba")
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def file_extension(filename: str) -> str:
    return Path(filename or "").suffix.lower()


def inspect_upload(filename: str, data: bytes) -> UploadInfo:
    """Accept an .xlsx or a .csv by content; raise ImportFileError (Chinese) for anything else."""
    extension = file_extension(filename)
    size = len(data)
    if size == 0:
        raise ImportFileError(_("文件是空的，请选择填好数据的 Excel 或 CSV 文件。"))
    if size > _max_bytes():
        raise ImportFileError(
            _("文件大小 %(size)s 超过上限 %(limit)s，请拆分成多个文件后分别导入。")
            % {"size": human_size(size), "limit": human_size(_max_bytes())}
        )
    digest = hashlib.sha256(data).hexdigest()
    if extension == ".xlsm" or extension == ".xltm" or extension == ".xlam":
        raise ImportFileError(
            _("不能导入含宏的 Excel 文件（%(ext)s）。请在 Excel 中“另存为” .xlsx 格式后重新上传。")
            % {"ext": extension}
        )
    head = data[:2048]
    if head.startswith(_OLE2_MAGIC):
        raise ImportFileError(
            _(
                "这是旧版 .xls 文件或加密的 Excel 文件，无法导入。"
                "请取消密码保护，并在 Excel 中“另存为” .xlsx 格式后重新上传。"
            )
        )
    if _looks_like_markup(head):
        raise ImportFileError(
            _(
                "这是网页（HTML）或 XML 文件，只是扩展名像表格，无法导入。"
                "请在 Excel 中打开后“另存为” .xlsx 格式再上传。"
            )
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if extension != ".xlsx":
            raise ImportFileError(
                _("文件内容是 Excel（.xlsx），但扩展名是“%(ext)s”。请把扩展名改为 .xlsx 后重新上传。")
                % {"ext": extension or _("无")}
            )
        _check_ooxml(data)
        return UploadInfo(format="xlsx", sha256=digest, size=size)
    if any(head.startswith(magic) for magic in _OTHER_MAGIC):
        raise ImportFileError(_("文件不是 Excel 或 CSV 表格（可能是 PDF、图片、压缩包或程序），无法导入。"))
    if extension == ".xlsx":
        raise ImportFileError(
            _(
                "文件不是有效的 .xlsx 文件（可能已损坏，或只是把扩展名改成了 .xlsx）。"
                "请在 Excel 中“另存为” .xlsx 后重新上传。"
            )
        )
    if extension == ".xls":
        raise ImportFileError(_("不支持 .xls 文件。请在 Excel 中“另存为” .xlsx 格式后重新上传。"))
    if extension not in (".csv", ".txt"):
        raise ImportFileError(
            _("只支持 .xlsx 和 .csv 文件，当前文件的扩展名是“%(ext)s”。") % {"ext": extension or _("无")}
        )
    text = _decode_csv(data)
    return UploadInfo(format="csv", sha256=digest, size=size, text=text)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


def _looks_like_markup(head: bytes) -> bool:
    sample = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<", b"mime-version:")):
        return True
    return any(tag in sample for tag in (b"<html", b"<!doctype html"))


def _check_ooxml(data: bytes) -> None:
    bad_file = _(
        "文件不是有效的 .xlsx 文件（可能已损坏，或只是把扩展名改成了 .xlsx）。"
        "请在 Excel 中“另存为” .xlsx 后重新上传。"
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ImportFileError(bad_file) from error
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ImportFileError(
                _("文件内部含有 %(n)s 个部件，远超正常的 Excel 文件，已拒绝。") % {"n": len(infos)}
            )
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise ImportFileError(bad_file)
        if any(name.lower().rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml") for name in names):
            raise ImportFileError(
                _(
                    "文件含有宏（VBA 代码），出于安全考虑不能导入。"
                    "请在 Excel 中“另存为”不含宏的 .xlsx 后重新上传。"
                )
            )
        if any(info.flag_bits & 0x1 for info in infos):
            raise ImportFileError(_("文件已加密，无法导入。请取消密码保护后重新上传。"))
        total = sum(info.file_size for info in infos)
        if total > _max_uncompressed():
            raise ImportFileError(
                _(
                    "文件解压后达 %(size)s，超过上限 %(limit)s（疑似“压缩炸弹”），"
                    "已拒绝。如确为正常数据，请拆分成多个文件。"
                )
                % {"size": human_size(total), "limit": human_size(_max_uncompressed())}
            )
        for info in infos:
            if info.file_size > RATIO_MIN_SIZE and (
                info.compress_size == 0 or info.file_size / info.compress_size > MAX_INFLATE_RATIO
            ):
                raise ImportFileError(
                    _(
                        "文件内部压缩比异常（疑似“压缩炸弹”），已拒绝。"
                        "请在 Excel 中重新“另存为” .xlsx 后上传。"
                    )
                )
        if "[Content_Types].xml" not in names:
            raise ImportFileError(bad_file)
        content_types = archive.getinfo("[Content_Types].xml")
        if content_types.file_size > RATIO_MIN_SIZE:
            raise ImportFileError(bad_file)
        try:
            from defusedxml import ElementTree as SafeElementTree

            root = SafeElementTree.fromstring(archive.read(content_types))
        except Exception as error:
            raise ImportFileError(bad_file) from error
        workbook_parts = []
        for element in root.iter():
            content_type = (element.get("ContentType") or "").lower()
            if any(marker in content_type for marker in _MACRO_TYPES):
                raise ImportFileError(
                    _(
                        "文件含有宏（VBA 代码），出于安全考虑不能导入。"
                        "请在 Excel 中“另存为”不含宏的 .xlsx 后重新上传。"
                    )
                )
            if element.tag == f"{_CT_NS}Override" and content_type in _WORKBOOK_TYPES:
                workbook_parts.append((element.get("PartName") or "").lstrip("/"))
        if not workbook_parts or not all(part in names for part in workbook_parts):
            raise ImportFileError(
                _("文件中找不到 Excel 工作簿（可能是 Word/PowerPoint 文件，或已损坏）。请上传 .xlsx 表格。")
            )


def _decode_csv(data: bytes) -> str:
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            _("CSV 文件是 UTF-16 编码，无法导入。请在 Excel 中“另存为”“CSV UTF-8”后重新上传。")
        )
    controls = sum(1 for byte in head if byte < 0x20 and byte not in (0x09, 0x0A, 0x0D, 0x1A))
    if controls > max(2, len(head) // 100):
        raise ImportFileError(
            _("文件含有二进制内容，不是 CSV 文本文件。请在 Excel 中“另存为”“CSV UTF-8”后重新上传。")
        )
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ImportFileError(_("无法识别 CSV 文件的编码。请在 Excel 中“另存为”“CSV UTF-8”后重新上传。"))
    sample = text[:65536]
    junk = sum(
        1 for ch in sample if (unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\x1a") or ch == "\ufffd"
    )
    if sample and junk > max(2, len(sample) // 100):
        raise ImportFileError(_("文件含有大量不可见的控制字符，不像 CSV 表格，无法导入。"))
    return text


# ------------------------------------------------------------------------------------------------
# Cell values
# ------------------------------------------------------------------------------------------------


class CellError(Exception):
    """A cell's value cannot be used; the message (Chinese) says what to fix."""


class _Blank:
    def __repr__(self) -> str:
        return "BLANK"


BLANK: Any = _Blank()

_FULLWIDTH = {
    code: code - 0xFEE0
    for code in list(range(0xFF10, 0xFF1A)) + list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))
}
_FULLWIDTH[0x3000] = 0x20
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+")
_SPLIT_MULTI = re.compile(r"[,，、;；\n\r|｜]+")
_CONTROL_PICTURES = {code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\r\n"} | {
    0x7F: 0x2421
}


def display_value(raw: Any) -> str:
    """The cell as the report shows it; invisible control characters become visible symbols."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        text = str(int(raw)) if raw.is_integer() and abs(raw) < 1e15 else repr(raw)
    elif isinstance(raw, dt.datetime):
        text = raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    elif isinstance(raw, dt.date | dt.time):
        text = raw.isoformat()
    else:
        text = str(raw)
    text = text.translate(_CONTROL_PICTURES)
    if len(text) > MAX_VALUE_SHOWN:
        text = text[:MAX_VALUE_SHOWN] + "…"
    return text


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip(" \t\r\n\u3000\u200b\ufeff"))


def _raw_text(raw: Any) -> str:
    """Any cell value as text (numbers as Excel shows them in General format)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float):
        if raw.is_integer() and abs(raw) < 1e15:
            return str(int(raw))
        return repr(raw)
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat() if raw.time() == dt.time() else raw.isoformat(sep=" ")
    if isinstance(raw, dt.date | dt.time):
        return raw.isoformat()
    return str(raw)


def clean_text(raw: Any, *, multiline: bool = False) -> str:
    """Text for a free-text column: format characters (zero-width, bidi controls) dropped, control
    characters refused, full-width digits and letters made half-width, line breaks kept only where
    the column allows them, and surrounding blanks removed. Chinese punctuation is kept."""
    text = _raw_text(raw)
    if not text.isprintable():  # the common case skips the per-character checks
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t\r\n" for ch in text):
            raise CellError(_("含有不可见的控制字符（如 NUL）或乱码，请删除后重新填写。"))
    if "\ufffd" in text:
        raise CellError(_("含有不可见的控制字符（如 NUL）或乱码，请删除后重新填写。"))
    text = text.translate(_FULLWIDTH)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    else:
        text = re.sub(r"[\t\r\n]+", " ", text)
    return text.strip()


def _code_text(raw: Any) -> str:
    """Text for a code-like column (NFKC, no surrounding blanks)."""
    return unicodedata.normalize("NFKC", clean_text(raw)).strip()


def _key(text: str) -> str:
    """A loose key for matching labels and headers: NFKC, no blanks or quotes, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return re.sub(r"[\"'“”‘’「」*]", "", text).lower()


def parse_text(max_length: int | None, *, multiline: bool = False) -> Callable[[Any, Lookups], Any]:
    def parse(raw: Any, lookups: Lookups) -> Any:
        text = clean_text(raw, multiline=multiline)
        if not text:
            return BLANK
        if max_length is not None and len(text) > max_length:
            raise CellError(
                _("内容过长：最多 %(max)s 个字符，现在有 %(n)s 个，请精简。")
                % {"max": max_length, "n": len(text)}
            )
        return text

    return parse


def _lost_digits_message(label: str) -> str:
    return _(
        "%(label)s被 Excel 当作数字保存，显示成了科学计数法，后几位数字已丢失，"
        "无法还原。请将该列设置为“文本”格式，重新填写完整的%(label)s。"
    ) % {"label": label}


def _integer_text(raw: Any, label: str) -> tuple[str, bool]:
    """Digits of a numeric cell, or the cleaned text; True when the cell was a number. Refuses a
    number that lost digits (a float of 15+ digits, or text in scientific notation like 1.38123E+10)."""
    if isinstance(raw, bool):
        raise CellError(_("%(label)s不能是“是/否”，请填写号码。") % {"label": label})
    if isinstance(raw, int):
        return str(raw), True
    if isinstance(raw, float):
        if not raw.is_integer() or abs(raw) >= 1e15:
            raise CellError(_lost_digits_message(label))
        return str(int(raw)), True
    text = _code_text(raw)
    compact = text.replace(" ", "")
    if _SCIENTIFIC.fullmatch(compact):
        try:
            number = Decimal(compact)
        except InvalidOperation as error:
            raise CellError(_lost_digits_message(label)) from error
        if number != number.to_integral_value():
            raise CellError(_lost_digits_message(label))
        digits = str(abs(int(number)))
        significant = len(number.as_tuple().digits)
        if significant < len(digits):
            raise CellError(
                _(
                    "%(label)s“%(value)s”是科学计数法，后几位数字已丢失，无法还原。请将该列设置为“文本”格式，重新填写完整的%(label)s。"
                )
                % {"label": label, "value": text}
            )
        return digits, True
    return text, False


_MOBILE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{3,4}-?\d{4}(?:(?:-|转|ext\.?|#)\d{1,6})?", re.IGNORECASE)
_SERVICE_LINE = re.compile(r"[48]00-?\d{3}-?\d{4}")


def parse_phone(raw: Any, lookups: Lookups) -> Any:
    """A mainland mobile number (stored as 11 digits) or a landline with its area code."""
    if _is_blank(raw):
        return BLANK
    text, numeric = _integer_text(raw, _("电话号码"))
    compact = re.sub(r"[\s()（）]", "", text)
    mobile = _MOBILE.fullmatch(compact.replace("-", ""))
    if mobile:
        return mobile.group(1)
    if (_LANDLINE.fullmatch(compact) or _SERVICE_LINE.fullmatch(compact)) and len(compact) <= 20:
        return compact
    message = _(
        "电话号码“%(value)s”格式不正确，"
        "请填写 11 位手机号（如 13812345678）或带区号的固定电话（如 021-59991234）。"
    ) % {"value": display_value(text)}
    if numeric:
        message += _(
            "若号码以 0 开头，可能是 Excel 把它当作数字去掉了开头的 0，请将该列设置为“文本”格式后重新填写。"
        )
    raise CellError(message)


def parse_uscc(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    text, _numeric = _integer_text(raw, _("统一社会信用代码"))
    try:
        return uscc_rules.validate(text)
    except uscc_rules.USCCError as error:
        raise CellError(str(error)) from error


_DATE_FORMS = (
    re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"),
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_TIME_TAIL = re.compile(r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
_EARLIEST = dt.date(1800, 1, 1)


def parse_past_date(raw: Any, lookups: Lookups) -> Any:
    """A date from an Excel date cell or text such as 2024-01-05, 2024/1/5, 2024年1月5日, 20240105."""
    if _is_blank(raw):
        return BLANK
    how_to = _("请按 2024-01-05、2024/1/5 或 2024年1月5日 的格式填写。")
    value: dt.date | None = None
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, bool):
        raise CellError(_("不是日期。") + how_to)
    elif isinstance(raw, int | float):
        if isinstance(raw, float) and not raw.is_integer():
            raise CellError(_("无法识别的日期“%(value)s”。") % {"value": display_value(raw)} + how_to)
        number = int(raw)
        if 1800 <= number <= 2100:
            raise CellError(_("只填了年份“%(value)s”，请填写完整日期。") % {"value": number} + how_to)
        if len(str(number)) == 8:
            value = _date_from_parts(str(number)[:4], str(number)[4:6], str(number)[6:], str(number))
        elif 1 <= number <= 2958465:
            from openpyxl.utils.datetime import from_excel

            value = from_excel(number).date()
        else:
            raise CellError(_("无法识别的日期“%(value)s”。") % {"value": number} + how_to)
    else:
        text = _TIME_TAIL.sub("", _code_text(raw)).strip()
        for form in _DATE_FORMS:
            match = form.fullmatch(text)
            if match:
                year, month, day = match.groups()
                value = _date_from_parts(year, month, day, text)
                break
        else:
            raise CellError(_("无法识别的日期“%(value)s”。") % {"value": display_value(text)} + how_to)
    if value < _EARLIEST:
        raise CellError(_("日期“%(value)s”过早，请核对年份。") % {"value": value.isoformat()})
    if value > timezone.localdate():
        raise CellError(_("日期“%(value)s”晚于今天，请核对。") % {"value": value.isoformat()})
    return value


def _date_from_parts(year: str, month: str, day: str, shown: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as error:
        raise CellError(
            _("日期“%(value)s”不存在，请核对年、月、日。") % {"value": display_value(shown)}
        ) from error


_TRUE = {"是", "y", "yes", "true", "t", "1", "√", "✓", "✔", "对", "有"}
_FALSE = {"否", "n", "no", "false", "f", "0", "×", "✗", "✘", "不是", "无", "非"}


def parse_bool(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    key = _key(_raw_text(raw))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError(_("“%(value)s”无法识别，请填写“是”或“否”。") % {"value": display_value(raw)})


def parse_email(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    text = _code_text(raw).replace(" ", "")
    local, at, domain = text.rpartition("@")
    if at:
        text = f"{local}@{domain.lower()}"
    try:
        validate_email(text)
    except ValidationError as error:
        raise CellError(
            _("邮箱“%(value)s”格式不正确，请填写如 name@example.com 的地址。")
            % {"value": display_value(text)}
        ) from error
    if len(text) > 254:
        raise CellError(_("邮箱过长，最多 254 个字符。"))
    return text


def _choice_labels(choices: Any) -> list[tuple[str, str]]:
    """(value, Chinese label) pairs; labels are read untranslated, so Chinese whatever the language."""
    with translation.override(None):
        return [(value, str(label)) for value, label in choices.choices]


def parse_choice(
    choices: Any, what: str, aliases: dict[str, str] | None = None, allow_blank_value: bool = False
) -> Callable[[Any, Lookups], Any]:
    cache: dict[str, dict[str, str]] = {}

    def table() -> dict[str, str]:
        language = translation.get_language() or ""
        if language in cache:
            return cache[language]
        mapping: dict[str, str] = {}
        for value, label in _choice_labels(choices):
            mapping[_key(value)] = value
            mapping[_key(label)] = value
            short = re.split(r"[(（]", label)[0]
            mapping.setdefault(_key(short), value)
        for value, label in choices.choices:  # the active language's labels too
            mapping.setdefault(_key(str(label)), value)
        for alias, value in (aliases or {}).items():
            mapping.setdefault(_key(alias), value)
        if not allow_blank_value:
            mapping.pop("", None)
        cache[language] = mapping
        return mapping

    def parse(raw: Any, lookups: Lookups) -> Any:
        if _is_blank(raw):
            return BLANK
        found = table().get(_key(_raw_text(raw)))
        if found is None:
            options = "、".join(
                label for value, label in _choice_labels(choices) if value or allow_blank_value
            )
            raise CellError(
                _("“%(value)s”不是可选的%(what)s，请填写：%(options)s。")
                % {"value": display_value(raw), "what": what, "options": options}
            )
        return found

    return parse


parse_kind = parse_choice(
    OrganizationKind,
    "机构类型",
    {
        "院所": OrganizationKind.INSTITUTE,
        "研究所": OrganizationKind.INSTITUTE,
        "科研机构": OrganizationKind.INSTITUTE,
        "公司": OrganizationKind.ENTERPRISE,
        "服务商": OrganizationKind.PROVIDER,
        "园区运营": OrganizationKind.PARK_OPERATOR,
        "政府": OrganizationKind.GOVERNMENT,
    },
)
parse_size = parse_choice(
    SizeBand,
    "规模",
    {
        "微型企业": SizeBand.MICRO,
        "小型企业": SizeBand.SMALL,
        "中型企业": SizeBand.MEDIUM,
        "大型企业": SizeBand.LARGE,
    },
)
parse_title = parse_choice(
    Title,
    "职称",
    {
        "正高": Title.SENIOR,
        "正高级": Title.SENIOR,
        "副高": Title.ASSOCIATE_SENIOR,
        "副高级": Title.ASSOCIATE_SENIOR,
        "中级": Title.INTERMEDIATE,
        "初级": Title.JUNIOR,
        "研究员": Title.SENIOR,
        "教授": Title.SENIOR,
        "正高级工程师": Title.SENIOR,
        "教授级高级工程师": Title.SENIOR,
        "副研究员": Title.ASSOCIATE_SENIOR,
        "副教授": Title.ASSOCIATE_SENIOR,
        "高级工程师": Title.ASSOCIATE_SENIOR,
        "助理研究员": Title.INTERMEDIATE,
        "讲师": Title.INTERMEDIATE,
        "工程师": Title.INTERMEDIATE,
        "研究实习员": Title.JUNIOR,
        "助教": Title.JUNIOR,
        "助理工程师": Title.JUNIOR,
        "技术员": Title.JUNIOR,
    },
    allow_blank_value=True,
)


def _split_multi(raw: Any) -> list[str]:
    return [part.strip() for part in _SPLIT_MULTI.split(clean_text(raw, multiline=True)) if part.strip()]


@functools.cache
def _qualification_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in _choice_labels(Qualification):
        table[_key(value)] = value
        table[_key(label)] = value
    table.setdefault(_key("高新"), Qualification.HIGH_TECH)
    table.setdefault(_key("小巨人"), Qualification.LITTLE_GIANT)
    table.setdefault(_key("专精特新小巨人"), Qualification.LITTLE_GIANT)
    return table


def parse_qualifications(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    table = _qualification_table()
    values, unknown = [], []
    for part in _split_multi(raw):
        found = table.get(_key(part))
        if found is None:
            unknown.append(part)
        elif found not in values:
            values.append(found)
    if unknown:
        options = "、".join(label for _value, label in _choice_labels(Qualification))
        raise CellError(
            _("资质“%(value)s”无法识别，请填写：%(options)s，多个用顿号“、”分隔。")
            % {"value": display_value("、".join(unknown)), "options": options}
        )
    return values


def parse_fields(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    found: list[TechnologyField] = []
    unknown, ambiguous = [], []
    for part in _split_multi(raw):
        by_code = lookups.fields_by_code.get(part.upper())
        matches = [by_code] if by_code else lookups.fields_by_name.get(_key(part), [])
        if not matches:
            unknown.append(part)
        elif len(matches) > 1:
            ambiguous.append(part)
        elif matches[0] not in found:
            found.append(matches[0])
    if unknown:
        raise CellError(
            _("技术领域“%(value)s”在平台中不存在，请填写“技术领域”目录中的名称或编码，多个用顿号“、”分隔。")
            % {"value": display_value("、".join(unknown))}
        )
    if ambiguous:
        raise CellError(
            _("技术领域“%(value)s”有多个同名项，请改填编码。")
            % {"value": display_value("、".join(ambiguous))}
        )
    return found


def parse_industry(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    text = _code_text(raw)
    first = text.split(" ", 1)[0].upper()
    industry = (
        lookups.industries.get(text.upper())
        or lookups.industries.get(first)
        or lookups.industries_by_name.get(_key(text))
    )
    if industry is None:
        raise CellError(
            _(
                "行业代码“%(value)s”不存在，"
                "请按国民经济行业分类（GB/T 4754-2017）填写平台中已有的代码，如 C39。"
            )
            % {"value": display_value(text)}
        )
    return industry


def _place_parser(what: str, attribute: str) -> Callable[[Any, Lookups], Any]:
    def parse(raw: Any, lookups: Lookups) -> Any:
        if _is_blank(raw):
            return BLANK
        text = clean_text(raw)
        table: dict[str, Model] = getattr(lookups, attribute)
        found = table.get(_key(text))
        if found is None:
            names = sorted({str(obj) for obj in table.values()})
            hint = (
                _("请填写：%(names)s。") % {"names": "、".join(names)}
                if 0 < len(names) <= 20
                else _("请填写平台中已有的%(what)s名称或编码。") % {"what": what}
            )
            raise CellError(
                _("%(what)s“%(value)s”在平台中不存在，") % {"what": what, "value": display_value(text)} + hint
            )
        return found

    return parse


def parse_org_ref(raw: Any, lookups: Lookups) -> Any:
    if _is_blank(raw):
        return BLANK
    text = _raw_text(raw) if isinstance(raw, int) else clean_text(raw)
    return text or BLANK


# ------------------------------------------------------------------------------------------------
# Columns
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    parse: Callable[[Any, Lookups], Any]
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    text_format: bool = False
    width: int = 14


def _len(model: type[Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length  # type: ignore[union-attr]


def _labels(choices: Any) -> str:
    return "、".join(label for value, label in _choice_labels(choices) if value)


ORGANIZATION_COLUMNS: tuple[Column, ...] = (
    Column(
        "kind",
        "类型",
        parse_kind,
        required=True,
        aliases=("机构类型", "单位类型"),
        note="必填。" + _labels(OrganizationKind) + "之一",
        width=12,
    ),
    Column(
        "name",
        "名称",
        parse_text(_len(Organization, "name")),
        required=True,
        aliases=("机构名称", "单位名称", "企业名称"),
        note="必填。机构全称",
        width=32,
    ),
    Column(
        "short_name", "简称", parse_text(_len(Organization, "short_name")), aliases=("机构简称",), width=14
    ),
    Column(
        "uscc",
        "统一社会信用代码",
        parse_uscc,
        aliases=("信用代码", "社会信用代码", "统一信用代码", "uscc"),
        note="18 位；企业必填。请保持“文本”格式",
        text_format=True,
        width=22,
    ),
    Column(
        "industry",
        "行业代码",
        parse_industry,
        aliases=("行业", "所属行业", "国民经济行业代码"),
        note="国民经济行业分类代码，如 C39",
        width=12,
    ),
    Column(
        "fields",
        "技术领域",
        parse_fields,
        aliases=("领域",),
        note="平台技术领域的名称或编码，多个用顿号“、”分隔",
        width=24,
    ),
    Column(
        "qualifications",
        "资质",
        parse_qualifications,
        aliases=("企业资质",),
        note=_labels(Qualification) + "，多个用顿号“、”分隔",
        width=20,
    ),
    Column("block", "板块", _place_parser("板块", "blocks"), aliases=("所在板块", "产业板块"), width=10),
    Column("park", "园区", _place_parser("园区", "parks"), aliases=("所在园区", "科创园区"), width=20),
    Column(
        "address",
        "地址",
        parse_text(_len(Organization, "address")),
        aliases=("注册地址", "办公地址"),
        width=30,
    ),
    Column("size_band", "规模", parse_size, aliases=("企业规模",), note=_labels(SizeBand), width=12),
    Column("is_key", "重点企业", parse_bool, aliases=("是否重点企业",), note="是 / 否", width=10),
    Column(
        "founded_on",
        "成立日期",
        parse_past_date,
        aliases=("成立时间", "注册日期"),
        note="如 2024-01-05、2024/1/5 或 2024年1月5日",
        width=12,
    ),
    Column("contact_name", "联系人", parse_text(_len(Organization, "contact_name")), width=10),
    Column(
        "contact_phone",
        "联系电话",
        parse_phone,
        aliases=("电话", "联系方式"),
        note="手机号或带区号的固定电话。请保持“文本”格式",
        text_format=True,
        width=16,
    ),
    Column(
        "description", "简介", parse_text(None, multiline=True), aliases=("机构简介", "企业简介"), width=40
    ),
)

PERSON_COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", parse_text(_len(Person, "name")), required=True, note="必填", width=10),
    Column(
        "organization_ref",
        "所在机构",
        parse_org_ref,
        aliases=("机构", "单位", "所在单位", "工作单位"),
        note="机构全称或统一社会信用代码；可以是本文件“机构”工作表中的机构",
        width=32,
    ),
    Column("position", "职务", parse_text(_len(Person, "position")), width=14),
    Column("title", "职称", parse_title, note=_labels(Title) + "，或“无”", width=14),
    Column(
        "fields",
        "研究领域",
        parse_fields,
        aliases=("技术领域", "领域"),
        note="平台技术领域的名称或编码，多个用顿号“、”分隔",
        width=24,
    ),
    Column("expertise", "专长", parse_text(_len(Person, "expertise")), aliases=("专业特长",), width=30),
    Column("is_expert", "入库专家", parse_bool, aliases=("是否入库专家", "专家"), note="是 / 否", width=10),
    Column("is_academician", "院士", parse_bool, aliases=("是否院士",), note="是 / 否", width=8),
    Column(
        "phone",
        "手机号",
        parse_phone,
        aliases=("手机", "手机号码", "电话", "联系电话"),
        note="11 位手机号。请保持“文本”格式",
        text_format=True,
        width=16,
    ),
    Column("email", "邮箱", parse_email, aliases=("电子邮箱", "email", "e-mail", "邮件"), width=24),
)

COLUMNS = {ORGANIZATIONS: ORGANIZATION_COLUMNS, PEOPLE: PERSON_COLUMNS}
ORG_SCALARS = (
    "kind",
    "name",
    "short_name",
    "uscc",
    "industry",
    "qualifications",
    "block",
    "park",
    "address",
    "size_band",
    "is_key",
    "founded_on",
    "contact_name",
    "contact_phone",
    "description",
)
PERSON_SCALARS = ("name", "position", "title", "expertise", "is_expert", "is_academician", "phone", "email")
_FK_KEYS = {"industry", "block", "park"}


def header_key(text: Any) -> str:
    """A header cell made comparable: NFKC, no blanks, no '*' marks, no notes in brackets."""
    key = _key(_raw_text(text)) if text is not None else ""
    key = re.sub(r"[(\[【].*?[)\]】]", "", key)
    return key


def _header_table(kind: str) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for column in COLUMNS[kind]:
        for name in (column.header, *column.aliases):
            table.setdefault(header_key(name), column)
    return table


def detect_kind(headers: Iterable[Any]) -> str | None:
    keys = {header_key(header) for header in headers if header is not None}
    if "姓名" in keys:
        return PEOPLE
    if keys & {"名称", "机构名称", "单位名称", "企业名称", "统一社会信用代码"}:
        return ORGANIZATIONS
    return None


def _sheet_kind_by_name(title: str) -> str | None:
    key = header_key(title)
    if key in ("机构", "机构信息", "机构名录", "organizations", "organization"):
        return ORGANIZATIONS
    if key in ("人员", "人员信息", "人才", "people", "person", "persons"):
        return PEOPLE
    return None


_IGNORED_SHEETS = {"填写说明", "说明", "readme", "instructions"}


# ------------------------------------------------------------------------------------------------
# Reading sheets
# ------------------------------------------------------------------------------------------------


@dataclass
class RawSheet:
    title: str
    kind: str | None
    header: list[Any]
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number as Excel shows it, cells); blank rows left out


def _row_is_blank(cells: Iterable[Any]) -> bool:
    return all(_is_blank(cell) for cell in cells)


class _RowBudget:
    def __init__(self) -> None:
        self.left = _max_rows()

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ImportFileError(
                _("文件中的数据超过单次导入上限 %(n)s 行，请拆分成多个文件后分别导入。") % {"n": _max_rows()}
            )


def read_xlsx(data: bytes, chosen_kind: str | None = None) -> tuple[list[RawSheet], list[str]]:
    """Every sheet's header and non-blank rows (read-only, cached values, never formulas)."""
    from openpyxl import load_workbook

    notices: list[str] = []
    sheets: list[RawSheet] = []
    budget = _RowBudget()
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as error:
        logger.info("import: unreadable workbook: %s", type(error).__name__)
        raise ImportFileError(
            _("无法读取这个 Excel 文件（可能已损坏）。请在 Excel 中重新“另存为” .xlsx 后上传。")
        ) from error
    try:
        worksheets = [sheet for sheet in workbook.worksheets if hasattr(sheet, "iter_rows")]
        for worksheet in worksheets:
            title = str(worksheet.title)
            if header_key(title) in _IGNORED_SHEETS:
                continue
            rows = worksheet.iter_rows(values_only=True, max_col=MAX_HEADER_COLUMNS)
            header: list[Any] = []
            data_rows: list[tuple[int, tuple[Any, ...]]] = []
            for number, cells in enumerate(rows, start=1):
                if number == 1:
                    header = list(cells)
                    while header and _is_blank(header[-1]):
                        header.pop()
                    continue
                cells = tuple(cells[: len(header)])
                if _row_is_blank(cells):
                    continue
                budget.take()
                data_rows.append((number, cells))
            if not header:
                if data_rows or worksheet.max_row not in (None, 0, 1):
                    notices.append(_("工作表“%(sheet)s”的第 1 行没有表头，已跳过。") % {"sheet": title})
                continue
            kind = _sheet_kind_by_name(title) or detect_kind(header)
            if kind is None and chosen_kind and len(worksheets) == 1:
                kind = chosen_kind
            if kind is None:
                notices.append(
                    _("无法识别工作表“%(sheet)s”是机构还是人员（请将工作表命名为“机构”或“人员”），已跳过。")
                    % {"sheet": title}
                )
                continue
            sheets.append(RawSheet(title, kind, header, data_rows))
    except ImportFileError:
        raise
    except Exception as error:
        logger.info("import: unreadable worksheet: %s", type(error).__name__)
        raise ImportFileError(
            _("无法读取这个 Excel 文件（可能已损坏）。请在 Excel 中重新“另存为” .xlsx 后上传。")
        ) from error
    finally:
        workbook.close()
    return sheets, notices


def read_csv(text: str, title: str, chosen_kind: str | None = None) -> tuple[list[RawSheet], list[str]]:
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
                while header and _is_blank(header[-1]):
                    header.pop()
                continue
            if _row_is_blank(cells):
                continue
            budget.take()
            data_rows.append((number, tuple(cells[: max(len(header), 1)])))
    except csv.Error as error:
        raise ImportFileError(
            _("CSV 文件第 %(row)s 行格式有误（引号不配对或单元格过长），请在 Excel 中打开检查后重新保存。")
            % {"row": number + 1}
        ) from error
    if not header:
        raise ImportFileError(_("CSV 文件的第 1 行没有表头，请使用导入模板。"))
    kind = chosen_kind or detect_kind(header)
    if kind is None:
        raise ImportFileError(
            _("无法从表头判断这是机构还是人员数据。请使用导入模板的表头，或在上传时选择数据类型。")
        )
    return [RawSheet(title, kind, header, data_rows)], []


# ------------------------------------------------------------------------------------------------
# Lookups (small tables loaded once per run)
# ------------------------------------------------------------------------------------------------


class Lookups:
    def __init__(self) -> None:
        self.fields_by_code: dict[str, TechnologyField] = {}
        self.fields_by_name: dict[str, list[TechnologyField]] = {}
        for item in TechnologyField.objects.all():
            self.fields_by_code[item.code.upper()] = item
            self.fields_by_name.setdefault(_key(item.name), []).append(item)
        self.industries = {item.code.upper(): item for item in Industry.objects.all()}
        self.industries_by_name = {_key(item.name): item for item in self.industries.values()}
        self.blocks = self._places(Block)
        self.parks = self._places(Park)

    @staticmethod
    def _places(model: type[Block] | type[Park]) -> dict[str, Block | Park]:
        table: dict[str, Block | Park] = {}
        items: list[Block | Park] = list(model.objects.all())
        for item in items:
            table.setdefault(_key(item.name), item)
        for item in items:
            table.setdefault(_key(item.code), item)
        return table


# ------------------------------------------------------------------------------------------------
# Planning: what each row would do
# ------------------------------------------------------------------------------------------------


@dataclass
class RowPlan:
    kind: str
    sheet: str
    row: int
    values: dict[str, Any]
    raw: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    action: str = ""
    target: Any = None  # the existing record, or None
    instance: Any = None  # the record as it will be saved
    changed: list[str] = field(default_factory=list)
    fields: list[TechnologyField] | None = None  # the technology fields to set, when they change
    identity: tuple[Any, ...] | None = None  # organizations: ("pk", id) or ("row", sheet, row)
    org_identity: tuple[Any, ...] | None = None  # people: the identity of their organization

    def where(self, other: RowPlan) -> str:
        if other.sheet == self.sheet:
            return _("第 %(row)s 行") % {"row": other.row}
        return _("工作表“%(sheet)s”第 %(row)s 行") % {"sheet": other.sheet, "row": other.row}


@dataclass
class Plan:
    rows: list[RowPlan]
    result: ImportResult


class _Planner:
    def __init__(self, *, for_update: bool) -> None:
        self.for_update = for_update
        self.lookups = Lookups()
        self.header_problems: list[Problem] = []
        self.rows: list[RowPlan] = []
        self.sheets: list[SheetSummary] = []
        self.notices: list[str] = []

    # -- reading ----------------------------------------------------------------------------------

    def add_sheet(self, sheet: RawSheet) -> None:
        assert sheet.kind in KINDS
        kind = sheet.kind
        summary = SheetSummary(sheet=sheet.title, kind=kind, rows=len(sheet.rows))
        self.sheets.append(summary)
        table = _header_table(kind)
        positions: dict[str, int] = {}
        by_key: dict[str, Column] = {}
        duplicated = False
        for index, cell in enumerate(sheet.header):
            if _is_blank(cell):
                continue
            column = table.get(header_key(cell))
            if column is None:
                self.notices.append(
                    _("工作表“%(sheet)s”的第 %(col)s 列“%(name)s”不是模板中的列，导入时忽略。")
                    % {"sheet": sheet.title, "col": index + 1, "name": display_value(cell)}
                )
                continue
            if column.key in positions:
                self.header_problems.append(
                    Problem(
                        sheet.title,
                        1,
                        column.header,
                        display_value(cell),
                        _("第 %(a)s 列和第 %(b)s 列都是“%(name)s”，请删除重复的列。")
                        % {"a": positions[column.key] + 1, "b": index + 1, "name": column.header},
                    )
                )
                duplicated = True
                continue
            positions[column.key] = index
            by_key[column.key] = column
        missing = [
            column.header for column in COLUMNS[kind] if column.required and column.key not in positions
        ]
        if missing:
            self.header_problems.append(
                Problem(
                    sheet.title,
                    1,
                    "、".join(missing),
                    "",
                    _("缺少必填列：%(names)s。请在第 1 行（表头）加上这些列，或使用导入模板。")
                    % {"names": "、".join(missing)},
                )
            )
        if missing or duplicated:
            summary.error_rows = summary.rows
            return
        for number, cells in sheet.rows:
            values: dict[str, Any] = {}
            raw: dict[str, Any] = {}
            plan = RowPlan(kind=kind, sheet=sheet.title, row=number, values=values, raw=raw)
            for key, index in positions.items():
                column = by_key[key]
                cell = cells[index] if index < len(cells) else None
                raw[key] = cell
                try:
                    value = column.parse(cell, self.lookups)
                except CellError as error:
                    self.problem(plan, key, str(error))
                    continue
                if value is BLANK:
                    if column.required:
                        self.problem(
                            plan, key, _("“%(name)s”是必填项，不能为空，请填写。") % {"name": column.header}
                        )
                    continue
                values[key] = value
            self.rows.append(plan)

    def problem(self, plan: RowPlan, key: str, message: str) -> None:
        column = next((c for c in COLUMNS[plan.kind] if c.key == key), None)
        plan.problems.append(
            Problem(
                plan.sheet,
                plan.row,
                column.header if column else "",
                display_value(plan.raw.get(key)),
                message,
            )
        )

    # -- matching against the database and within the file ----------------------------------------

    def plan(self) -> Plan:
        org_rows = [row for row in self.rows if row.kind == ORGANIZATIONS]
        person_rows = [row for row in self.rows if row.kind == PEOPLE]
        existing = self._load_organizations(org_rows, person_rows)
        self._plan_organizations(org_rows, existing)
        if person_rows:
            self._plan_people(person_rows, org_rows, existing)
        return Plan(rows=self.rows, result=self._result())

    def _load_organizations(self, org_rows: list[RowPlan], person_rows: list[RowPlan]) -> list[Organization]:
        usccs = {row.values["uscc"] for row in org_rows if "uscc" in row.values}
        names = {row.values["name"] for row in org_rows if "name" in row.values}
        short_names: set[str] = set()
        for row in person_rows:
            ref = row.values.get("organization_ref")
            if not ref:
                continue
            code = uscc_rules.normalize(ref)
            if uscc_rules.is_valid(code):
                usccs.add(code)
            else:
                names.add(ref)
                short_names.add(ref)
        found: dict[int, Organization] = {}
        for lookup, values in (("uscc__in", usccs), ("name__in", names), ("short_name__in", short_names)):
            ordered = sorted(values)
            for start in range(0, len(ordered), _CHUNK):
                qs = Organization.objects.filter(Q(**{lookup: ordered[start : start + _CHUNK]})).order_by(
                    "pk"
                )
                if self.for_update:
                    qs = qs.select_for_update()
                for organization in qs:
                    found.setdefault(organization.pk, organization)
        return list(found.values())

    def _plan_organizations(self, rows: list[RowPlan], existing: list[Organization]) -> None:
        by_uscc = {org.uscc: org for org in existing if org.uscc}
        by_kind_name = {(org.kind, org.name): org for org in existing}
        seen_uscc: dict[str, RowPlan] = {}
        seen_target: dict[int, RowPlan] = {}
        seen_kind_name: dict[tuple[str, str], RowPlan] = {}
        field_ids = (
            self._existing_field_ids(Organization, "organization_id", [org.pk for org in existing])
            if any("fields" in r.values for r in rows)
            else {}
        )
        for row in rows:
            values = row.values
            uscc, kind, name = values.get("uscc"), values.get("kind"), values.get("name")
            target: Organization | None = None
            stage_problems = len(row.problems)
            if uscc:
                target = by_uscc.get(uscc)
                if target is None and kind and name:
                    same = by_kind_name.get((kind, name))
                    if same is not None and same.uscc and same.uscc != uscc:
                        self.problem(
                            row,
                            "uscc",
                            _(
                                "平台中已有同类型同名机构“%(name)s”，其统一社会信用代码为 %(code)s，"
                                "与本行不一致。请核对；如确需更正代码，请在该机构的资料页修改。"
                            )
                            % {"name": same.name, "code": same.uscc},
                        )
                    elif same is not None:
                        target = same
            elif kind and name:
                target = by_kind_name.get((kind, name))
            row.target = target
            row.identity = ("pk", target.pk) if target is not None else ("row", row.sheet, row.row)
            if len(row.problems) == stage_problems and uscc:
                first = seen_uscc.get(uscc)
                if first is not None:
                    self.problem(
                        row,
                        "uscc",
                        _("与%(where)s的统一社会信用代码重复，同一机构只能出现一次。")
                        % {"where": row.where(first)},
                    )
                else:
                    seen_uscc[uscc] = row
            if len(row.problems) == stage_problems and target is not None:
                first = seen_target.get(target.pk)
                if first is not None:
                    self.problem(
                        row,
                        "name",
                        _("与%(where)s对应平台中的同一家机构“%(name)s”，同一机构只能出现一次。")
                        % {"where": row.where(first), "name": target.name},
                    )
                else:
                    seen_target[target.pk] = row
            if len(row.problems) == stage_problems and kind and name:
                first = seen_kind_name.get((kind, name))
                if first is not None:
                    self.problem(
                        row,
                        "name",
                        _("与%(where)s的类型和名称相同，同一机构只能出现一次。")
                        % {"where": row.where(first)},
                    )
                else:
                    seen_kind_name[(kind, name)] = row
                    other = by_kind_name.get((kind, name))
                    if other is not None and (target is None or other.pk != target.pk):
                        self.problem(
                            row,
                            "name",
                            _(
                                "平台中已有同类型同名的机构“%(name)s”（统一社会信用代码 %(code)s），"
                                "与本行的统一社会信用代码不一致，请核对。"
                            )
                            % {"name": other.name, "code": other.uscc or _("未填写")},
                        )
            final_uscc = uscc or (target.uscc if target else None)
            uscc_header = _header_of(ORGANIZATIONS, "uscc")
            if (
                kind == OrganizationKind.ENTERPRISE
                and not final_uscc
                and not any(problem.column == uscc_header for problem in row.problems)
            ):
                self.problem(row, "uscc", _("企业必须填写统一社会信用代码。"))
            if row.problems:
                row.action = ERROR
                continue
            self._build(row, Organization, ORG_SCALARS, target, field_ids)

    def _plan_people(
        self, rows: list[RowPlan], org_rows: list[RowPlan], existing: list[Organization]
    ) -> None:
        file_by_uscc: dict[str, set[tuple[Any, ...]]] = {}
        file_by_name: dict[str, set[tuple[Any, ...]]] = {}
        file_by_short: dict[str, set[tuple[Any, ...]]] = {}
        for org_row in org_rows:
            if org_row.identity is None:
                continue
            uscc = org_row.values.get("uscc") or (org_row.target.uscc if org_row.target else None)
            if uscc:
                file_by_uscc.setdefault(uscc, set()).add(org_row.identity)
            if org_row.values.get("name"):
                file_by_name.setdefault(org_row.values["name"], set()).add(org_row.identity)
            if org_row.values.get("short_name"):
                file_by_short.setdefault(org_row.values["short_name"], set()).add(org_row.identity)
        db_by_uscc: dict[str, set[tuple[Any, ...]]] = {}
        db_by_name: dict[str, set[tuple[Any, ...]]] = {}
        db_by_short: dict[str, set[tuple[Any, ...]]] = {}
        for org in existing:
            if org.uscc:
                db_by_uscc.setdefault(org.uscc, set()).add(("pk", org.pk))
            db_by_name.setdefault(org.name, set()).add(("pk", org.pk))
            if org.short_name:
                db_by_short.setdefault(org.short_name, set()).add(("pk", org.pk))

        names = sorted({row.values["name"] for row in rows if "name" in row.values})
        existing_people: dict[tuple[int | None, str, str], Person] = {}
        for start in range(0, len(names), _CHUNK):
            qs = Person.objects.filter(name__in=names[start : start + _CHUNK]).order_by("pk")
            if self.for_update:
                qs = qs.select_for_update()
            for person in qs:
                existing_people.setdefault(
                    (person.organization_id, person.name, _phone_key(person.phone)), person
                )
        field_ids = (
            self._existing_field_ids(Person, "person_id", [p.pk for p in existing_people.values()])
            if any("fields" in r.values for r in rows)
            else {}
        )

        seen: dict[tuple[Any, ...], RowPlan] = {}
        seen_target: dict[int, RowPlan] = {}
        for row in rows:
            ref = row.values.get("organization_ref")
            org_identity: tuple[Any, ...] | None = None
            if ref:
                code = uscc_rules.normalize(ref)
                if uscc_rules.is_valid(code):
                    candidates = file_by_uscc.get(code, set()) | db_by_uscc.get(code, set())
                    if not candidates:
                        self.problem(
                            row,
                            "organization_ref",
                            _(
                                "平台和本文件“机构”工作表中都没有统一社会信用代码为 %(code)s 的机构。"
                                "请核对代码，或先在“机构”工作表中添加该机构。"
                            )
                            % {"code": code},
                        )
                else:
                    candidates = file_by_name.get(ref, set()) | db_by_name.get(ref, set())
                    if not candidates:
                        candidates = file_by_short.get(ref, set()) | db_by_short.get(ref, set())
                    if not candidates:
                        self.problem(
                            row,
                            "organization_ref",
                            _(
                                "平台和本文件“机构”工作表中都找不到机构“%(name)s”。"
                                "请填写机构全称或统一社会信用代码，或先在“机构”工作表中添加该机构。"
                            )
                            % {"name": ref},
                        )
                    elif len(candidates) > 1:
                        self.problem(
                            row,
                            "organization_ref",
                            _("有 %(n)s 家机构都叫“%(name)s”，请改填统一社会信用代码以区分。")
                            % {"n": len(candidates), "name": ref},
                        )
                if len(candidates) == 1:
                    org_identity = next(iter(candidates))
            row.org_identity = org_identity
            name, phone = row.values.get("name"), row.values.get("phone", "")
            if row.problems or not name:
                row.action = ERROR
                continue
            organization_id = org_identity[1] if org_identity and org_identity[0] == "pk" else None
            target = (
                existing_people.get((organization_id, name, phone))
                if (org_identity is None or org_identity[0] == "pk")
                else None
            )
            key = (org_identity, name, phone)
            first = seen.get(key) or (seen_target.get(target.pk) if target is not None else None)
            if first is not None:
                self.problem(
                    row,
                    "name",
                    _("与%(where)s是同一人员（所在机构、姓名、手机号都相同），同一人员只能出现一次。")
                    % {"where": row.where(first)},
                )
                row.action = ERROR
                continue
            seen[key] = row
            if target is not None:
                seen_target[target.pk] = row
            row.target = target
            self._build(row, Person, PERSON_SCALARS, target, field_ids)
            if row.action == CREATE and organization_id is not None:
                row.instance.organization_id = organization_id

    @staticmethod
    def _existing_field_ids(model: type[Model], column: str, ids: list[int]) -> dict[int, set[int]]:
        through = model.fields.through  # type: ignore[attr-defined]
        table: dict[int, set[int]] = {pk: set() for pk in ids}
        for start in range(0, len(ids), _CHUNK):
            for owner, field_id in through.objects.filter(
                **{f"{column}__in": ids[start : start + _CHUNK]}
            ).values_list(column, "technologyfield_id"):
                table.setdefault(owner, set()).add(field_id)
        return table

    def _build(
        self,
        row: RowPlan,
        model: type[Model],
        scalars: tuple[str, ...],
        target: Any,
        field_ids: dict[int, set[int]],
    ) -> None:
        values = row.values
        if target is None:
            instance = model(**{key: values[key] for key in scalars if key in values})
            row.action = CREATE
            row.fields = list(values.get("fields") or []) or None
        else:
            instance = target
            for key in scalars:
                if key not in values:
                    continue
                new = values[key]
                if key in _FK_KEYS:
                    if getattr(instance, f"{key}_id") != new.pk:
                        setattr(instance, key, new)
                        row.changed.append(key)
                elif key == "qualifications":
                    if set(instance.qualifications or []) != set(new):
                        instance.qualifications = new
                        row.changed.append(key)
                elif getattr(instance, key) != new:
                    setattr(instance, key, new)
                    row.changed.append(key)
            if "fields" in values and {f.pk for f in values["fields"]} != field_ids.get(target.pk, set()):
                row.fields = list(values["fields"])
                row.changed.append("fields")
            row.action = UPDATE if row.changed else UNCHANGED
        row.instance = instance
        # Relations were resolved from the lookups; an update checks only what the row changes.
        checked = {key for key in scalars if key in values} if target is not None else None
        exclude = [
            f.name
            for f in model._meta.concrete_fields
            if f.is_relation or (checked is not None and f.name not in checked)
        ]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            headers = {column.key: column.header for column in COLUMNS[row.kind]}
            for key, messages in error.message_dict.items():
                column_key = key if key in headers else ""
                for message in messages:
                    row.problems.append(
                        Problem(
                            row.sheet,
                            row.row,
                            headers.get(column_key, ""),
                            display_value(row.raw.get(column_key)),
                            message,
                        )
                    )
            row.action = ERROR

    def _result(self) -> ImportResult:
        problems = list(self.header_problems)
        by_sheet = {summary.sheet: summary for summary in self.sheets}
        for row in self.rows:
            summary = by_sheet[row.sheet]
            if row.problems:
                row.action = ERROR
                summary.error_rows += 1
                problems.extend(row.problems)
            elif row.action == CREATE:
                summary.create += 1
            elif row.action == UPDATE:
                summary.update += 1
            elif row.action == UNCHANGED:
                summary.unchanged += 1
        return ImportResult(
            sheets=self.sheets,
            problems=problems[:MAX_PROBLEMS_KEPT],
            notices=self.notices,
            problem_count=len(problems),
        )


def _header_of(kind: str, key: str) -> str:
    return next((column.header for column in COLUMNS[kind] if column.key == key), "")


def _phone_key(phone: str) -> str:
    """Phones compared loosely: a stored "138-1234-5678" matches the imported 13812345678."""
    match = _MOBILE.fullmatch(re.sub(r"[\s\-()（）]", "", phone or ""))
    return match.group(1) if match else (phone or "")


def read_sheets(
    data: bytes, info: UploadInfo, *, kind: str | None = None, title: str = ""
) -> tuple[list[RawSheet], list[str]]:
    if kind not in KINDS:
        kind = None
    if info.format == "xlsx":
        sheets, notices = read_xlsx(data, kind)
    else:
        text = info.text or _decode_csv(data)
        sheets, notices = read_csv(text, excel.safe_sheet_title(title or "CSV"), kind)
    if not sheets:
        raise ImportFileError(
            _("文件中没有可导入的工作表。请将工作表命名为“机构”或“人员”，并使用导入模板的表头。")
        )
    if not any(sheet.rows for sheet in sheets):
        raise ImportFileError(_("文件中只有表头，没有数据行。请从第 2 行开始填写数据。"))
    return sheets, notices


def build_plan(
    data: bytes, info: UploadInfo, *, kind: str | None = None, title: str = "", for_update: bool = False
) -> Plan:
    sheets, notices = read_sheets(data, info, kind=kind, title=title)
    planner = _Planner(for_update=for_update)
    planner.notices.extend(notices)
    # Organizations first, so people can refer to organizations in the same file.
    for sheet in sorted(sheets, key=lambda s: KINDS.index(s.kind or ORGANIZATIONS)):
        planner.add_sheet(sheet)
    planner.sheets.sort(key=lambda s: [x.title for x in sheets].index(s.sheet))
    return planner.plan()


def dry_run(data: bytes, info: UploadInfo, *, kind: str | None = None, title: str = "") -> ImportResult:
    """Validate every row without writing anything."""
    return build_plan(data, info, kind=kind, title=title).result


# ------------------------------------------------------------------------------------------------
# Committing
# ------------------------------------------------------------------------------------------------


@dataclass
class CommitOutcome:
    committed: bool
    result: ImportResult
    event_id: int | None = None


def committed_event(token: str) -> AuditEvent | None:
    return AuditEvent.objects.filter(action=IMPORT_ACTION, object_type=IMPORT_ACTION, object_id=token).first()


def import_commit(*, actor: Any, upload: StoredUpload) -> CommitOutcome:
    """Validate the stored file again and, if no row has a problem, write all of it in one transaction.

    Writes in bulk (one statement per batch, not one per row) and records one ``directory.import``
    audit event instead of one event per record. Raises ImportAlreadyCommitted for a second commit
    of the same upload, ImportFileError when the stored file is gone or changed.
    """
    if not can_import_directory(actor):
        raise PermissionDenied(_("只有运营人员可以批量导入。"))
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
        plan = build_plan(data, info, kind=upload.kind, title=upload.sheet_title, for_update=True)
        if plan.result.has_errors:
            return CommitOutcome(committed=False, result=plan.result)
        _write(plan, actor)
        counts = plan.result.counts_by_kind()
        touched = _touched_ids(plan)
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
                "rows": plan.result.total("rows"),
                "organizations": counts.get(
                    ORGANIZATIONS, {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
                ),
                "people": counts.get(PEOPLE, {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}),
                # Bulk writes leave no per-record event, so the event names the records it touched.
                "ids": touched,
            },
        )
    return CommitOutcome(committed=True, result=plan.result, event_id=event.pk)


def _touched_ids(plan: Plan) -> dict[str, dict[str, list[int]]]:
    touched: dict[str, dict[str, list[int]]] = {}
    for row in plan.rows:
        if row.action in (CREATE, UPDATE):
            bucket = touched.setdefault(row.kind, {"created": [], "updated": []})
            bucket["created" if row.action == CREATE else "updated"].append(row.instance.pk)
    return touched


def _write(plan: Plan, actor: Any) -> None:
    now = timezone.now()
    creator = actor if getattr(actor, "is_authenticated", False) else None
    org_rows = [row for row in plan.rows if row.kind == ORGANIZATIONS]
    person_rows = [row for row in plan.rows if row.kind == PEOPLE]

    new_orgs = [row for row in org_rows if row.action == CREATE]
    for row in new_orgs:
        row.instance.created_by = creator
    Organization.objects.bulk_create([row.instance for row in new_orgs], batch_size=_CHUNK)
    _bulk_update([row for row in org_rows if row.action == UPDATE], Organization, now)
    _write_fields(org_rows, Organization, "organization_id")

    created_org_ids = {row.identity: row.instance.pk for row in new_orgs}
    for row in person_rows:
        if row.action == CREATE and row.org_identity is not None and row.org_identity[0] == "row":
            row.instance.organization_id = created_org_ids[row.org_identity]
    Person.objects.bulk_create(
        [row.instance for row in person_rows if row.action == CREATE], batch_size=_CHUNK
    )
    _bulk_update([row for row in person_rows if row.action == UPDATE], Person, now)
    _write_fields(person_rows, Person, "person_id")


def _bulk_update(rows: list[RowPlan], model: type[Model], now: dt.datetime) -> None:
    # Group by the set of changed columns so no statement writes a column the row did not change.
    groups: dict[tuple[str, ...], list[Model]] = {}
    for row in rows:
        columns = tuple(sorted(name for name in row.changed if name != "fields"))
        row.instance.updated_at = now
        groups.setdefault((*columns, "updated_at"), []).append(row.instance)
    for columns, instances in groups.items():
        model.objects.bulk_update(instances, list(columns), batch_size=_CHUNK)  # type: ignore[attr-defined]


def _write_fields(rows: list[RowPlan], model: type[Model], column: str) -> None:
    through = model.fields.through  # type: ignore[attr-defined]
    changed = [row for row in rows if row.fields is not None and row.action in (CREATE, UPDATE)]
    updated_ids = [row.instance.pk for row in changed if row.action == UPDATE]
    for start in range(0, len(updated_ids), _CHUNK):
        through.objects.filter(**{f"{column}__in": updated_ids[start : start + _CHUNK]}).delete()
    links = [
        through(**{column: row.instance.pk, "technologyfield_id": item.pk})
        for row in changed
        for item in row.fields or []
    ]
    through.objects.bulk_create(links, batch_size=_CHUNK)


# ------------------------------------------------------------------------------------------------
# Stored uploads: MEDIA_ROOT/imports/<token>.<ext> + <token>.json (owner) + <token>.result.json
# ------------------------------------------------------------------------------------------------

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


def import_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


@dataclass
class StoredUpload:
    token: str
    owner_id: int
    filename: str
    format: str
    kind: str | None
    sha256: str
    size: int
    uploaded_at: str
    sheet_title: str = ""

    @property
    def path(self) -> Path:
        return import_dir() / f"{self.token}.{self.format}"

    def read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as error:
            raise ImportFileError(_("上传的文件已失效，请重新上传。")) from error


def safe_filename(name: str) -> str:
    """The base name only, without control or format characters, at most 120 characters."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip() or "upload"
    if len(name) > 120:
        stem, suffix = os.path.splitext(name)
        name = stem[: 120 - len(suffix[:10])] + suffix[:10]
    return name


def _write_private(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def store_upload(
    *, actor: Any, filename: str, data: bytes, info: UploadInfo, kind: str | None
) -> StoredUpload:
    name = safe_filename(filename)
    upload = StoredUpload(
        token=secrets.token_urlsafe(24),
        owner_id=actor.pk,
        filename=name,
        format=info.format,
        kind=kind if kind in KINDS else None,
        sha256=info.sha256,
        size=info.size,
        uploaded_at=timezone.now().isoformat(),
        sheet_title=excel.safe_sheet_title(Path(name).stem),
    )
    _write_private(upload.path, data)
    _write_private(
        import_dir() / f"{upload.token}.json", json.dumps(asdict(upload), ensure_ascii=False).encode()
    )
    return upload


def load_upload(token: str, *, actor: Any) -> StoredUpload | None:
    """The upload if ``token`` names one that ``actor`` uploaded; None otherwise (the views answer 404)."""
    if not TOKEN_PATTERN.fullmatch(token or "") or not getattr(actor, "is_authenticated", False):
        return None
    try:
        data = json.loads((import_dir() / f"{token}.json").read_text(encoding="utf-8"))
        upload = StoredUpload(**data)
    except (OSError, ValueError, TypeError):
        return None
    if upload.owner_id != actor.pk or upload.token != token:
        return None
    return upload


def save_result(upload: StoredUpload, result: ImportResult) -> None:
    _write_private(import_dir() / f"{upload.token}.result.json", result.to_json().encode())


def load_result(upload: StoredUpload) -> ImportResult | None:
    try:
        return ImportResult.from_json(
            (import_dir() / f"{upload.token}.result.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError, TypeError):
        return None


def prune_uploads(max_age_days: int | None = None) -> int:
    """Delete stored uploads older than IMPORT_RETENTION_DAYS (7 by default): they hold personal data."""
    days = max_age_days if max_age_days is not None else int(getattr(settings, "IMPORT_RETENTION_DAYS", 7))
    cutoff = time.time() - days * 86400
    removed = 0
    for path in import_dir().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


# ------------------------------------------------------------------------------------------------
# Files for download: the empty templates and the error report
# ------------------------------------------------------------------------------------------------


def template_workbook(kind: str) -> bytes:
    """An empty template: one sheet per kind with the headers, and a sheet explaining each column."""
    kinds = KINDS if kind == "all" else (kind,)
    sheets: list[excel.SheetData] = []
    notes: list[list[str]] = []
    for item in kinds:
        columns = COLUMNS[item]
        sheets.append(
            excel.SheetData(
                title=SHEET_NAMES[item],
                header=[column.header for column in columns],
                widths=[column.width for column in columns],
                text_columns=[index for index, column in enumerate(columns) if column.text_format],
            )
        )
        notes.extend(
            [SHEET_NAMES[item], column.header, "是" if column.required else "", column.note]
            for column in columns
        )
    notes.append(["", "", "", ""])
    notes.append(
        [
            "",
            "说明",
            "",
            "第 1 行是表头，请勿修改；数据从第 2 行开始。空白单元格不会清除平台中已有的数据。"
            "同一文件重复导入不会重复新建：机构按统一社会信用代码（无代码时按类型和名称）识别，人员按所在机构、姓名和手机号识别。",
        ]
    )
    sheets.append(
        excel.SheetData(
            title="填写说明", header=["工作表", "列", "必填", "填写要求"], rows=notes, widths=[10, 18, 8, 80]
        )
    )
    return excel.workbook_bytes(sheets)


REPORT_HEADER = ("工作表", "行号", "列", "值", "问题")


def error_report_workbook(result: ImportResult) -> bytes:
    rows: list[list[Any]] = [[p.sheet, p.row, p.column, p.value, p.message] for p in result.problems]
    if result.problem_count > len(result.problems):
        rows.append(
            [
                "",
                "",
                "",
                "",
                _("另有 %(n)s 个问题未列出，请先修改以上问题后重新预检。")
                % {"n": result.problem_count - len(result.problems)},
            ]
        )
    sheets = [
        excel.SheetData(title="错误报告", header=list(REPORT_HEADER), rows=rows, widths=[12, 8, 18, 30, 80])
    ]
    if result.notices:
        sheets.append(
            excel.SheetData(title="提示", header=["提示"], rows=[[n] for n in result.notices], widths=[100])
        )
    return excel.workbook_bytes(sheets)
