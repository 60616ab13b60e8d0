"""The one upload checker of the platform: every uploaded file is typed by its content here (docs/reliability.md K3,
docs/adr/0003).

Attachments (``kechuang.core.uploads.check_upload``) and import files (``ImportSpec.inspect``) go through
:func:`check`, with one set of limits read from settings (:func:`limits_for`). What the two uses differ in
is only which kinds they take and how a refusal is worded (a :class:`Use`).

Accepted by content: PDF, OOXML (docx, xlsx, pptx), OLE2 (doc, xls, ppt), OFD (GB/T 33190), PNG, JPEG, and
for imports CSV text in UTF-8 (with or without BOM) or GB18030. The name's extension must agree with the
content. Refused: empty or too large files; HTML, SVG, XML, scripts, executables; archives that are not
documents, nested archives; zip bombs (too many parts, too much unpacked, an abnormal ratio); encrypted
documents (they cannot be inspected); macros: VBA projects in OOXML parts or content types, Excel 4.0
macro sheets, VBA storages in the OLE directory (``Macros``, ``_VBA_PROJECT_CUR``, ``VBA``), a VBA
project record in a PowerPoint 97-2003 stream; PDFs with JavaScript, launch actions or embedded files;
decompression bombs in images. OLE2 files are read with ``olefile``: a macro is found by the directory
of storages, never by scanning bytes (a Chinese .doc whose text says "VBA" or "Macros" is a document).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import struct
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MIB = 1024 * 1024


class FileRefused(Exception):
    """The file cannot be used as a whole; the message (Chinese) says why and what to do."""


# ------------------------------------------------------------------------------------------------
# Kinds, uses and limits
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


KINDS: dict[str, Kind] = {
    k.code: k
    for k in [
        Kind("pdf", "PDF", "application/pdf", (".pdf",)),
        Kind(
            "docx",
            "Word",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        Kind(
            "xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
        ),
        Kind(
            "pptx",
            "PowerPoint",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            (".pptx",),
        ),
        Kind("doc", "Word 97-2003", "application/msword", (".doc",)),
        Kind("xls", "Excel 97-2003", "application/vnd.ms-excel", (".xls",)),
        Kind("ppt", "PowerPoint 97-2003", "application/vnd.ms-powerpoint", (".ppt",)),
        Kind("ofd", "OFD", "application/ofd", (".ofd",)),
        Kind("png", "PNG", "image/png", (".png",)),
        Kind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg")),
        Kind("csv", "CSV", "text/csv", (".csv", ".txt")),
    ]
}
DOCUMENT_KINDS = frozenset(KINDS) - {"csv"}
TABLE_KINDS = frozenset({"xlsx", "csv"})
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".docm", ".dotm", ".pptm", ".potm", ".ppsm", ".ppam", ".sldm")

# What the first bytes say (a family) and which kinds a family can turn out to be.
_FAMILY_KINDS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "zip": frozenset({"docx", "xlsx", "pptx", "ofd"}),
    "ole": frozenset({"doc", "xls", "ppt"}),
    "png": frozenset({"png"}),
    "jpeg": frozenset({"jpeg"}),
    "text": frozenset({"csv"}),
}


@dataclass(frozen=True)
class Limits:
    """What a file may weigh (per use) and what no file may hold (the same for every use)."""

    max_bytes: int
    max_unpacked_bytes: int
    zip_max_entries: int
    zip_max_ratio: int
    image_max_pixels: int
    ratio_min_size: int = MIB  # parts smaller than this are not judged by their ratio


@dataclass(frozen=True)
class Use:
    """Where a file is uploaded: the kinds taken there, the settings that size it, the wording of refusals.

    ``refusals`` maps a family (``ole``, ``markup``, ``executable``…) or a kind code (``docx``) that this
    use does not take to its message; ``"*"`` is the message for anything else it does not take.
    """

    code: str
    kinds: frozenset[str]
    max_bytes_setting: str
    max_bytes_default: int
    max_unpacked_setting: str
    max_unpacked_default: int
    refusals: Mapping[str, str | Promise] = field(default_factory=dict)
    too_large_hint: str | Promise = ""


ATTACHMENTS = Use(
    code="attachments",
    kinds=DOCUMENT_KINDS,
    max_bytes_setting="UPLOAD_MAX_BYTES",
    max_bytes_default=20 * MIB,
    max_unpacked_setting="UPLOAD_MAX_UNCOMPRESSED_BYTES",
    max_unpacked_default=200 * MIB,
)

_NOT_XLSX = gettext_lazy(
    "文件不是有效的 .xlsx 文件（可能已损坏，或只是把扩展名改成了 .xlsx）。请在 Excel 中“另存为” .xlsx 后重新上传。"
)
_NO_WORKBOOK = gettext_lazy(
    "文件中找不到 Excel 工作簿（可能是 Word/PowerPoint 文件，或已损坏）。请上传 .xlsx 表格。"
)
TABLES = Use(
    code="tables",
    kinds=TABLE_KINDS,
    max_bytes_setting="IMPORT_MAX_BYTES",
    max_bytes_default=10 * MIB,
    max_unpacked_setting="IMPORT_MAX_UNCOMPRESSED_BYTES",
    max_unpacked_default=200 * MIB,
    refusals={
        "ole": gettext_lazy(
            "这是旧版 .xls 文件或加密的 Excel 文件，无法导入。"
            "请取消密码保护，并在 Excel 中“另存为” .xlsx 格式后重新上传。"
        ),
        "markup": gettext_lazy(
            "这是网页（HTML）或 XML 文件，只是扩展名像表格，无法导入。"
            "请在 Excel 中打开后“另存为” .xlsx 格式再上传。"
        ),
        "utf16": gettext_lazy(
            "CSV 文件是 UTF-16 编码，无法导入。请在 Excel 中“另存为”“CSV UTF-8”后重新上传。"
        ),
        "binary": gettext_lazy(
            "文件含有二进制内容，不是 CSV 文本文件。请在 Excel 中“另存为”“CSV UTF-8”后重新上传。"
        ),
        "zip": _NOT_XLSX,
        "docx": _NO_WORKBOOK,
        "pptx": _NO_WORKBOOK,
        "ofd": _NO_WORKBOOK,
        "ooxml": _NO_WORKBOOK,
        "*": gettext_lazy("文件不是 Excel 或 CSV 表格（可能是 PDF、图片、压缩包或程序），无法导入。"),
    },
    too_large_hint=gettext_lazy("请拆分成多个文件后分别导入。"),
)


def limits_for(use: Use) -> Limits:
    """The limits in force for ``use``, from settings (read at each call, so tests and operators can change them)."""
    return Limits(
        max_bytes=int(getattr(settings, use.max_bytes_setting, use.max_bytes_default)),
        max_unpacked_bytes=int(getattr(settings, use.max_unpacked_setting, use.max_unpacked_default)),
        zip_max_entries=int(getattr(settings, "UPLOAD_ZIP_MAX_ENTRIES", 5000)),
        zip_max_ratio=int(getattr(settings, "UPLOAD_ZIP_MAX_RATIO", 100)),
        image_max_pixels=int(getattr(settings, "UPLOAD_IMAGE_MAX_PIXELS", 60_000_000)),
    )


@dataclass(frozen=True)
class CheckedFile:
    """What the content check found: the real kind, the size, the SHA-256, and a CSV's decoded text."""

    kind: str
    label: str
    content_type: str
    size: int
    sha256: str
    name: str  # the cleaned original name
    text: str = ""

    @property
    def format(self) -> str:
        return self.kind


