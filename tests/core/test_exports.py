"""Exports of large tables as background tasks (issue 14 item 10, docs/adr/0027): the export link starts
a task and opens the export's page, which shows the progress (polled with htmx) and then the download,
for the person who asked alone; a failed task says so in Chinese."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from kechuang.core import exporting
from kechuang.core import progress as background
from kechuang.core.models import AuditEvent
from kechuang.transfer import exports as transfer_exports
from kechuang.transfer.factories import make_achievement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def held(monkeypatch):
    queued: list[dict[str, Any]] = []

    class Held:
        def enqueue(self, **kwargs: Any) -> None:
            queued.append(kwargs)

    monkeypatch.setattr(exporting, "run_export", Held())
    return queued


def run(queued: list[dict[str, Any]]) -> list[str]:
    outcomes = [exporting.run(**kwargs) for kwargs in queued]
    queued.clear()
    return outcomes


def test_the_export_link_starts_a_task_whose_page_polls_then_offers_the_file(
    client, enterprise_user, institute_org, held
):
    for index in range(3):
        make_achievement(institute_org, title=f"激光焊接成果 {index}")
    make_achievement(institute_org, title="=HYPERLINK(1)")
    client.force_login(enterprise_user)
    started = client.get(reverse("transfer:achievement-export"), {"q": ""})
    assert started.status_code == 302
    page_url = started["Location"]
    token = page_url.rstrip("/").rsplit("/", 1)[-1]
    assert page_url == reverse("core:export", args=[token])
    assert held and held[0]["path"] == "kechuang.transfer.exports.achievements_csv"

    html = client.get(page_url).content.decode()
    assert 'data-testid="task-progress"' in html and f'hx-get="{page_url}"' in html and "排队中" in html
    assert "科技成果列表（CSV）" in html
    assert client.get(page_url + "download/").status_code == 404  # nothing to download yet
    poll = client.get(page_url, headers={"HX-Request": "true"})
    assert "<html" not in poll.content.decode() and 'id="kc-progress"' in poll.content.decode()

    assert run(held) == ["done"]
    assert client.get(page_url, headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    html = client.get(page_url).content.decode()
    assert 'data-testid="export-done"' in html and 'data-testid="export-download"' in html and "4 行" in html
    download = client.get(page_url + "download/")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and len(rows) == 5
    assert "'=HYPERLINK(1)" in {row[1] for row in rows}  # formula-safe
    assert AuditEvent.objects.filter(action="achievement.export", actor_id=enterprise_user.pk).count() == 1


def test_progress_is_reported_as_rows_are_written(
    client, operator, institute_org, held, monkeypatch, settings
):
    settings.BACKGROUND_PROGRESS_SECONDS = 0
    monkeypatch.setattr(transfer_exports, "STEP", 2)
    for index in range(5):
        make_achievement(institute_org, title=f"激光成果 {index}")
    client.force_login(operator)
    assert client.get(reverse("transfer:achievement-export")).status_code == 302
    seen: list[tuple[str, str, int, int]] = []
    save = background.Progress.save

    def record(self: background.Progress) -> None:
        seen.append((self.state, self.phase, self.done, self.total))
        save(self)

    monkeypatch.setattr(background.Progress, "save", record)
    run(held)
    writing = [(done, total) for _state, phase, done, total in seen if phase == "写入文件"]
    assert writing == [(0, 5), (2, 5), (4, 5)]
    assert seen[-1] == ("done", "已完成", 5, 5)


def test_only_the_person_who_asked_sees_the_export_and_its_file(
    client, enterprise_user, institute_user, institute_org, held
):
    make_achievement(institute_org, title="激光焊接成果")
    client.force_login(enterprise_user)
    page_url = client.get(reverse("transfer:demand-export"))["Location"]
    run(held)
    assert client.get(page_url + "download/").status_code == 200
    client.force_login(institute_user)
    assert client.get(page_url).status_code == 404
    assert client.get(page_url + "download/").status_code == 404
    client.logout()
    assert client.get(page_url + "download/").status_code == 302  # to the login page


def test_a_failed_export_says_so_in_chinese_and_offers_no_file(client, operator, held, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database gone")

    monkeypatch.setattr(transfer_exports, "_listings", broken)
    client.force_login(operator)
    page_url = client.get(reverse("transfer:achievement-export"), HTTP_REFERER="http://testserver/transfer/")[
        "Location"
    ]
    assert run(held) == ["failed"]
    html = client.get(page_url).content.decode()
    assert (
        'data-testid="task-failed"' in html
        and "导出失败，没有生成文件" in html
        and "database gone" not in html
    )
    assert 'href="http://testserver/transfer/"' in html  # back where the person came from
    assert client.get(page_url + "download/").status_code == 404


def test_an_undeclared_function_is_never_run(operator, held):
    token = "x" * 32
    background.start(token, owner_id=operator.pk, work=exporting.WORK, scope=exporting.WORK)
    assert exporting.run("os.system", token, operator.pk, {}) == "failed"
    job = background.load(token)
    assert job is not None and job.state == background.FAILED


def test_the_daily_clean_up_deletes_old_export_files_and_progress_records(client, operator, held, settings):
    import os
    import time

    from kechuang.core.housekeeping import prune_import_export_files

    client.force_login(operator)
    page_url = client.get(reverse("transfer:achievement-export"))["Location"]
    run(held)
    files = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert {path.parent.name for path in files} == {"exports", "jobs"}
    assert prune_import_export_files() == 0  # fresh files stay
    old = time.time() - 8 * 86400
    for path in files:
        os.utime(path, (old, old))
    assert prune_import_export_files() == 2
    assert client.get(page_url).status_code == 404
