"""``/healthz`` and ``/readyz`` (docs/adr/0021-observability.md): the liveness probe stays one read; the
readiness probe names each part (database, cache, storage, worker, scheduler) with its state, answers 503
naming the failing ones without leaking error text, and costs a fixed handful of queries."""

from __future__ import annotations

import datetime as dt
import importlib
import logging

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kechuang.core import readiness, storage
from kechuang.core.heartbeat import WorkerHeartbeat, workers_alive
from kechuang.core.models import JobState, SchedulerProcess, WorkerProcess
from kechuang.core.scheduler import Scheduler

pytestmark = pytest.mark.django_db

SECRET = "password=hunter2 host=db.internal 13812345678"


@pytest.fixture
def tasks_in_database(settings):
    """Tasks queued in the database for ``kechuang worker``, as in production (tests run them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def platform_running(tasks_in_database):
    """A worker and a scheduler alive, every job on time."""
    now = timezone.now()
    WorkerProcess.objects.create(worker_id="host:1", host="host", pid=1, started_at=now, seen_at=now)
    SchedulerProcess.objects.create(owner="host:2:x", host="host", pid=2, started_at=now, seen_at=now)
    Scheduler().ensure_states(now)


def _task(*, waited: float) -> None:
    from django_tasks_db.models import DBTaskResult, get_date_max

    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="kechuang.transfer.tasks.compute_vectors",
        backend_name="default",
        run_after=get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=timezone.now() - dt.timedelta(seconds=waited))


def test_healthz_reads_once_and_writes_nothing(client, settings):
    settings.LOG_REQUESTS = True
    """What a load balancer sends (no cookie) costs one SELECT 1, with LOG_REQUESTS on too."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1"]


def test_readyz_names_every_check_and_answers_200_when_all_pass(client, platform_running):
    _task(waited=10)
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert list(body["checks"]) == ["database", "cache", "storage", "worker", "scheduler"]
    assert {check["state"] for check in body["checks"].values()} == {"ok"}
    assert body["checks"]["worker"]["workers_alive"] == 1
    assert body["checks"]["worker"]["tasks_ready"] == 1
    assert body["checks"]["scheduler"]["schedulers_alive"] == 1
    assert body["checks"]["scheduler"]["late_jobs"] == []
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_readyz_is_cheap_enough_to_probe_every_few_seconds(
    client, platform_running, django_assert_num_queries
):
    for _ in range(50):
        _task(waited=1)
    # SELECT 1; workers alive; the task figures; the job states; schedulers alive. The cache is the
    # test's in-process one (the database cache adds its own few: test_readyz_on_the_database_cache).
    with django_assert_num_queries(5):
        assert client.get("/readyz").status_code == 200


