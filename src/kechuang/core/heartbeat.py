"""The task worker's heartbeat (docs/adr/0021-observability.md).

django-tasks-db's worker writes nothing while it waits for work, so from the database an idle worker
and a dead one look the same. ``kechuang worker`` therefore runs :class:`WorkerHeartbeat`, a thread
that updates one ``WorkerProcess`` row every ``WORKER_HEARTBEAT_SECONDS`` (30) on its own connection,
and marks the row stopped when the worker exits. ``/readyz`` and ``/metrics`` count the workers seen
recently (:func:`workers_alive`); the age of the oldest waiting task (``core.readiness``) says whether
the workers that are alive actually take work.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from .models import WorkerProcess

logger = logging.getLogger("kechuang.worker")


def heartbeat_every() -> float:
    return float(getattr(settings, "WORKER_HEARTBEAT_SECONDS", 30))


def alive_within() -> dt.timedelta:
    """A worker seen this recently counts as running: ``READYZ_WORKER_SEEN_SECONDS`` (two minutes, four
    heartbeats), and never less than two heartbeats, whatever the two settings say."""
    seen = float(getattr(settings, "READYZ_WORKER_SEEN_SECONDS", 120))
    return dt.timedelta(seconds=max(seen, 2 * heartbeat_every()))


def workers_alive(now: dt.datetime | None = None) -> int:
    """How many task workers said they were alive recently (one query)."""
    now = now or timezone.now()
    return WorkerProcess.objects.filter(stopped_at__isnull=True, seen_at__gte=now - alive_within()).count()


class WorkerHeartbeat:
    """Say every ``every`` seconds that the worker ``worker_id`` is alive; ``stop()`` marks it stopped."""

    def __init__(self, worker_id: str, *, every: float | None = None) -> None:
        self.worker_id = worker_id[:64]
        self.every = every if every is not None else heartbeat_every()
        self.host = socket.gethostname()[:128]
        self.pid = os.getpid()
        self._started = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kechuang-worker-heartbeat", daemon=True)

    def beat(self) -> None:
        now = timezone.now()
        fields = {"host": self.host, "pid": self.pid, "seen_at": now, "stopped_at": None}
        if not self._started:  # a worker id may come back (same host, a reused pid): a new start
            fields["started_at"] = now
        WorkerProcess.objects.update_or_create(
            worker_id=self.worker_id, defaults=fields, create_defaults={**fields, "started_at": now}
        )
        self._started = True

    def _run(self) -> None:
        try:
            while True:
                try:
                    self.beat()
                except DatabaseError:
                    logger.warning("worker heartbeat: the database is unavailable", exc_info=True)
                    connections.close_all()  # this thread's connections: reconnect next time
                if self._stopping.wait(self.every):
                    break
        finally:
            connections.close_all()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and record the stop (on the caller's connection)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        try:
            WorkerProcess.objects.filter(worker_id=self.worker_id).update(stopped_at=timezone.now())
        except DatabaseError:
            logger.warning("worker heartbeat: could not record the stop", exc_info=True)
