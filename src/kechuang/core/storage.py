"""Small files the platform keeps for itself (import uploads and their results) and a walk over every
stored file, on the configured file storage (``FILE_STORAGE``: the local folder or an S3-compatible
bucket; docs/adr/0016-shared-state-and-backups.md).

Through the storage, never through a path: on several app servers, the page that takes an upload and
the page that confirms it may be served by different hosts, and only the storage is common to both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

# ``/readyz`` writes and deletes a small file here to prove the storage writable (core.readiness);
# walks (backups, restores) leave the folder out.
PROBE_FOLDER = ".readyz"


def write_file(name: str, content: bytes) -> None:
    """Store ``content`` under exactly ``name``, replacing what was there."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # someone wrote the same name between the delete and the save
        default_storage.delete(saved)
        raise OSError(f"could not store {name}")


def read_file(name: str) -> bytes:
    """The stored bytes of ``name``; ``OSError`` (FileNotFoundError) when there is no such file."""
    try:
        with default_storage.open(name, "rb") as handle:
            return bytes(handle.read())
    except OSError:
        raise
    except Exception as error:  # object stores raise their own errors for a missing key
        raise FileNotFoundError(name) from error


def delete_file(name: str) -> None:
    """Delete ``name`` if it is stored (nothing happens when it is not)."""
    try:
        if default_storage.exists(name):
            default_storage.delete(name)
    except FileNotFoundError:
        pass


def file_exists(name: str) -> bool:
    return bool(default_storage.exists(name))


def walk(folder: str = "") -> Iterator[str]:
    """Every stored file's name under ``folder`` (the whole storage by default), sorted."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    for name in sorted(files):
        yield prefix + name
    for sub in sorted(folders):
        if not prefix and sub == PROBE_FOLDER:
            continue
        yield from walk(prefix + sub)


def prune(folder: str, *, older_than: dt.datetime) -> int:
    """Delete the files under ``folder`` last written before ``older_than``; how many were deleted."""
    removed = 0
    for name in list(walk(folder)):
        try:
            if default_storage.get_modified_time(name) < older_than:
                default_storage.delete(name)
                removed += 1
        except OSError:
            continue
    return removed