def test_readyz_on_the_database_cache(client, platform_running, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kechuang_cache"}
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/readyz")
    assert response.status_code == 200, response.content
    cache_queries = [q["sql"] for q in queries.captured_queries if "kechuang_cache" in q["sql"]]
    assert 2 <= len(cache_queries) <= 5  # set (count, read, write) and get: a few, whatever the table holds


def test_no_worker_alive_fails_the_worker_check(client, platform_running):
    WorkerProcess.objects.update(seen_at=timezone.now() - dt.timedelta(minutes=5))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["workers_alive"] == 0
    assert "kechuang worker" in body["checks"]["worker"]["detail"]
    assert body["checks"]["scheduler"]["state"] == "ok"


def test_a_stopped_worker_is_not_alive(client, platform_running):
    WorkerProcess.objects.update(stopped_at=timezone.now())
    assert client.get("/readyz").json()["failing"] == ["worker"]


def test_a_task_waiting_too_long_fails_the_worker_check(client, platform_running, settings):
    settings.READYZ_TASK_WAIT_SECONDS = 300
    _task(waited=299)
    assert client.get("/readyz").status_code == 200
    _task(waited=400)
    body = client.get("/readyz").json()
    assert body["failing"] == ["worker"]
    assert body["checks"]["worker"]["oldest_waiting_seconds"] >= 400
    assert "300" in body["checks"]["worker"]["detail"]


def test_tasks_run_in_the_web_process_need_no_worker(client, platform_running, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    WorkerProcess.objects.all().delete()
    body = client.get("/readyz").json()
    assert body["checks"]["worker"] == {
        "state": "ok",
        "tasks": "in-process",
        "ms": body["checks"]["worker"]["ms"],
    }


def test_no_scheduler_fails_the_scheduler_check(client, platform_running):
    SchedulerProcess.objects.update(seen_at=timezone.now() - dt.timedelta(minutes=3))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["scheduler"]
    assert "kechuang scheduler" in body["checks"]["scheduler"]["detail"]


def test_a_scheduler_busy_with_a_long_job_or_run_from_cron_counts_as_alive(client, platform_running):
    SchedulerProcess.objects.all().delete()
    now = timezone.now()
    # a long job: the process says nothing meanwhile, but the lease heartbeat keeps the job's lease
    JobState.objects.filter(name="cleanup").update(
        lease_owner="h:1:x", lease_expires_at=now + dt.timedelta(minutes=4)
    )
    assert client.get("/readyz").status_code == 200
    # `kechuang scheduler --once` from cron: no process row, a run finished a minute ago
    JobState.objects.update(lease_owner="", lease_expires_at=None)
    JobState.objects.filter(name="sla-tick").update(last_finished_at=now - dt.timedelta(seconds=60))
    assert client.get("/readyz").status_code == 200
    JobState.objects.update(last_finished_at=now - dt.timedelta(minutes=10))
    assert client.get("/readyz").json()["failing"] == ["scheduler"]


def test_a_job_late_by_more_than_its_interval_and_the_grace_fails(client, platform_running, settings):
    settings.READYZ_JOB_GRACE_SECONDS = 300
    now = timezone.now()
    # sla-tick comes every minute: 5 minutes late is within 1 minute + 5 minutes of grace
    JobState.objects.filter(name="sla-tick").update(due_at=now - dt.timedelta(minutes=5))
    assert client.get("/readyz").status_code == 200
    # failing for 7 minutes: its retries move next_run_at, but the due time it owes stays
    JobState.objects.filter(name="sla-tick").update(
        due_at=now - dt.timedelta(minutes=7), next_run_at=now + dt.timedelta(seconds=40), failures=4
    )
    # a daily job 2 hours late is fine (a day plus the grace)
    JobState.objects.filter(name="cleanup").update(due_at=now - dt.timedelta(hours=2))
    body = client.get("/readyz").json()
    assert body["failing"] == ["scheduler"]
    assert body["checks"]["scheduler"]["late_jobs"] == ["sla-tick"]
    assert "sla-tick" in body["checks"]["scheduler"]["detail"]


def test_a_cache_that_does_not_answer_fails_without_telling_why(
    client, platform_running, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise ConnectionError(SECRET)

    monkeypatch.setattr(cache, "set", broken)
    with caplog.at_level(logging.ERROR, logger="kechuang.readiness"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert response.json()["failing"] == ["cache"]
    for leaked in ("hunter2", "db.internal", "13812345678", "Traceback", "ConnectionError"):
        assert leaked not in body
    assert any("cache check failed" in r.getMessage() for r in caplog.records)  # the details go to the log


def test_a_cache_that_loses_values_fails(client, platform_running, monkeypatch):
    monkeypatch.setattr(cache, "get", lambda *a, **k: None)
    assert client.get("/readyz").json()["failing"] == ["cache"]


def test_an_unwritable_storage_fails(client, platform_running, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocker / "media")  # even root cannot create a folder inside a file
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["storage"]
    assert str(tmp_path) not in response.content.decode()


def test_the_storage_probe_leaves_nothing_behind_and_backups_never_see_it(
    client, platform_running, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")  # a storage of this test's own: nothing but the probe
    assert client.get("/readyz").status_code == 200
    assert not list(storage.walk(""))
    storage.write_file(f"{storage.PROBE_FOLDER}/left-over.txt", b"ok")  # a probe cut short
    storage.write_file("attachments/report.pdf", b"%PDF")
    assert list(storage.walk("")) == ["attachments/report.pdf"]


def test_a_database_that_is_down_fails_its_check_and_those_that_need_it(
    client, platform_running, monkeypatch
):
    class Broken:
        vendor = "postgresql"

        def cursor(self):
            raise RuntimeError(SECRET)

    monkeypatch.setattr(readiness, "connection", Broken())
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database", "worker", "scheduler"]
    assert body["checks"]["cache"]["state"] == "ok" and body["checks"]["storage"]["state"] == "ok"
    assert "hunter2" not in response.content.decode()


def test_only_the_checks_asked_for(client, tasks_in_database):
    # no worker, no scheduler: a probe that only asks whether this server can serve still passes
    response = client.get("/readyz?check=database,cache,storage")
    assert response.status_code == 200
    assert list(response.json()["checks"]) == ["database", "cache", "storage"]
    assert client.get("/readyz").status_code == 503
    worker_only = client.get("/readyz?check=worker")
    assert list(worker_only.json()["checks"]) == ["database", "worker"]  # it reads the database
    unknown = client.get("/readyz?check=database,disk")
    assert unknown.status_code == 400
    assert "disk" in unknown.json()["detail"]


def test_a_failing_probe_is_logged_when_the_state_changes_not_every_time(
    client, platform_running, caplog, monkeypatch
):
    monkeypatch.setattr(readiness, "_last_failing", [])  # what this process saw before does not matter
    WorkerProcess.objects.all().delete()
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            assert client.get("/readyz").status_code == 503
        WorkerProcess.objects.create(
            worker_id="back", host="h", pid=3, started_at=timezone.now(), seen_at=timezone.now()
        )
        for _ in range(3):
            assert client.get("/readyz").status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name in ("kechuang.readiness", "django.request")]
    assert lines == ["readiness: failing worker", "readiness: every check passes again"]


def test_the_worker_heartbeat_keeps_one_row_and_marks_the_stop(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 30
    settings.READYZ_WORKER_SEEN_SECONDS = 120
    heartbeat = WorkerHeartbeat("host:4242")
    heartbeat.beat()
    heartbeat.beat()
    row = WorkerProcess.objects.get()
    assert row.worker_id == "host:4242" and row.stopped_at is None and row.started_at <= row.seen_at
    assert workers_alive() == 1
    # measured from the beat itself, so a slow machine between the beat and the check changes nothing
    assert workers_alive(row.seen_at + dt.timedelta(seconds=119)) == 1
    assert workers_alive(row.seen_at + dt.timedelta(seconds=121)) == 0
    heartbeat.stop()
    assert WorkerProcess.objects.get().stopped_at is not None and workers_alive() == 0
    # a worker that beats less often than the window allows is not declared dead between two beats
    settings.WORKER_HEARTBEAT_SECONDS = 100
    WorkerHeartbeat("host:4243").beat()
    seen = WorkerProcess.objects.get(worker_id="host:4243").seen_at
    assert workers_alive(seen + dt.timedelta(seconds=190)) == 1


def test_under_the_production_settings_the_probes_answer_plain_http(client, settings, monkeypatch):
    """The load balancer and Prometheus call the app server directly over HTTP; pages still redirect."""
    monkeypatch.setenv("SECRET_KEY", "k" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "testserver")
    production = importlib.import_module("kechuang.settings.production")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = production.SECURE_REDIRECT_EXEMPT
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503  # answered (no scheduler here), not redirected
    assert client.get("/metrics").status_code == 200
    assert client.get("/").status_code == 301
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
