"""Uploaded import files kept between the dry run and the commit (docs/adr/0003).

The file storage's ``imports/<token>.<format>`` holds the file, ``<token>.json`` who uploaded it for which
import spec, ``<token>.result.json`` the last dry run's result (``core.storage``: the local folder, files
0600 in 0700 folders, or the S3 bucket; common to every app server, so the dry run and the commit may
be served by different hosts; docs/adr/0016-shared-state-and-backups.md). The
token is random (32 URL-safe characters). :func:`load_upload` gives an upload back only to the user who
sent it, only for the spec it was sent to, and only within ``IMPORT_RETENTION_DAYS`` (7 by default);
anybody else gets None, so the views answer 404. :func:`prune_uploads` deletes what is older: the files
hold personal data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import excel, storage

from .files import CheckedFile, FileRefused, clean_name
from .report import ImportResult

TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


def retention_days() -> int:
    return int(getattr(settings, "IMPORT_RETENTION_DAYS", 7))


IMPORT_FOLDER = "imports"


def import_name(filename: str) -> str:
    """The storage name of one of the import folder's files."""
    return f"{IMPORT_FOLDER}/{filename}"


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
    def name(self) -> str:
        return import_name(f"{self.token}.{self.format}")

    def read_bytes(self) -> bytes:
        try:
            return storage.read_file(self.name)
        except OSError as error:
            raise FileRefused(_("上传的文件已失效，请重新上传。")) from error

    @property
    def expired(self) -> bool:
        try:
            uploaded = dt.datetime.fromisoformat(self.uploaded_at)
        except ValueError:
            return True
        return timezone.now() - uploaded > dt.timedelta(days=retention_days())


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
    storage.write_file(upload.name, data)
    storage.write_file(
        import_name(f"{upload.token}.json"), json.dumps(asdict(upload), ensure_ascii=False).encode()
    )
    return upload


def load_upload(token: str, *, actor: Any, spec: str) -> StoredUpload | None:
    """The upload if ``token`` names one that ``actor`` sent to ``spec`` and it has not expired; else None."""
    if not TOKEN_PATTERN.fullmatch(token or "") or not getattr(actor, "is_authenticated", False):
        return None
    try:
        data = json.loads(storage.read_file(import_name(f"{token}.json")).decode("utf-8"))
        upload = StoredUpload(**data)
    except (OSError, ValueError, TypeError):
        return None
    if upload.owner_id != actor.pk or upload.token != token or upload.spec != spec or upload.expired:
        return None
    return upload


def save_result(upload: StoredUpload, result: ImportResult) -> None:
    storage.write_file(import_name(f"{upload.token}.result.json"), result.to_json().encode())


def load_result(upload: StoredUpload) -> ImportResult | None:
    try:
        return ImportResult.from_json(
            storage.read_file(import_name(f"{upload.token}.result.json")).decode("utf-8")
        )
    except (OSError, ValueError, TypeError):
        return None


def prune_uploads(max_age_days: int | None = None) -> int:
    """Delete stored uploads older than ``IMPORT_RETENTION_DAYS``; returns how many files went."""
    from kechuang.core import progress

    days = max_age_days if max_age_days is not None else retention_days()
    return storage.prune(IMPORT_FOLDER, older_than=timezone.now() - dt.timedelta(days=days)) + progress.prune(
        days
    )


def discard_upload(upload: StoredUpload) -> None:
    """Delete an upload's file, its description and its result (a file refused as a whole is not kept)."""
    for name in (
        upload.name,
        import_name(f"{upload.token}.json"),
        import_name(f"{upload.token}.result.json"),
    ):
        storage.delete_file(name)