# ------------------------------------------------------------------------------------------------
# Names and sizes
# ------------------------------------------------------------------------------------------------

_NAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_name(name: str, default: str = "attachment") -> str:
    """A display name: the base name only, without invisible format characters (bidi overrides that
    disguise an extension), with control and header-breaking characters replaced, at most 150 characters."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch) not in ("Cf", "Cs"))
    base = _NAME_BAD.sub("_", base).strip(" .")
    if not base:
        base = default
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:150]
    return base


def extension_of(name: str) -> str:
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return ("." + base.rsplit(".", 1)[-1].lower()) if "." in base else ""


def human_size(size: int) -> str:
    if size >= MIB:
        return f"{size / MIB:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


def refuse_if_too_large(size: int, use: Use, limits: Limits | None = None) -> None:
    """Refuse a file of ``size`` bytes before reading it when it is over the use's limit."""
    limit = (limits or limits_for(use)).max_bytes
    if size > limit:
        message = _("文件太大：%(size)s，超过上限 %(limit)s。") % {
            "size": human_size(size),
            "limit": human_size(limit),
        }
        raise FileRefused(message + str(use.too_large_hint))


# ------------------------------------------------------------------------------------------------
# The check
# ------------------------------------------------------------------------------------------------


def check(
    data: bytes,
    *,
    name: str,
    use: Use,
    allowed: Iterable[str] | None = None,
    max_bytes: int | None = None,
) -> CheckedFile:
    """Type ``data`` by its content for ``use`` (optionally narrowed to ``allowed`` kinds) or raise
    :class:`FileRefused` with a Chinese message that says what to do."""
    limits = limits_for(use)
    if max_bytes:
        limits = dataclasses.replace(limits, max_bytes=max_bytes)
    kinds = frozenset(allowed) & use.kinds if allowed is not None else use.kinds
    if not data:
        raise FileRefused(_("文件是空的，请选择有内容的文件。"))
    refuse_if_too_large(len(data), use, limits)
    extension = extension_of(name)
    if extension in MACRO_EXTENSIONS:
        raise FileRefused(_macro_message())
    family = sniff(data)
    if not (_FAMILY_KINDS.get(family, frozenset()) & kinds):
        raise FileRefused(_refusal(use, family, kinds))
    if family in ("pdf", "zip", "ole", "png", "jpeg") and _POLYGLOT.search(data[:1024]):
        raise FileRefused(_("不接受网页（HTML）、SVG 或 XML 文件。"))
    text = ""
    if family == "pdf":
        code = _check_pdf(data)
    elif family == "zip":
        code = _check_zip(data, limits)
    elif family == "ole":
        code = _check_ole(data)
    elif family == "png":
        code = _check_png(data, limits)
    elif family == "jpeg":
        code = _check_jpeg(data, limits)
    else:
        text = decode_text(data)
        code = "csv"
    if code not in kinds:
        raise FileRefused(_refusal(use, code, kinds))
    kind = KINDS[code]
    if extension not in kind.extensions:
        raise FileRefused(_mismatch_message(extension, kind))
    return CheckedFile(
        kind=code,
        label=kind.label,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        name=clean_name(name),
        text=text,
    )


