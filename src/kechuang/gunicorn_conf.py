"""gunicorn settings for ``kechuang serve`` (and through it ``kechuang demo``) and the load harness
(``--config python:kechuang.gunicorn_conf``).

Every setting comes from the environment, so a systemd unit, a container or an operator's shell changes
it without editing code; ``kechuang serve --bind/--workers`` override the first two. The names, their
defaults and when to change them are listed in docs/operations.md and deploy/kechuang.env.template:

    WEB_BIND                  address(es) to listen on, comma separated (127.0.0.1:8000)
    WEB_CONCURRENCY           worker processes (the number of CPU cores, at least 2)
    WEB_THREADS               threads per worker (4)
    WEB_TIMEOUT               seconds a request may run before its worker is killed and replaced (60)
    WEB_GRACEFUL_TIMEOUT      seconds in-flight requests get to finish on SIGTERM or HUP (30)
    WEB_KEEPALIVE             seconds an idle keep-alive connection from the proxy stays open (5)
    WEB_MAX_REQUESTS          requests after which a worker is replaced, 0 never (2000)
    WEB_MAX_REQUESTS_JITTER   random extra requests, so workers are not all replaced at once (200)
    WEB_FORWARDED_ALLOW_IPS   proxies trusted for X-Forwarded-Proto, comma separated, * any (127.0.0.1,::1)
    WEB_ACCESS_LOG            access log file, "-" for standard output, "" for none (-)
    WEB_LOG_LEVEL             gunicorn's own log level (info)
    WEB_CONTROL_SOCKET        path of gunicorn's control socket (gunicornc); unset: none
    WEB_SHARED_MATCHING       build the matching index once in the master, before the workers fork (1)

The master builds the matching engine once before it forks the workers (``WEB_SHARED_MATCHING``, on by
default): the workers share its pages copy-on-write, so the host holds one copy of the index instead of
one per worker, and each worker only applies the changes since through the index version check
(docs/adr/0030-engine-at-city-scale.md). Each worker also warms the matching engine in a background thread as soon as it starts, so the first
person to open a page with recommendations does not wait for the index to be built from the database
(seconds on a district's catalogue); the worker answers other pages meanwhile. ``/healthz`` reports
``"matching": "warming"`` until this worker's engine is ready.

The workers count requests for ``/metrics`` in files under ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
multiprocess mode): the master prepares and empties that folder before the first worker starts, marks
each exited worker dead, and removes a folder it made when it stops (``kechuang.core.metrics_dir``,
docs/adr/0021-observability.md).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

logger = logging.getLogger("kechuang.gunicorn")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} 应为整数，当前为 {value!r}。") from None


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


wsgi_app = "kechuang.wsgi:application"
proc_name = "kechuang-web"
bind = _list("WEB_BIND", "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", max(2, os.cpu_count() or 1))
threads = _int("WEB_THREADS", 4)
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = _int("WEB_KEEPALIVE", 5)
max_requests = _int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 200)
forwarded_allow_ips = ",".join(_list("WEB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"))
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
# The request id (core.middleware.RequestIdMiddleware) ties an access log line to the application log
# and to the reference shown on an error page.
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# gunicorn otherwise opens a control socket at one fixed path per user, which two servers on one host
# (tests, several instances) would fight over; it is opt-in here.
control_socket_disable = not os.environ.get("WEB_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["WEB_CONTROL_SOCKET"]
# Heartbeat files in memory, not on a disk that may be slow or read-only (containers, ProtectSystem).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108


def warm_matching() -> None:
    from django.db import connection

    try:
        from kechuang.transfer import matching

        engine = matching.get_engine()
        engine.search("科技成果转化", k=1)  # loads the query encoder too, when vectors exist
    except Exception:  # warming is an optimisation: a failure leaves the first request to build it
        logger.exception("matching warm-up failed")
    finally:
        connection.close()


def build_shared_matching(server: Any) -> None:
    """Build the matching engine in the master before any worker forks (``when_ready``), then close the
    master's database connections (a forked worker must not share a socket) and freeze the heap, so the
    workers' garbage collector does not write to (and so copy) every page of the shared index."""
    if os.environ.get("WEB_SHARED_MATCHING", "1").strip() in ("0", "false", "no", ""):
        return
    import gc

    try:
        import django

        from matchcore.store import no_huge_pages
        from matchcore.threads import fork_friendly_openmp

        # the master encodes (listings without a stored vector) on one OpenMP thread, so the workers do not
        # inherit a thread pool that cannot survive fork(); each worker gets its threads back
        fork_friendly_openmp()
        # no transparent huge pages in the heap the workers inherit: a worker would fault in a 2 MiB page
        # where 4 KiB do (docs/adr/0030-engine-at-city-scale.md, fourth pass)
        no_huge_pages()
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings.base")
        django.setup()
        from kechuang.transfer import matching

        # the listings read for the build are dropped by now: the engine's small objects re-created
        # compactly, so the interpreter returns the build's memory before the workers share the heap
        # (docs/adr/0030-engine-at-city-scale.md, fourth pass)
        engine = matching.get_engine()
        engine.repack()
        server.log.info("matching index built in the master, shared by the workers")
        try:  # the query encoder loaded once, here (one OpenMP thread): the workers share its pages
            engine.embedder.encode_queries(["科技成果转化"])
        except Exception:  # each worker loads its own, as without it
            logger.exception("loading the query encoder in the master failed")
    except Exception:  # an optimisation: each worker then builds its own, as without it
        logger.exception("building the shared matching index failed")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # pragma: no cover - Django not importable
            logger.exception("closing the master's database connections failed")
        gc.collect()
        gc.freeze()
        # the build's freed temporaries back to the system before the fork, or every worker that reuses
        # one of those pages copies it (docs/adr/0030-engine-at-city-scale.md)
        from matchcore.store import release_free_memory

        release_free_memory()


def when_ready(server: Any) -> None:
    build_shared_matching(server)


def post_worker_init(worker: Any) -> None:
    threading.Thread(target=warm_matching, name="kechuang-warm-matching", daemon=True).start()


def on_starting(server: Any) -> None:
    from kechuang.core import metrics_dir

    path = metrics_dir.prepare()
    server.log.info("metrics of the workers in %s", path)


def child_exit(server: Any, worker: Any) -> None:
    from kechuang.core import metrics_dir

    metrics_dir.mark_dead(worker.pid)


def on_exit(server: Any) -> None:
    from kechuang.core import metrics_dir

    metrics_dir.cleanup(handed_over=bool(getattr(server, "reexec_pid", 0)))
