"""Attachment checks by content, and serving files safely (docs/reliability.md K3).

Accepted: PDF, OOXML (docx, xlsx, pptx), OLE2 (doc, xls, ppt), OFD (GB/T 33190), PNG and JPEG. The type
comes from the bytes, never from the name or the browser; the name's extension must agree with it.
Refused: HTML, SVG, XML, scripts, executables, archives that are not documents, macro-enabled documents,
PDFs with JavaScript or launch actions, zip bombs and decompression bombs in images.

Files are served only through views that check access first, with :func:`attachment_response`:
``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _

__all__ = ["CheckedFile", "attachment_response", "check_upload"]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Zip limits: a document never needs more than this once unpacked.
ZIP_MAX_ENTRIES = 5000
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 120  # uncompressed ÷ compressed, per entry and overall
IMAGE_MAX_PIXELS = 60_000_000


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
    ]
}
DOCUMENT_KINDS = frozenset(KINDS)


@dataclass(frozen=True)
class CheckedFile:
    """What the content check found: the real type, the size and the SHA-256."""

    kind: str
    label: str
    content_type: str
    size: int
    sha256: str
    name: str  # the cleaned original name


class _Refused(Exception):
    pass


def _read_all(source: Any, limit: int) -> bytes:
    if isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        chunks = []
        total = 0
        if hasattr(source, "chunks"):
            iterator: Iterable[bytes] = source.chunks()
        else:
            iterator = iter(lambda: source.read(1 << 20), b"")
        for chunk in iterator:
            total += len(chunk)
            if total > limit:
                raise _Refused(_("文件太大：不能超过 %(mb)s MB。") % {"mb": limit // (1024 * 1024)})
            chunks.append(chunk)
        data = b"".join(chunks)
        if hasattr(source, "seek"):
            source.seek(0)
    if len(data) > limit:
        raise _Refused(_("文件太大：不能超过 %(mb)s MB。") % {"mb": limit // (1024 * 1024)})
    return data


_NAME_BAD = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def clean_name(name: str) -> str:
    """A display name without paths, control characters or characters that break headers."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _NAME_BAD.sub("_", base).strip(" .")
    if not base:
        base = "attachment"
    if len(base) > 150:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 150 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else base[:150]
    return base


# --- detection ---------------------------------------------------------------------------------------

_TEXTY = re.compile(rb"^\s*(<\?xml|<!doctype|<html|<svg|<script|<head|<body|<iframe|<meta|<!--)", re.I)


def _refuse_dangerous(data: bytes) -> None:
    head = data[:1024]
    if (
        head.startswith(b"MZ")
        or head.startswith(b"\x7fELF")
        or head[:4]
        in (
            b"\xfe\xed\xfa\xce",
            b"\xfe\xed\xfa\xcf",
            b"\xcf\xfa\xed\xfe",
            b"\xce\xfa\xed\xfe",
            b"\xca\xfe\xba\xbe",
        )
    ):
        raise _Refused(_("不接受可执行文件。"))
    if head.startswith(b"#!"):
        raise _Refused(_("不接受脚本文件。"))
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n")
    if _TEXTY.match(stripped) or re.search(rb"<(html|svg|script)[\s>]", head, re.I):
        raise _Refused(_("不接受网页（HTML）、SVG 或 XML 文件。"))


