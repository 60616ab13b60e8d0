"""Uploaded import files kept between the dry run and the commit (docs/adr/0003).

``MEDIA_ROOT/imports/<token>.<format>`` holds the file, ``<token>.json`` who uploaded it for which import
spec, ``<token>.result.json`` the last dry run's result; all written with mode 0600 in a 0700 folder. The
token is random (32 URL-safe characters). :func:`load_upload` gives an upload back only to the user who
sent it, only for the spec it was sent to, and only within ``IMPORT_RETENTION_DAYS`` (7 by default);
anybody else gets None, so the views answer 404. :func:`prune_uploads` deletes what is older: the files
hold personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import excel

from .files import CheckedFile, FileRefused, clean_name
from .report import ImportResult

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


def retention_days() -> int:
    return int(getattr(settings, "IMPORT_RETENTION_DAYS", 7))


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
    kind: str | None  # the kind of data the uploader chose, if any
    sha256: str
    size: int
    uploaded_at: str
    sheet_title: str = ""  # a CSV's sheet name in the report: the file name without extension
    spec: str = ""  # the import spec the file was uploaded to

    @property
    def path(self) -> Path:
        return import_dir() / f"{self.token}.{self.format}"

    def read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as error:
            raise FileRefused(_("上传的文件已失效，请重新上传。")) from error

    @property
    def expired(self) -> bool:
        try:
            uploaded = dt.datetime.fromisoformat(self.uploaded_at)
        except ValueError:
            return True
        return timezone.now() - uploaded > dt.timedelta(days=retention_days())


def _write_private(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, path)


def store_upload(
    *, actor: Any, spec: str, filename: str, data: bytes, info: CheckedFile, kind: str | None = None
) -> StoredUpload:
    name = clean_name(filename, default="upload")
    upload = StoredUpload(
        token=secrets.token_urlsafe(24),
        owner_id=actor.pk,
        filename=name,
        format=info.kind,
        kind=kind,
        sha256=info.sha256,
        size=info.size,
        uploaded_at=timezone.now().isoformat(),
        sheet_title=excel.safe_sheet_title(Path(name).stem),
        spec=spec,
    )
    _write_private(upload.path, data)
    _write_private(
        import_dir() / f"{upload.token}.json", json.dumps(asdict(upload), ensure_ascii=False).encode()
    )
    return upload


def load_upload(token: str, *, actor: Any, spec: str) -> StoredUpload | None:
    """The upload if ``token`` names one that ``actor`` sent to ``spec`` and it has not expired; else None."""
    if not TOKEN_PATTERN.fullmatch(token or "") or not getattr(actor, "is_authenticated", False):
        return None
    try:
        data = json.loads((import_dir() / f"{token}.json").read_text(encoding="utf-8"))
        upload = StoredUpload(**data)
    except (OSError, ValueError, TypeError):
        return None
    if upload.owner_id != actor.pk or upload.token != token or upload.spec != spec or upload.expired:
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
    """Delete stored uploads older than ``IMPORT_RETENTION_DAYS``; returns how many files went."""
    days = max_age_days if max_age_days is not None else retention_days()
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
