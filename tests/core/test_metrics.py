"""``/metrics`` (docs/adr/0021-observability.md): only the configured addresses get an answer, the request
counters move with the requests, labels stay bounded whatever paths people type, and the figures read
from the database (tasks, workers, schedulers, jobs, migrations, build) are there and right.
The multiprocess mode under a real gunicorn: tests/ops/test_metrics_gunicorn.py."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from metrics_helpers import label_values, samples, scrape, value

from kechuang.core import metrics
from kechuang.core.metrics import Reading, register_metric_source
from kechuang.core.models import JobState, SchedulerProcess, WorkerProcess
from kechuang.core.scheduler import Scheduler

pytestmark = pytest.mark.django_db

REQUESTS = "kechuang_http_requests_total"


# --- who may read it -------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("allowed", "remote", "answers"),
    [
        (["127.0.0.1", "::1"], "127.0.0.1", True),
        (["127.0.0.1", "::1"], "::1", True),
        (["127.0.0.1", "::1"], "10.0.0.5", False),
        (["127.0.0.1", "::1"], "::ffff:10.0.0.5", False),
        (["10.0.0.0/8"], "10.20.30.40", True),
        (["10.0.0.0/8"], "127.0.0.1", False),
        (["10.0.0.0/8", "not-an-address"], "10.0.0.5", True),  # a bad entry is ignored, not fatal
        ([], "127.0.0.1", False),
    ],
)
def test_metrics_answer_only_the_configured_addresses(client, settings, allowed, remote, answers):
    settings.METRICS_ALLOWED_IPS = allowed
    response = client.get("/metrics", REMOTE_ADDR=remote)
    assert response.status_code == (200 if answers else 404)
    if not answers:  # the site's own 404 page: nothing says a metrics endpoint is there
        assert "kechuang_" not in response.content.decode()


def test_behind_a_proxy_the_forwarded_client_address_decides(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "10.9.0.0/16"]
    # the proxy (on loopback) forwards an outsider who claims to be 127.0.0.1: the proxy appends the
    # address it saw, and that one counts
    spoofed = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9")
    assert spoofed.status_code == 404
    monitoring = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.1.2")
    assert monitoring.status_code == 200
    # a scrape straight to the app server (no proxy header) is judged by its own address
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_metrics_are_get_only_and_never_cached(client):
    assert client.post("/metrics").status_code == 405
    response = client.get("/metrics")
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


# --- request counters ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_counters_and_latency_move_with_the_requests(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
    after = scrape(client)
    labels = {"view": "core:healthz", "method": "GET", "status": "2xx"}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 3
    refused = {"view": "core:healthz", "method": "POST", "status": "4xx"}
    assert value(after, REQUESTS, **refused) - value(before, REQUESTS, **refused) == 1
    latency = "kechuang_http_request_duration_seconds"
    assert value(after, f"{latency}_count", **labels) - value(before, f"{latency}_count", **labels) == 3
    assert value(after, f"{latency}_sum", **labels) > value(before, f"{latency}_sum", **labels)
    slowest = value(after, f"{latency}_bucket", le="60.0", **labels)
    assert slowest == value(after, f"{latency}_count", **labels)  # every request fell in some bucket
    # the scrape itself is counted under its own name
    assert value(after, REQUESTS, view="core:metrics", method="GET", status="2xx") >= 1


@pytest.mark.slow
def test_labels_stay_bounded_whatever_paths_and_methods_come_in(client, operator, institute_org):
    client.force_login(operator)
    before = scrape(client)
    typed = [f"/no-such-page-{uuid.uuid4().hex}/" for _ in range(25)]
    for path in typed:
        assert client.get(path).status_code == 404
    for pk in (institute_org.pk, institute_org.pk + 1000, 999_999):  # one pattern, three objects
        client.get(f"/directory/organizations/{pk}/")
    client.generic("PROPFIND", "/healthz")
    after = scrape(client)
    views = label_values(after, REQUESTS, "view")
    assert not any("no-such-page" in view for view in views)
    assert value(after, REQUESTS, view="<unmatched>", method="GET", status="4xx") - value(
        before, REQUESTS, view="<unmatched>", method="GET", status="4xx"
    ) == len(typed)
    assert "directory:organization-detail" in views
    assert not any(str(institute_org.pk) in view for view in views)
    other = {"view": "core:healthz", "method": "OTHER", "status": "4xx"}
    assert value(after, REQUESTS, **other) - value(before, REQUESTS, **other) == 1
    assert label_values(after, REQUESTS, "method") <= {*metrics.METHODS, "OTHER"}
    assert label_values(after, REQUESTS, "status") <= {"1xx", "2xx", "3xx", "4xx", "5xx"}
    # the series grew by a handful, not by one per path typed
    new = {(n, tuple(sorted(lb.items()))) for n, lb, _ in samples(after) if n == REQUESTS} - {
        (n, tuple(sorted(lb.items()))) for n, lb, _ in samples(before) if n == REQUESTS
    }
    assert len(new) <= 6, new


@pytest.mark.slow
def test_answers_before_url_resolution_still_name_the_view(client, settings):
    """A redirect to HTTPS or a refused character is answered by middleware; the label is the view
    the path would have reached (or <unmatched>), never the path."""
    before = scrape(client)
    assert client.get("/directory/fields/?q=%00").status_code == 400
    assert client.get("/no-such-%00-page/").status_code == 400
    after = scrape(client)
    fields = {"view": "directory:field-tree", "method": "GET", "status": "4xx"}
    assert value(after, REQUESTS, **fields) - value(before, REQUESTS, **fields) == 1
    unmatched = {"view": "<unmatched>", "method": "GET", "status": "4xx"}
    assert value(after, REQUESTS, **unmatched) - value(before, REQUESTS, **unmatched) == 1


# --- what the database says ------------------------------------------------------------------------------


@pytest.mark.slow
def test_build_and_migration_state(client):
    text = scrape(client)
    build = [lb for n, lb, _ in samples(text) if n == "kechuang_build_info"]
    assert build and build[0]["version"] and build[0]["django"].startswith("5.")
    assert value(text, "kechuang_migrations_unapplied") == 0
    assert value(text, "kechuang_migrations_ok") == 1


@pytest.mark.slow
def test_an_unapplied_migration_shows(client, monkeypatch):
    code = metrics.code_migrations()
    monkeypatch.setattr(metrics, "code_migrations", lambda: code | {("core", "9999_not_yet")})
    text = scrape(client)
    assert value(text, "kechuang_migrations_unapplied") == 1
    assert value(text, "kechuang_migrations_ok") == 0


def _task(status: str, *, enqueued_ago: float = 0, run_after: dt.datetime | None = None) -> None:
    from django_tasks_db.models import DBTaskResult, get_date_max

    task = DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="kechuang.transfer.tasks.compute_vectors",
        backend_name="default",
        run_after=run_after or get_date_max(),
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(seconds=enqueued_ago)
    )


@pytest.mark.slow
def test_task_queue_depth_oldest_wait_and_workers(client):
    now = timezone.now()
    _task("READY", enqueued_ago=400)
    _task("READY", enqueued_ago=5)
    _task("READY", run_after=now + dt.timedelta(minutes=10))  # a retry waiting for its time
    _task("READY", enqueued_ago=3600, run_after=now - dt.timedelta(seconds=90))  # due 90 s ago
    _task("RUNNING")
    _task("FAILED")
    _task("SUCCESSFUL")
    _task("SUCCESSFUL")
    WorkerProcess.objects.create(worker_id="w1", host="h", pid=1, started_at=now, seen_at=now)
    WorkerProcess.objects.create(
        worker_id="w2", host="h", pid=2, started_at=now, seen_at=now - dt.timedelta(minutes=10)
    )
    text = scrape(client)
    assert value(text, "kechuang_tasks", state="ready") == 3
    assert value(text, "kechuang_tasks", state="scheduled") == 1
    assert value(text, "kechuang_tasks", state="running") == 1
    assert value(text, "kechuang_tasks", state="failed") == 1
    assert value(text, "kechuang_tasks", state="successful") == 2
    assert 400 <= value(text, "kechuang_tasks_oldest_waiting_seconds") < 460
    assert value(text, "kechuang_task_workers_alive") == 1


@pytest.mark.slow
def test_scheduler_lag_last_success_and_schedulers_alive(client):
    now = timezone.now()
    Scheduler().ensure_states(now)
    JobState.objects.filter(name="sla-tick").update(
        due_at=now - dt.timedelta(seconds=600),
        next_run_at=now + dt.timedelta(seconds=30),  # retried soon, but the due time is still unserved
        failures=4,
        last_success_at=now - dt.timedelta(seconds=660),
    )
    JobState.objects.filter(name="ledger-expire-holds").update(
        due_at=now + dt.timedelta(minutes=3), next_run_at=now + dt.timedelta(minutes=3)
    )
    SchedulerProcess.objects.create(owner="a", host="h", pid=1, started_at=now, seen_at=now)
    text = scrape(client)
    assert 600 <= value(text, "kechuang_scheduler_job_lag_seconds", job="sla-tick") < 660
    assert value(text, "kechuang_scheduler_job_lag_seconds", job="ledger-expire-holds") == 0
    assert value(text, "kechuang_scheduler_job_interval_seconds", job="sla-tick") == 60
    assert value(text, "kechuang_scheduler_job_failures", job="sla-tick") == 4
    success = value(text, "kechuang_scheduler_job_last_success_timestamp_seconds", job="sla-tick")
    assert abs(success - (now - dt.timedelta(seconds=660)).timestamp()) < 1
    assert value(text, "kechuang_scheduler_job_last_success_timestamp_seconds", job="cleanup") == 0  # never
    assert value(text, "kechuang_schedulers_alive") == 1
    assert label_values(text, "kechuang_scheduler_job_lag_seconds", "job") == set(
        JobState.objects.values_list("name", flat=True)
    )


@pytest.mark.slow
def test_a_module_source_that_fails_is_flagged_and_the_rest_still_answers(client, monkeypatch):
    monkeypatch.setattr(metrics, "_sources", dict(metrics._sources))

    def broken() -> list[Reading]:
        raise RuntimeError("password=hunter2 at db.internal")

    register_metric_source("broken", broken)
    register_metric_source(
        "fine",
        lambda: [Reading("kechuang_test_figure", "A figure.", [({"kind": "a"}, 2), ({"kind": "b"}, 3)])],
    )
    text = scrape(client)
    assert value(text, "kechuang_metrics_part_failed", part="broken") == 1
    assert value(text, "kechuang_metrics_part_failed", part="fine") == 0
    assert value(text, "kechuang_metrics_part_failed", part="tasks") == 0
    assert value(text, "kechuang_test_figure", kind="b") == 3
    assert "hunter2" not in text and "db.internal" not in text


def test_a_scrape_costs_the_same_few_queries_however_much_data(client, django_assert_num_queries):
    now = timezone.now()
    Scheduler().ensure_states(now)
    for i in range(30):
        _task("READY", enqueued_ago=i)
        WorkerProcess.objects.create(worker_id=f"w{i}", host="h", pid=i, started_at=now, seen_at=now)
    # migrations, tasks, workers, job states, schedulers, and each module's sources (the service desk's one)
    with django_assert_num_queries(5 + len(metrics.metric_sources())):
        scrape(client)
