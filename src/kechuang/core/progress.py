"""Progress of long work done off the request: imports and large exports (docs/adr/0027).

A background task (django-tasks; ``kechuang worker`` runs them, ``kechuang demo`` starts one) reports
what it is doing in a small JSON record in the file storage (``core.storage``, common to every app
server): its state (排队中 / 进行中 / 已完成 / 失败), the phase, rows done of the total, and for a
failure a Chinese message for the person who started it. The record lives in the file storage, not in
the database, on purpose: an import writes inside one transaction (all or nothing), and a progress row
written in that transaction would be invisible to the page polling it until the very end.

The pages poll the record with htmx (``hx-trigger="every 1s"``; without JavaScript a ``<noscript>``
refresh) and show the result page when the task is done. Records are kept ``IMPORT_RETENTION_DAYS``
like the uploads they describe and pruned with them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from kechuang.core import storage

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
FOLDER = "jobs"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def record_name(token: str) -> str:
    return f"{FOLDER}/{token}.json"


@dataclass
class Progress:
    """One piece of background work as the pages see it."""

    token: str
    owner_id: int
    work: str  # what it is: "import-check", "import-commit", "export"
    scope: str = ""  # the import spec or the export kind it belongs to
    state: str = QUEUED
    phase: str = ""
    done: int = 0
    total: int = 0
    message: str = ""  # the failure, in Chinese, for the person who started it
    queued_at: str = ""
    updated_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)

    @property
    def percent(self) -> int | None:
        """0–100 when the amount of work is known; None while it is not (an indeterminate bar)."""
        if self.state == DONE:
            return 100
        if self.total <= 0:
            return None
        return max(0, min(99, self.done * 100 // self.total))

    @property
    def state_label(self) -> str:
        return {
            QUEUED: _("排队中"),
            RUNNING: _("进行中"),
            DONE: _("已完成"),
            FAILED: _("失败"),
        }.get(self.state, self.state)

    def waited(self) -> dt.timedelta:
        try:
            return timezone.now() - dt.datetime.fromisoformat(self.queued_at)
        except ValueError:
            return dt.timedelta(0)

    def worker_missing(self) -> bool:
        """Queued for a while and no task worker said it is alive: tell the person, not only the logs."""
        if self.state != QUEUED or self.waited() < dt.timedelta(seconds=queue_warning_seconds()):
            return False
        from .heartbeat import workers_alive

        return workers_alive() == 0

    def save(self) -> None:
        self.updated_at = timezone.now().isoformat()
        storage.write_file(record_name(self.token), json.dumps(asdict(self), ensure_ascii=False).encode())


def queue_warning_seconds() -> float:
    return float(getattr(settings, "BACKGROUND_QUEUE_WARNING_SECONDS", 30))


def start(
    token: str, *, owner_id: int, work: str, scope: str = "", phase: str = "", **extra: Any
) -> Progress:
    """Record new work as queued (before the task is enqueued, so the first poll finds it)."""
    progress = Progress(
        token=token,
        owner_id=owner_id,
        work=work,
        scope=scope,
        phase=phase or _("等待后台任务开始"),
        queued_at=timezone.now().isoformat(),
        extra=dict(extra),
    )
    progress.save()
    return progress


def load(token: str) -> Progress | None:
    """The record of ``token``, or None. A writer replaces the file (delete, then save), so a read that
    falls between the two is tried again a few times before giving up."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    for attempt in range(4):
        try:
            data = json.loads(storage.read_file(record_name(token)).decode("utf-8"))
            return Progress(**data)
        except FileNotFoundError:
            if attempt == 3:
                return None
            time.sleep(0.05)
        except (OSError, ValueError, TypeError):
            return None
    return None


def load_for(token: str, *, owner: Any, scope: str) -> Progress | None:
    """The record if it belongs to ``owner`` and ``scope``; anybody else gets None (the pages answer 404)."""
    progress = load(token)
    if progress is None or not getattr(owner, "is_authenticated", False):
        return None
    if progress.owner_id != owner.pk or progress.scope != scope:
        return None
    return progress


class Reporter:
    """What a task uses to report: phases, rows done (written at most every ``interval`` seconds), the end."""

    def __init__(self, progress: Progress, *, interval: float | None = None) -> None:
        self.progress = progress
        self.interval = (
            interval if interval is not None else float(getattr(settings, "BACKGROUND_PROGRESS_SECONDS", 0.5))
        )
        self._written = 0.0

    def _write(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._written < self.interval:
            return
        self._written = now
        try:
            self.progress.save()
        except OSError:  # progress is for the eyes only; the work goes on
            logger.warning("could not write the progress of %s", self.progress.token, exc_info=True)

    def phase(self, label: str, *, total: int = 0, done: int = 0) -> None:
        self.progress.state = RUNNING
        self.progress.phase = label
        self.progress.total = total
        self.progress.done = done
        self._write(force=True)

    def step(self, done: int, total: int | None = None) -> None:
        self.progress.done = done
        if total is not None:
            self.progress.total = total
        self._write()

    def __call__(self, done: int, total: int | None = None) -> None:
        self.step(done, total)

    def finish(self, *, rows: int | None = None, **extra: Any) -> None:
        self.progress.state = DONE
        self.progress.phase = _("已完成")
        if rows is not None:
            self.progress.total = rows
        self.progress.done = self.progress.total
        self.progress.extra.update(extra)
        self._write(force=True)

    def fail(self, message: str, **extra: Any) -> None:
        self.progress.state = FAILED
        self.progress.message = message
        self.progress.extra.update(extra)
        self._write(force=True)


def reporter_for(token: str) -> Reporter | None:
    progress = load(token)
    return Reporter(progress) if progress is not None else None


def prune(max_age_days: int | None = None) -> int:
    days = max_age_days if max_age_days is not None else int(getattr(settings, "IMPORT_RETENTION_DAYS", 7))
    return storage.prune(FOLDER, older_than=timezone.now() - dt.timedelta(days=days))