def _refusal(use: Use, what: str, kinds: frozenset[str]) -> str:
    if what in use.refusals:
        return str(use.refusals[what])
    if "*" in use.refusals:
        return str(use.refusals["*"])
    generic = {
        "executable": _("不接受可执行文件。"),
        "script": _("不接受脚本文件。"),
        "markup": _("不接受网页（HTML）、SVG 或 XML 文件。"),
        "archive": _("不接受压缩包，请直接上传文档。"),
        "zip": _("不接受压缩包，请直接上传文档。"),
        "ooxml": _("无法识别的 Office 文档。"),
        "ole": _("无法识别的 Office 97-2003 文档（可能含有不允许的内容）。"),
    }
    if what in generic:
        return generic[what]
    if what in KINDS:
        return _("此处不接受 %(label)s 文件。") % {"label": KINDS[what].label}
    labels = "、".join(dict.fromkeys(KINDS[code].label.split(" ")[0] for code in KINDS if code in kinds))
    return _("不支持的文件类型。此处可上传：%(labels)s。") % {"labels": labels}


def _macro_message() -> str:
    return _(
        "文件含有宏（VBA 代码），出于安全考虑不能上传。请另存为不含宏的格式（如 .xlsx、.docx）后重新上传。"
    )


def _mismatch_message(extension: str, kind: Kind) -> str:
    expected = kind.extensions[0]
    if not extension:
        return _("文件没有扩展名，内容是%(label)s，两者不符。请把扩展名改为 %(expected)s 后重新上传。") % {
            "label": kind.label,
            "expected": expected,
        }
    return _(
        "文件扩展名“%(ext)s”与文件内容（%(label)s）不符：它不是有效的 %(ext)s 文件"
        "（可能已损坏，或只是改了扩展名）。如确是%(label)s，请把扩展名改为 %(expected)s 后重新上传。"
    ) % {"ext": extension, "label": kind.label, "expected": expected}


