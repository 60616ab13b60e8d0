"""Prometheus metrics: ``/metrics`` in the text exposition format (docs/adr/0021-observability.md).

Two kinds of figures:

* **Counted by the web processes** as requests pass (:class:`RequestMetricsMiddleware`): requests and
  their latency by view, method and status class. Under gunicorn every worker process writes its own
  counters to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (set and emptied by
  ``kechuang.gunicorn_conf``; :mod:`kechuang.core.metrics_dir`), and a scrape of any worker adds them
  all up (prometheus-client's multiprocess mode). Without that variable (tests, ``runserver``) the
  process counts alone.
* **Read from the database at scrape time** by collectors (:class:`DatabaseCollector`): task queue
  depth by state and the oldest waiting task, workers and schedulers alive, each periodic job's lag and
  last success, the migration state and the build; and what modules register with
  :func:`register_metric_source` (the service desk's open SLA breaches). These describe the shared
  database, so whichever web process answers the scrape tells the same story.

Labels stay bounded: ``view`` is the URL pattern's name (``servicedesk:request-detail``), never the
raw path; a path that matches no pattern is ``<unmatched>``, static files are ``<static>``; methods
outside the usual seven are ``OTHER``; statuses are classes (``2xx``…``5xx``). ``job`` is a registered
job's name. Nothing carries a user, an organization or an id.

``/metrics`` answers only the addresses in ``METRICS_ALLOWED_IPS`` (loopback by default), taking the
client address as the audit log does (``request_meta.client_ip``, ``TRUSTED_PROXY_COUNT``); others get
the site's 404 page.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import platform
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from importlib import metadata
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from . import request_meta
from .logging import user_id_of

logger = logging.getLogger("kechuang.metrics")
request_logger = logging.getLogger("kechuang.request")

# --- what the web processes count -----------------------------------------------------------------------

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"
STATIC = "<static>"
# seconds; the last bucket is gunicorn's worker timeout (WEB_TIMEOUT, 60)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

REQUESTS = Counter(
    "kechuang_http_requests",
    "HTTP requests answered, by view (URL pattern name), method and status class.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "kechuang_http_request_duration_seconds",
    "Time from the request reaching Django to the response leaving it, by view, method and status class.",
    ["view", "method", "status"],
    buckets=LATENCY_BUCKETS,
)

# live: a worker that exits takes its share with it (kechuang.gunicorn_conf's child_exit hook)
IN_PROGRESS = Gauge(
    "kechuang_http_requests_in_progress",
    "Requests being answered right now, over every worker process.",
    multiprocess_mode="livesum",
)


def view_label(request: HttpRequest) -> str:
    """The URL pattern's name (``app:name``), or the view's dotted path for an unnamed pattern;
    ``<static>`` and ``<unmatched>`` otherwise. Never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        if request.path.startswith(settings.STATIC_URL):
            return STATIC
        # answered before URL resolution (a redirect to HTTPS, a lockout, a refused character)
        try:
            match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
        except Exception:  # a path the resolver cannot even read
            return UNMATCHED
    return str(match.view_name or UNMATCHED)[:120]


def method_label(method: str | None) -> str:
    method = (method or "").upper()
    return method if method in METHODS else "OTHER"


