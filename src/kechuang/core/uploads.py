"""Attachments: checked by content, and served safely (docs/reliability.md K3).

The check itself is the platform's one upload checker, ``kechuang.core.importing.files`` (the same code path
and limits as import files; docs/adr/0003): accepted are PDF, OOXML (docx, xlsx, pptx), OLE2 (doc, xls,
ppt), OFD (GB/T 33190), PNG and JPEG, typed from the bytes, never from the name or the browser, with the
name's extension agreeing. This module reads an uploaded file within ``UPLOAD_MAX_BYTES`` and turns a
refusal into a form error.

Files are served only through views that check access first, with :func:`attachment_response`:
``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff`` and a sandboxing CSP.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.http import FileResponse

from kechuang.core.importing import files
from kechuang.core.importing.files import DOCUMENT_KINDS, KINDS, CheckedFile, FileRefused, clean_name

__all__ = ["DOCUMENT_KINDS", "KINDS", "CheckedFile", "attachment_response", "check_upload", "clean_name"]


def _read_all(source: Any, limit: int) -> bytes:
    """The bytes of ``source`` (bytes, a Django UploadedFile or a file object), refused past ``limit``."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if hasattr(source, "size") and isinstance(source.size, int):
        files.refuse_if_too_large(source.size, files.ATTACHMENTS, _limits(limit))
    if hasattr(source, "seek"):
        source.seek(0)
    chunks = []
    total = 0
    iterator: Iterable[bytes] = (
        source.chunks() if hasattr(source, "chunks") else iter(lambda: source.read(1 << 20), b"")
    )
    for chunk in iterator:
        total += len(chunk)
        files.refuse_if_too_large(total, files.ATTACHMENTS, _limits(limit))
        chunks.append(chunk)
    if hasattr(source, "seek"):
        source.seek(0)
    return b"".join(chunks)


def _limits(limit: int) -> files.Limits:
    return dataclasses.replace(files.limits_for(files.ATTACHMENTS), max_bytes=limit)


def check_upload(
    source: IO[bytes] | bytes | Any,
    *,
    name: str,
    allowed: Iterable[str] | None = None,
    max_bytes: int | None = None,
    field: str = "file",
) -> CheckedFile:
    """Check an uploaded attachment by its content. Raises ``ValidationError({field: message})`` in Chinese."""
    limit = max_bytes or files.limits_for(files.ATTACHMENTS).max_bytes
    try:
        data = _read_all(source, limit)
        return files.check(data, name=name, use=files.ATTACHMENTS, allowed=allowed, max_bytes=limit)
    except FileRefused as refused:
        raise ValidationError({field: str(refused)}) from None


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
