"""Imports as background tasks (issue 14 item 10, docs/adr/0027): the upload answers at once, the check
and the commit run in the task worker, the review page shows their progress (polled with htmx) and
then the result, or the task's failure in Chinese with nothing written."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from kechuang.accounts.choices import Role
from kechuang.core import progress as background
from kechuang.core.importing import tasks
from kechuang.directory.models import Block, Building
from kechuang.spaces import importing as unit_import
from kechuang.spaces.models import SpaceUnit
from kechuang.testing.factories import user_with_role

HEADER = ["楼宇编码", "单元号", "楼层", "面积（㎡）", "类型", "租金（元/㎡·天）"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def building(db):
    block = Block.objects.create(code="judong", name="菊东", sort_order=1)
    return Building.objects.create(code="hub", name="菊东数字经济产业楼", block=block)


def units_workbook(count: int, *, bad: int | None = None) -> bytes:
    book = Workbook()
    book.active.title = "房源"
    book.active.append(HEADER)
    for index in range(count):
        area: Any = "很大" if index == bad else 100 + index
        book.active.append(["hub", f"{1000 + index}", 3, area, "办公", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes):
    return client.post(reverse("spaces:import-start"), {"file": SimpleUploadedFile("房源.xlsx", data)})


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def review(token: str) -> str:
    return reverse("spaces:import-review", args=[token])


@pytest.fixture
def held(monkeypatch):
    """Tasks enqueued but not run (no worker yet): returns the list of what was enqueued."""
    queued: list[tuple[str, dict[str, Any]]] = []

    class Held:
        def __init__(self, name: str) -> None:
            self.name = name

        def enqueue(self, **kwargs: Any) -> None:
            queued.append((self.name, kwargs))

    monkeypatch.setattr(tasks, "check_import", Held("check"))
    monkeypatch.setattr(tasks, "commit_import", Held("commit"))
    return queued


def run(queued: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """What the worker would do with the held tasks, in order."""
    outcomes = []
    for name, kwargs in queued:
        runner = tasks.run_check if name == "check" else tasks.run_commit
        outcomes.append(runner(tasks.load_spec(kwargs["spec"]), kwargs["token"], kwargs["owner_id"]))
    queued.clear()
    return outcomes


@pytest.mark.django_db
def test_the_upload_answers_at_once_then_progress_is_polled_until_the_result_page(
    client, operator, building, held
):
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(30)))
    assert [name for name, _kwargs in held] == ["check"]
    assert held[0][1]["spec"] == "kechuang.spaces.importing.UnitImport"

    page = client.get(review(token))  # the worker has not started: a progress page, polled by htmx
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="task-progress"' in html and 'data-state="queued"' in html
    assert f'hx-get="{review(token)}"' in html and 'hx-trigger="every 1s"' in html
    assert 'http-equiv="refresh"' in html  # without JavaScript the page reloads itself
    assert "排队中" in html and 'data-testid="import-summary"' not in html

    poll = client.get(review(token), headers={"HX-Request": "true"})  # the poll gets the bar alone
    assert poll.status_code == 200 and "<html" not in poll.content.decode()
    assert 'id="kc-progress"' in poll.content.decode()

    assert run(held) == ["checked"]
    poll = client.get(review(token), headers={"HX-Request": "true"})
    assert poll.status_code == 200 and poll["HX-Refresh"] == "true"  # the end: reload the whole page
    html = client.get(review(token)).content.decode()
    assert 'data-testid="import-summary"' in html and 'data-testid="import-commit"' in html
    assert 'data-testid="import-total-create">30<' in html
    assert SpaceUnit.objects.count() == 0  # the check writes nothing

    assert client.post(review(token)).status_code == 302
    assert [name for name, _kwargs in held] == ["commit"]
    assert client.post(review(token)).status_code == 302  # a second click while it works
    assert [name for name, _kwargs in held] == ["commit"]  # … starts nothing more
    html = client.get(review(token)).content.decode()
    assert 'data-testid="task-progress"' in html and "正在导入" in html and "全部成功或全部不写入" in html
    assert run(held) == ["committed"]
    html = client.get(review(token)).content.decode()
    assert 'data-testid="import-done"' in html and 'data-testid="import-done-created">30<' in html
    assert SpaceUnit.objects.count() == 30


@pytest.mark.django_db
def test_progress_is_reported_phase_by_phase_with_rows_done_of_the_total(
    client, operator, building, held, monkeypatch, settings
):
    settings.BACKGROUND_PROGRESS_SECONDS = 0  # record every step
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(650)))
    seen: list[tuple[str, str, int, int]] = []
    save = background.Progress.save

    def record(self: background.Progress) -> None:
        seen.append((self.state, self.phase, self.done, self.total))
        save(self)

    monkeypatch.setattr(background.Progress, "save", record)
    assert run(held) == ["checked"]
    phases = [phase for _state, phase, _done, _total in seen]
    assert phases[0] == "读取文件" and "逐行检查" in phases and "与平台已有记录比对" in phases
    rows = [(done, total) for _state, phase, done, total in seen if phase == "逐行检查"]
    assert rows[0] == (0, 650)
    assert [done for done, _total in rows[1:]] == [200, 400, 600]  # every 200 rows, rising
    assert seen[-1] == ("done", "已完成", 650, 650)
    job = background.load(token)
    assert job is not None and job.state == background.DONE and job.percent == 100

    seen.clear()
    client.post(review(token))
    assert run(held) == ["committed"]
    phases = [phase for _state, phase, _done, _total in seen]
    assert "写入数据（全部成功或全部不写入）" in phases and seen[-1][0] == "done"
    assert SpaceUnit.objects.count() == 650


@pytest.mark.django_db
def test_a_commit_that_fails_in_the_worker_writes_nothing_and_says_so_in_chinese(
    client, operator, building, held, monkeypatch
):
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(40)))
    run(held)
    original = unit_import.UnitImport.write

    def write_then_fail(self, plan, actor):
        original(self, plan, actor)  # every row written inside the transaction …
        raise DatabaseError("disk full")  # … then the database fails: all of it must go

    monkeypatch.setattr(unit_import.UnitImport, "write", write_then_fail)
    client.post(review(token))
    assert run(held) == ["failed"]
    assert SpaceUnit.objects.count() == 0
    page = client.get(review(token))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="task-failed"' in html and "导入失败，没有写入任何数据" in html
    assert 'data-testid="import-commit"' in html  # the person may try again
    assert 'data-testid="import-done"' not in html

    monkeypatch.setattr(unit_import.UnitImport, "write", original)
    client.post(review(token))
    assert run(held) == ["committed"]
    assert 'data-testid="import-done"' in client.get(review(token)).content.decode()
    assert SpaceUnit.objects.count() == 40


@pytest.mark.django_db
def test_an_unexpected_error_in_the_check_is_a_clear_failure_page(
    client, operator, building, held, monkeypatch
):
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(5)))

    def broken(self, plan):
        raise RuntimeError("bug")

    monkeypatch.setattr(unit_import.UnitImport, "plan_rows", broken)
    assert run(held) == ["failed"]
    page = client.get(review(token))
    html = page.content.decode()
    assert 'data-testid="task-failed"' in html and "预检时出现意外错误" in html and "bug" not in html
    assert "重新上传" in html


@pytest.mark.django_db
def test_a_commit_with_problems_is_refused_at_once_without_a_task(client, operator, building, held):
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(10, bad=3)))
    run(held)
    response = client.post(review(token))
    assert response.status_code == 409 and "预检发现了问题" in response.content.decode()
    assert held == [] and SpaceUnit.objects.count() == 0


@pytest.mark.django_db
def test_a_queued_task_with_no_worker_alive_says_so(client, operator, building, held, settings):
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(5)))
    assert 'data-testid="task-no-worker"' not in client.get(review(token)).content.decode()
    job = background.load(token)
    assert job is not None
    job.queued_at = (timezone.now() - dt.timedelta(minutes=2)).isoformat()
    job.save()
    html = client.get(review(token)).content.decode()
    assert 'data-testid="task-no-worker"' in html and "kechuang worker" in html


@pytest.mark.django_db
def test_nobody_else_sees_the_progress_of_an_import(client, operator, building, held, district_office):
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(5)))
    client.force_login(user_with_role(Role.OPERATOR, district_office, username="op2"))  # another operator
    assert client.get(review(token)).status_code == 404
    assert client.get(review(token), headers={"HX-Request": "true"}).status_code == 404


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_database_task_backend_and_db_worker_run_the_check_and_the_commit(
    client, operator, building, settings
):
    """The real path: tasks stored in the database, run by ``db_worker`` (what ``kechuang worker`` wraps)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(operator)
    token = token_of(upload(client, units_workbook(25)))
    assert 'data-state="queued"' in client.get(review(token)).content.decode()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert 'data-testid="import-commit"' in client.get(review(token)).content.decode()
    client.post(review(token))
    assert SpaceUnit.objects.count() == 0  # queued, not yet written
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert 'data-testid="import-done"' in client.get(review(token)).content.decode()
    assert SpaceUnit.objects.count() == 25