def status_label(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class RequestMetricsMiddleware:
    """Counts every request and its latency (labels above); with ``LOG_REQUESTS`` also writes one log
    line per request (``kechuang.request``: method, path without the query, view, status, duration,
    and the request id and user id that every line carries). Placed right after
    ``RequestIdMiddleware``, so static files and refusals by later middleware are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        IN_PROGRESS.inc()
        try:
            response = self.get_response(request)
        finally:
            IN_PROGRESS.dec()
        elapsed = time.perf_counter() - start
        try:
            self.observe(request, response.status_code, elapsed)
        except Exception:  # counting must never cost the page
            logger.exception("request metrics could not be recorded")
        return response

    def observe(self, request: HttpRequest, status: int, elapsed: float) -> None:
        view, method, status_class = view_label(request), method_label(request.method), status_label(status)
        REQUESTS.labels(view, method, status_class).inc()
        LATENCY.labels(view, method, status_class).observe(elapsed)
        if getattr(settings, "LOG_REQUESTS", False):
            duration_ms = round(elapsed * 1000, 1)
            request_logger.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %s %s ms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "view": view,
                    "status": status,
                    "duration_ms": duration_ms,
                    # the user as the view left it (after a sign-in, the new user); resolving it here
                    # costs at most the session read the view did not need
                    "user_id": user_id_of(request, resolve=True),
                },
            )


# --- what modules add: figures read at scrape time -----------------------------------------------------


@dataclass
class Reading:
    """A gauge read at scrape time: ``samples`` are ``(labels, value)`` pairs; keep labels bounded."""

    name: str
    documentation: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)


MetricSource = Callable[[], Iterable[Reading]]
_sources: dict[str, MetricSource] = {}


def register_metric_source(name: str, source: MetricSource) -> None:
    """Add a module's gauges to ``/metrics`` (call from ``AppConfig.ready``; the same name replaces).
    A source runs at every scrape: one or two aggregate queries, no per-row work."""
    _sources[name] = source


def metric_sources() -> dict[str, MetricSource]:
    return dict(_sources)


# --- what the database says ----------------------------------------------------------------------------


@cache
def code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration this code has (read from disk once per process: the code does not change)."""
    from django.db.migrations.loader import MigrationLoader

    return frozenset(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def unapplied_migrations() -> int:
    """How many of this code's migrations the database lacks (one query); 0 after ``kechuang upgrade``."""
    from django.db.migrations.recorder import MigrationRecorder

    applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    return len(code_migrations() - applied)


def code_version() -> str:
    try:
        return metadata.version("kechuang")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "unknown"


def task_figures(now: dt.datetime | None = None) -> dict[str, Any]:
    """Tasks by state, and how long the oldest task ready to run has waited (one query).

    ``ready``: waiting and runnable now; ``scheduled``: waiting for a later time (a retry);
    ``running``; ``failed`` and ``successful`` (kept for ``TASK_RESULTS_KEEP_DAYS``)."""
    from django.db.models import Count, Min, Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = now or timezone.now()
    never = get_date_max()  # "run as soon as possible" in django-tasks-db
    ready = Q(status="READY") & (Q(run_after=never) | Q(run_after__lte=now))
    figures = DBTaskResult.objects.aggregate(
        ready=Count("pk", filter=ready),
        scheduled=Count("pk", filter=Q(status="READY", run_after__gt=now) & ~Q(run_after=never)),
        running=Count("pk", filter=Q(status="RUNNING")),
        failed=Count("pk", filter=Q(status="FAILED")),
        successful=Count("pk", filter=Q(status="SUCCESSFUL")),
        oldest_enqueued=Min("enqueued_at", filter=Q(status="READY", run_after=never)),
        oldest_due=Min("run_after", filter=Q(status="READY", run_after__lte=now) & ~Q(run_after=never)),
    )
    waiting_since = [t for t in (figures.pop("oldest_enqueued"), figures.pop("oldest_due")) if t is not None]
    figures["oldest_waiting_seconds"] = (
        max(0.0, (now - min(waiting_since)).total_seconds()) if waiting_since else 0.0
    )
    return figures


def nominal_interval(schedule: Any) -> dt.timedelta:
    """How often a schedule comes round: its interval, a day, or a month (31 days)."""
    from .jobs import Daily, Every, Monthly

    if isinstance(schedule, Every):
        return schedule.interval
    if isinstance(schedule, Daily):
        return dt.timedelta(days=1)
    if isinstance(schedule, Monthly):
        return dt.timedelta(days=31)
    return dt.timedelta(days=1)


@dataclass(frozen=True)
class JobFigures:
    name: str
    interval: dt.timedelta
    lag_seconds: float  # since the due time it still has to serve (0 before it is due)
    last_success: dt.datetime | None
    failures: int
    running: bool
    last_finished: dt.datetime | None


def job_figures(now: dt.datetime | None = None) -> list[JobFigures]:
    """Every registered job that a scheduler has seen, with its lag (one query).

    The lag counts from ``due_at``, the due time the job still has to serve: a job nobody runs and a
    job that keeps failing (its retries move ``next_run_at``, not ``due_at``) both fall behind."""
    from . import jobs as registry
    from .models import JobState

    now = now or timezone.now()
    jobs = {j.name: j for j in registry.registered_jobs()}
    figures = []
    for state in JobState.objects.filter(name__in=list(jobs)).order_by("name"):
        running = bool(state.lease_owner and state.lease_expires_at and state.lease_expires_at > now)
        figures.append(
            JobFigures(
                name=state.name,
                interval=nominal_interval(jobs[state.name].schedule),
                lag_seconds=max(0.0, (now - state.due_at).total_seconds()),
                last_success=state.last_success_at,
                failures=state.failures,
                running=running,
                last_finished=state.last_finished_at,
            )
        )
    return figures


def schedulers_alive(now: dt.datetime | None = None) -> int:
    """Schedulers that said they are alive within ``READYZ_SCHEDULER_SEEN_SECONDS`` (one query)."""
    from .models import SchedulerProcess

    now = now or timezone.now()
    within = dt.timedelta(seconds=float(getattr(settings, "READYZ_SCHEDULER_SEEN_SECONDS", 120)))
    return SchedulerProcess.objects.filter(stopped_at__isnull=True, seen_at__gte=now - within).count()


def _timestamp(moment: dt.datetime | None) -> float:
    return moment.timestamp() if moment else 0.0


class DatabaseCollector(Collector):
    """The figures read from the database at each scrape: five queries, and one or two per module source."""

    def collect(self) -> Iterator[Any]:
        from .heartbeat import workers_alive

        now = timezone.now()
        info = InfoMetricFamily("kechuang_build", "The running code: version, Django and Python.")
        info.add_metric(
            [],
            {
                "version": code_version(),
                "django": metadata.version("django"),
                "python": platform.python_version(),
            },
        )
        yield info
        parts: dict[str, Callable[[], Iterable[Any]]] = {
            "migrations": self._migrations,
            "tasks": lambda: self._tasks(now, workers_alive(now)),
            "scheduler": lambda: self._scheduler(now),
        }
        for name, source in metric_sources().items():
            parts[name] = partial(self._readings, source)
        failed = GaugeMetricFamily(
            "kechuang_metrics_part_failed",
            "1 when a part of these metrics could not be read (the database is down?); its figures are missing.",
            labels=["part"],
        )
        for name, produce in parts.items():
            try:
                produced = list(produce())
            except Exception:  # a part that fails is left out and flagged, never a 500
                logger.exception("metrics: %s could not be read", name)
                failed.add_metric([name], 1)
                continue
            failed.add_metric([name], 0)
            yield from produced
        yield failed

    @staticmethod
    def _migrations() -> Iterator[Any]:
        unapplied = unapplied_migrations()
        yield GaugeMetricFamily(
            "kechuang_migrations_unapplied",
            "This code's migrations the database lacks (0: up to date).",
            value=unapplied,
        )
        yield GaugeMetricFamily(
            "kechuang_migrations_ok",
            "1 when the database has every migration of this code.",
            value=int(unapplied == 0),
        )

    @staticmethod
    def _tasks(now: dt.datetime, alive: int) -> Iterator[Any]:
        figures = task_figures(now)
        depth = GaugeMetricFamily(
            "kechuang_tasks", "Background tasks by state (django-tasks-db).", labels=["state"]
        )
        for state in ("ready", "scheduled", "running", "failed", "successful"):
            depth.add_metric([state], figures[state])
        yield depth
        yield GaugeMetricFamily(
            "kechuang_tasks_oldest_waiting_seconds",
            "How long the oldest task ready to run has waited (0 when none waits).",
            value=figures["oldest_waiting_seconds"],
        )
        yield GaugeMetricFamily(
            "kechuang_task_workers_alive",
            "Task workers (kechuang worker) seen within two minutes.",
            value=alive,
        )

    @staticmethod
    def _scheduler(now: dt.datetime) -> Iterator[Any]:
        lag = GaugeMetricFamily(
            "kechuang_scheduler_job_lag_seconds",
            "Seconds since the due time the job still has to serve (0 before it is due).",
            labels=["job"],
        )
        interval = GaugeMetricFamily(
            "kechuang_scheduler_job_interval_seconds", "How often the job comes round.", labels=["job"]
        )
        success = GaugeMetricFamily(
            "kechuang_scheduler_job_last_success_timestamp_seconds",
            "When the job last succeeded (Unix time; 0: never).",
            labels=["job"],
        )
        failures = GaugeMetricFamily(
            "kechuang_scheduler_job_failures", "Failed runs since the job's last success.", labels=["job"]
        )
        running = GaugeMetricFamily(
            "kechuang_scheduler_job_running", "1 while a scheduler runs the job.", labels=["job"]
        )
        for job in job_figures(now):
            lag.add_metric([job.name], job.lag_seconds)
            interval.add_metric([job.name], job.interval.total_seconds())
            success.add_metric([job.name], _timestamp(job.last_success))
            failures.add_metric([job.name], job.failures)
            running.add_metric([job.name], int(job.running))
        yield from (lag, interval, success, failures, running)
        yield GaugeMetricFamily(
            "kechuang_schedulers_alive",
            "Schedulers (kechuang scheduler) seen within two minutes.",
            value=schedulers_alive(now),
        )

    @staticmethod
    def _readings(source: MetricSource) -> Iterator[Any]:
        for reading in source():
            labels = sorted({key for labels, _ in reading.samples for key in labels})
            family = GaugeMetricFamily(reading.name, reading.documentation, labels=labels)
            for sample_labels, value in reading.samples:
                family.add_metric([sample_labels.get(key, "") for key in labels], value)
            yield family


# --- the endpoint --------------------------------------------------------------------------------------


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in getattr(settings, "METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"]):
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            logger.error("METRICS_ALLOWED_IPS: %r is not an address or a network; ignored", entry)
    return networks


def address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in allowed_networks())


def registry() -> CollectorRegistry:
    """The registry a scrape reads: every process's counters (multiprocess mode) or this process's,
    plus the database figures."""
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(scrape)  # type: ignore[no-untyped-call]
    else:
        scrape.register(_ProcessCounters())
    scrape.register(DatabaseCollector())
    return scrape


class _ProcessCounters(Collector):
    """This process's request counters (when no multiprocess folder is set)."""

    def collect(self) -> Iterator[Any]:
        yield from REQUESTS.collect()
        yield from LATENCY.collect()
        yield from IN_PROGRESS.collect()


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics`` for Prometheus; 404 for any address not in ``METRICS_ALLOWED_IPS``."""
    if not address_allowed(request_meta.client_ip(request)):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