def _check_pdf(data: bytes) -> str:
    if b"%%EOF" not in data:
        raise _Refused(_("PDF 文件不完整或已损坏。"))
    # Active content: JavaScript, launch actions, embedded files, forms that run scripts.
    if re.search(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b", data):
        raise _Refused(_("PDF 中含有脚本、嵌入文件或自动执行动作，请另存为普通 PDF 后再上传。"))
    return "pdf"


def _check_zip(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, struct.error, EOFError):
        raise _Refused(_("压缩结构损坏，无法识别为文档。")) from None
    if len(infos) > ZIP_MAX_ENTRIES:
        raise _Refused(_("文档内部文件过多，疑似压缩炸弹。"))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > ZIP_MAX_TOTAL or total > ZIP_MAX_TOTAL:
            raise _Refused(_("文档解压后过大，疑似压缩炸弹。"))
        if (
            info.compress_size
            and info.file_size / max(info.compress_size, 1) > ZIP_MAX_RATIO
            and info.file_size > 1024 * 1024
        ):
            raise _Refused(_("文档压缩比异常，疑似压缩炸弹。"))
        if info.compress_size == 0 and info.file_size > 1024 * 1024:
            raise _Refused(_("文档压缩比异常，疑似压缩炸弹。"))
    if total > 10 * 1024 * 1024 and total / max(len(data), 1) > ZIP_MAX_RATIO:
        raise _Refused(_("文档压缩比异常，疑似压缩炸弹。"))
    names = {info.filename for info in infos}
    lower = {n.lower() for n in names}
    if any(n.endswith(".zip") or n.endswith(".rar") or n.endswith(".7z") for n in lower):
        raise _Refused(_("文档中嵌套了压缩包，不予接受。"))
    if "[content_types].xml" in lower:
        if any("vbaproject" in n or (n.endswith(".bin") and "vba" in n) for n in lower):
            raise _Refused(_("不接受含宏的文档，请另存为不含宏的格式后再上传。"))
        try:
            types = archive.read("[Content_Types].xml")[:200_000].lower()
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError):
            raise _Refused(_("文档结构损坏。")) from None
        if b"macroenabled" in types or b"vbaproject" in types:
            raise _Refused(_("不接受含宏的文档，请另存为不含宏的格式后再上传。"))
        if any(n.startswith("word/") for n in lower):
            return "docx"
        if any(n.startswith("xl/") for n in lower):
            return "xlsx"
        if any(n.startswith("ppt/") for n in lower):
            return "pptx"
        raise _Refused(_("无法识别的 Office 文档。"))
    if "ofd.xml" in lower:
        if any(n.endswith((".js", ".exe", ".dll", ".html", ".htm", ".svg")) for n in lower):
            raise _Refused(_("OFD 文档中含有不允许的内容。"))
        return "ofd"
    raise _Refused(_("不接受压缩包，请直接上传文档。"))


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _check_ole(data: bytes) -> str:
    # Directory entry names are UTF-16LE; macro storages have well-known names.
    for marker in ("_VBA_PROJECT", "Macros", "VBA", "PROJECTwm"):
        if _utf16(marker) in data:
            raise _Refused(_("不接受含宏的文档，请另存为不含宏的格式后再上传。"))
    if _utf16("WordDocument") in data:
        return "doc"
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return "xls"
    if _utf16("PowerPoint Document") in data:
        return "ppt"
    raise _Refused(_("无法识别的 Office 97-2003 文档（可能含有不允许的内容）。"))


def _check_png(data: bytes) -> str:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise _Refused(_("PNG 图片已损坏。"))
    width, height = struct.unpack(">II", data[16:24])
    if width == 0 or height == 0 or width * height > IMAGE_MAX_PIXELS:
        raise _Refused(_("图片尺寸异常（过大或为零）。"))
    return "png"


def _check_jpeg(data: bytes) -> str:
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
            if width == 0 or height == 0 or width * height > IMAGE_MAX_PIXELS:
                raise _Refused(_("图片尺寸异常（过大或为零）。"))
            return "jpeg"
        if length < 2:
            break
        i += 2 + length
    raise _Refused(_("JPEG 图片已损坏。"))


def detect(data: bytes) -> str:
    """The kind code of ``data`` or raise ``_Refused`` with a Chinese message."""
    if not data:
        raise _Refused(_("文件是空的。"))
    _refuse_dangerous(data)
    if data.startswith(b"%PDF-"):
        return _check_pdf(data)
    if data.startswith(b"PK\x03\x04"):
        return _check_zip(data)
    if data.startswith(_OLE_MAGIC):
        return _check_ole(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _check_png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return _check_jpeg(data)
    if data[:4] in (b"Rar!", b"7z\xbc\xaf") or data[:2] == b"\x1f\x8b":
        raise _Refused(_("不接受压缩包，请直接上传文档。"))
    raise _Refused(_("不支持的文件类型。可上传 PDF、Word、Excel、PowerPoint、OFD、PNG 或 JPEG。"))


def check_upload(
    source: IO[bytes] | bytes | Any,
    *,
    name: str,
    allowed: Iterable[str] | None = None,
    max_bytes: int | None = None,
    field: str = "file",
) -> CheckedFile:
    """Check an uploaded file by its content. Raises ``ValidationError({field: message})`` in Chinese."""
    limit = max_bytes or int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))
    allowed_kinds = frozenset(allowed) if allowed is not None else DOCUMENT_KINDS
    display = clean_name(name)
    try:
        data = _read_all(source, limit)
        code = detect(data)
        kind = KINDS[code]
        if code not in allowed_kinds:
            raise _Refused(_("此处不接受 %(label)s 文件。") % {"label": kind.label})
        extension = ("." + display.rsplit(".", 1)[-1].lower()) if "." in display else ""
        if extension not in kind.extensions:
            raise _Refused(
                _("文件扩展名“%(ext)s”与文件内容（%(label)s）不符。")
                % {"ext": extension or _("无"), "label": kind.label}
            )
    except _Refused as refused:
        raise ValidationError({field: str(refused)}) from None
    return CheckedFile(
        kind=code,
        label=kind.label,
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        name=display,
    )


def attachment_response(file: Any, *, filename: str, content_type: str) -> FileResponse:
    """Serve a stored file as a download that the browser never renders (call after the access check)."""
    handle = file.open("rb") if hasattr(file, "open") else file
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=clean_name(filename),
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