# ------------------------------------------------------------------------------------------------
# What the first bytes say
# ------------------------------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",
)
_ARCHIVE_MAGIC = (b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x28\xb5\x2f\xfd", b"MSCF")
_OTHER_IMAGE_MAGIC = (b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
_POLYGLOT = re.compile(rb"<(html|svg|script)[\s>]", re.IGNORECASE)


def sniff(data: bytes) -> str:
    """The family the first bytes show: pdf, zip, ole, png, jpeg, executable, archive, image, script,
    markup, utf16, binary or text."""
    head = data[:2048]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(_EXECUTABLE_MAGIC):
        return "executable"
    if head.startswith(_ARCHIVE_MAGIC):
        return "archive"
    if head.startswith(_OTHER_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(b"#!"):
        return "script"
    if _looks_like_markup(head):
        return "markup"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf16"
    controls = sum(1 for byte in head if byte < 0x20 and byte not in (0x09, 0x0A, 0x0D, 0x1A))
    if controls > max(2, len(head) // 100):
        return "binary"
    return "text"


def _looks_like_markup(head: bytes) -> bool:
    sample = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<", b"mime-version:")):
        return True
    return any(tag in sample for tag in (b"<html", b"<!doctype html"))


# ------------------------------------------------------------------------------------------------
# PDF
# ------------------------------------------------------------------------------------------------


def _check_pdf(data: bytes) -> str:
    if b"%%EOF" not in data:
        raise FileRefused(_("PDF 文件不完整或已损坏。"))
    # Active content: JavaScript, launch actions, embedded files, forms that run scripts.
    if re.search(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b", data):
        raise FileRefused(_("PDF 中含有脚本、嵌入文件或自动执行动作，请另存为普通 PDF 后再上传。"))
    return "pdf"


# ------------------------------------------------------------------------------------------------
# Zip containers: OOXML, OFD
# ------------------------------------------------------------------------------------------------

_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml": "pptx",
}
_MACRO_TYPES = ("macroenabled", "vbaproject", "application/vnd.ms-office.vba", "macrosheet")
_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")
_NESTED_ARCHIVES = (".zip", ".rar", ".7z", ".gz", ".tar", ".cab")


def _corrupt_zip() -> str:
    return _("文件已损坏，无法打开（压缩结构有误）。请重新保存后上传。")


def _check_zip(data: bytes, limits: Limits) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, struct.error, EOFError):
        raise FileRefused(_corrupt_zip()) from None
    with archive:
        _check_zip_sizes(infos, len(data), limits)
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise FileRefused(_corrupt_zip())
        if any(info.flag_bits & 0x1 for info in infos):
            raise FileRefused(_("文件已加密，无法检查其内容。请取消密码保护后重新上传。"))
        lower = [name.lower() for name in names]
        if any(name.endswith(_NESTED_ARCHIVES) for name in lower):
            raise FileRefused(_("文档中嵌套了压缩包，不予接受。"))
        if any(
            name.rsplit("/", 1)[-1] in _MACRO_PARTS
            or name.startswith("xl/macrosheets/")
            or name.endswith(MACRO_EXTENSIONS)
            for name in lower
        ):
            raise FileRefused(_macro_message())
        for info in infos:  # OLE objects embedded in the document (a .doc or .xls with its own macros)
            if "embeddings/" in info.filename.lower() and info.file_size >= 512:
                try:
                    inner = archive.read(info)
                except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError):
                    raise FileRefused(_corrupt_zip()) from None
                if inner.startswith(OLE_MAGIC) and _ole_has_macros(inner):
                    raise FileRefused(_macro_message())
        if "[content_types].xml" in lower:
            return _ooxml_kind(archive, names)
        if "ofd.xml" in lower:
            if any(name.endswith((".js", ".exe", ".dll", ".html", ".htm", ".svg")) for name in lower):
                raise FileRefused(_("OFD 文档中含有不允许的内容。"))
            return "ofd"
    return "zip"


def _check_zip_sizes(infos: list[zipfile.ZipInfo], packed: int, limits: Limits) -> None:
    if len(infos) > limits.zip_max_entries:
        raise FileRefused(
            _("文件内部含有 %(n)s 个部件，远超正常的文档（疑似“压缩炸弹”），已拒绝。") % {"n": len(infos)}
        )
    ratio_message = _("文件内部压缩比异常（疑似“压缩炸弹”），已拒绝。请重新保存后上传。")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.ratio_min_size and (
            info.compress_size == 0 or info.file_size / info.compress_size > limits.zip_max_ratio
        ):
            raise FileRefused(ratio_message)
    if total > limits.max_unpacked_bytes:
        raise FileRefused(
            _(
                "文件解压后达 %(size)s，超过上限 %(limit)s（疑似“压缩炸弹”），已拒绝。如确为正常数据，请拆分成多个文件。"
            )
            % {"size": human_size(total), "limit": human_size(limits.max_unpacked_bytes)}
        )
    if total > 10 * limits.ratio_min_size and total / max(packed, 1) > limits.zip_max_ratio:
        raise FileRefused(ratio_message)


def _ooxml_kind(archive: zipfile.ZipFile, names: list[str]) -> str:
    part = next(name for name in names if name.lower() == "[content_types].xml")
    info = archive.getinfo(part)
    if info.file_size > MIB:
        raise FileRefused(_corrupt_zip())
    try:
        from defusedxml import ElementTree as SafeElementTree

        root = SafeElementTree.fromstring(archive.read(info))
    except Exception:
        raise FileRefused(_corrupt_zip()) from None
    found: set[str] = set()
    for element in root.iter():
        content_type = (element.get("ContentType") or "").lower()
        if any(marker in content_type for marker in _MACRO_TYPES):
            raise FileRefused(_macro_message())
        if element.tag == f"{_CT_NS}Override" and content_type in _MAIN_TYPES:
            part_name = (element.get("PartName") or "").lstrip("/")
            if part_name not in names:
                return "ooxml"
            found.add(_MAIN_TYPES[content_type])
    return found.pop() if len(found) == 1 else "ooxml"


# ------------------------------------------------------------------------------------------------
# OLE2 compound files (doc, xls, ppt), read with olefile
# ------------------------------------------------------------------------------------------------

# Storages that hold a VBA project: Word 97 ("Macros"), Excel ("_VBA_PROJECT_CUR"), the project itself
# ("VBA", with its "_VBA_PROJECT" stream) wherever it is nested (embedded objects included).
MACRO_STORAGES = frozenset({"MACROS", "_VBA_PROJECT_CUR", "VBA", "_VBA_PROJECT"})


def _open_ole(data: bytes) -> Any:
    import olefile

    try:
        return olefile.OleFileIO(data)
    except Exception:
        raise FileRefused(_("Office 97-2003 文件已损坏，无法打开。请重新保存后上传。")) from None


def _ole_has_macros(data: bytes) -> bool:
    ole = _open_ole(data)
    try:
        return _directory_has_macros(ole)
    finally:
        ole.close()


def _directory_has_macros(ole: Any) -> bool:
    entries = ole.listdir(streams=True, storages=True)
    return any(part.upper() in MACRO_STORAGES for path in entries for part in path)


def _check_ole(data: bytes) -> str:
    ole = _open_ole(data)
    try:
        if _directory_has_macros(ole):
            raise FileRefused(_macro_message())
        if ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo"):
            raise FileRefused(_("文件已加密，无法检查其内容。请取消密码保护后重新上传。"))
        if ole.exists("WordDocument"):
            return "doc"
        for stream in ("Workbook", "Book"):
            if ole.exists(stream):
                _check_biff(_read_stream(ole, stream))
                return "xls"
        if ole.exists("PowerPoint Document"):
            if _ppt_has_vba(_read_stream(ole, "PowerPoint Document")):
                raise FileRefused(_macro_message())
            return "ppt"
        return "ole"
    except FileRefused:
        raise
    except Exception:
        raise FileRefused(_("Office 97-2003 文件已损坏，无法打开。请重新保存后上传。")) from None
    finally:
        ole.close()


def _read_stream(ole: Any, name: str) -> bytes:
    with ole.openstream(name) as stream:
        return bytes(stream.read())


_BIFF_EOF, _BIFF_FILEPASS, _BIFF_BOUNDSHEET = 0x000A, 0x002F, 0x0085


def _check_biff(stream: bytes) -> None:
    """Walk the workbook globals of an .xls: refuse encryption (FILEPASS) and Excel 4.0 macro sheets
    or VBA modules (a BoundSheet8 record whose sheet type is 1 or 6)."""
    position = 0
    while position + 4 <= len(stream):
        record, length = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4 : position + 4 + length]
        if record == _BIFF_FILEPASS:
            raise FileRefused(_("文件已加密，无法检查其内容。请取消密码保护后重新上传。"))
        if record == _BIFF_BOUNDSHEET and len(body) >= 6 and body[5] in (0x01, 0x06):
            raise FileRefused(_macro_message())
        if record == _BIFF_EOF:
            return
        position += 4 + length


_PPT_VBA_RECORDS = (0x03FF, 0x0400)  # VBAInfoContainer, VBAInfoAtom


def _ppt_has_vba(stream: bytes) -> bool:
    """True when the PowerPoint Document stream holds a VBA project record (walks the record tree)."""
    budget = [200_000]

    def walk(start: int, end: int, depth: int) -> bool:
        position = start
        while position + 8 <= end and budget[0] > 0:
            budget[0] -= 1
            version_instance, record, length = struct.unpack_from("<HHI", stream, position)
            if record in _PPT_VBA_RECORDS:
                return True
            body_end = min(position + 8 + length, end)
            if version_instance & 0x000F == 0x000F and depth < 8 and walk(position + 8, body_end, depth + 1):
                return True
            position += 8 + length
        return False

    return walk(0, len(stream), 0)


# ------------------------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------------------------


def _check_png(data: bytes, limits: Limits) -> str:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise FileRefused(_("PNG 图片已损坏。"))
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0 or width * height > limits.image_max_pixels:
        raise FileRefused(_("图片尺寸异常（过大或为零）。"))
    return "png"


def _check_jpeg(data: bytes, limits: Limits) -> str:
    i = 2
    n = len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            if width == 0 or height == 0 or width * height > limits.image_max_pixels:
                raise FileRefused(_("图片尺寸异常（过大或为零）。"))
            return "jpeg"
        if length < 2:
            break
        i += 2 + length
    raise FileRefused(_("JPEG 图片已损坏。"))


# ------------------------------------------------------------------------------------------------
# Text (CSV)
# ------------------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """A CSV's text: UTF-8 (with or without BOM), else GB18030 (which covers GBK and GB2312)."""
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise FileRefused(_("无法识别 CSV 文件的编码。请在 Excel 中“另存为”“CSV UTF-8”后重新上传。"))
    sample = text[:65536]
    junk = sum(
        1 for ch in sample if (unicodedata.category(ch) == "Cc" and ch not in "\t\r\n\x1a") or ch == "\ufffd"
    )
    if sample and junk > max(2, len(sample) // 100):
        raise FileRefused(_("文件含有大量不可见的控制字符，不像 CSV 表格，无法导入。"))
    return text
