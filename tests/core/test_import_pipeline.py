"""The kernel's import pipeline and pages, seen through both specs (docs/reliability.md K4, B2; docs/adr/0003):
stored uploads tied to their uploader, their spec and a retention period; the same pages and rules for
the directory and the unit import."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from kechuang.core.importing import stored
from kechuang.directory import importing as directory_import
from kechuang.directory.models import Block, Building
from kechuang.spaces import importing as unit_import
from kechuang.spaces.models import SpaceUnit

pytestmark = pytest.mark.django_db

HEADER = ["楼宇编码", "单元号", "楼层", "面积（㎡）", "类型", "租金（元/㎡·天）"]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def building(db):
    block = Block.objects.create(code="judong", name="菊东", sort_order=1)
    return Building.objects.create(code="hub", name="菊东数字经济产业楼", block=block)


def units_workbook(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    book.active.title = "房源"
    for row in [header, *rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, url_name: str, data: bytes, name: str = "房源.xlsx"):
    return client.post(reverse(url_name), {"file": SimpleUploadedFile(name, data)})


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


# ------------------------------------------------------------------------------------------------
# Stored uploads
# ------------------------------------------------------------------------------------------------


def test_an_upload_belongs_to_its_spec_a_unit_upload_is_not_a_directory_import(client, operator, building):
    client.force_login(operator)
    token = token_of(
        upload(client, "spaces:import-start", units_workbook([["hub", "101", 3, 100, "办公", 2]]))
    )
    assert unit_import.load_upload(token, actor=operator) is not None
    assert directory_import.load_upload(token, actor=operator) is None
    assert client.get(reverse("directory:import-review", args=[token])).status_code == 404
    assert client.post(reverse("directory:import-review", args=[token])).status_code == 404
    assert client.get(reverse("directory:import-errors", args=[token])).status_code == 404
    assert SpaceUnit.objects.count() == 0


def test_an_expired_upload_cannot_be_reviewed_or_committed_and_is_pruned(
    client, operator, building, settings
):
    client.force_login(operator)
    token = token_of(
        upload(client, "spaces:import-start", units_workbook([["hub", "101", 3, 100, "办公", 2]]))
    )
    meta = settings.MEDIA_ROOT / stored.import_name(f"{token}.json")  # the local storage of the tests
    data = json.loads(meta.read_text(encoding="utf-8"))
    data["uploaded_at"] = (timezone.now() - dt.timedelta(days=8)).isoformat()
    meta.write_text(json.dumps(data), encoding="utf-8")
    review = reverse("spaces:import-review", args=[token])
    assert client.get(review).status_code == 404
    assert client.post(review).status_code == 404
    assert SpaceUnit.objects.count() == 0
    settings.IMPORT_RETENTION_DAYS = 30
    assert client.get(review).status_code == 200
    assert stored.prune_uploads(max_age_days=0) >= 3  # the file, who sent it, the dry run's result
    assert client.get(review).status_code == 404


# ------------------------------------------------------------------------------------------------
# The same rules for every spec
# ------------------------------------------------------------------------------------------------


def test_unit_import_reports_duplicate_columns_and_notices_unknown_ones(building):
    data = units_workbook(
        [["hub", "101", 3, 100, "办公", 2, "x", "甲"]], header=[*HEADER, "备注栏", "单元号"]
    )
    result = unit_import.dry_run(data, unit_import.inspect_upload("房源.xlsx", data))
    assert [(p.row, p.column) for p in result.problems] == [(1, "单元号")]
    assert "重复的列" in result.problems[0].message
    assert any("备注栏" in notice for notice in result.notices)


def test_unit_import_rows_are_keyed_so_a_second_import_creates_nothing(operator, building):
    rows = [["hub", f"{n:03d}", 3, 100 + n, "办公", "2.5"] for n in range(1, 21)]
    data = units_workbook(rows)
    info = unit_import.inspect_upload("房源.xlsx", data)
    first = unit_import.import_commit(
        actor=operator,
        upload=unit_import.store_upload(actor=operator, filename="a.xlsx", data=data, info=info),
    )
    assert first.committed and first.result.totals["create"] == 20
    again = unit_import.import_commit(
        actor=operator,
        upload=unit_import.store_upload(actor=operator, filename="b.xlsx", data=data, info=info),
    )
    assert again.committed and again.result.totals == {
        "rows": 20,
        "create": 0,
        "update": 0,
        "unchanged": 20,
        "error_rows": 0,
    }
    assert SpaceUnit.objects.count() == 20
    assert SpaceUnit.objects.get(code="hub-001").rent_fen_per_m2_day == 250


def test_commit_audit_event_has_the_same_shape_for_both_specs(operator, building):
    data = units_workbook([["hub", "101", 3, 100, "办公", 2]])
    info = unit_import.inspect_upload("房源.xlsx", data)
    outcome = unit_import.import_commit(
        actor=operator,
        upload=unit_import.store_upload(actor=operator, filename="a.xlsx", data=data, info=info),
    )
    from kechuang.core.models import AuditEvent

    detail = AuditEvent.objects.get(pk=outcome.event_id).detail
    assert detail["rows"] == 1 and detail["created"] == 1 and detail["units"]["created"] == 1
    assert detail["codes"]["created"] == ["hub-101"] and len(detail["sha256"]) == 64


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


def test_unit_upload_page_has_its_template_and_no_kind_choice(client, operator):
    client.force_login(operator)
    html = client.get(reverse("spaces:import-start")).content.decode()
    assert reverse("spaces:import-template") in html and 'data-testid="import-template"' in html
    assert 'name="file"' in html and 'name="kind"' not in html
    assert "批量导入房源" in html and "楼宇编码" in html
    directory = client.get(reverse("directory:import-start")).content.decode()
    assert 'name="kind"' in directory and 'data-testid="import-template-all"' in directory


def test_unit_template_and_error_report_download(client, operator, building):
    client.force_login(operator)
    template = client.get(reverse("spaces:import-template"))
    assert template.status_code == 200 and "attachment" in template["Content-Disposition"]
    book = load_workbook(io.BytesIO(template.content))
    assert book.sheetnames == ["房源", "填写说明"]
    assert [cell.value for cell in book["房源"][1]][:6] == HEADER
    token = token_of(
        upload(client, "spaces:import-start", units_workbook([["nowhere", "101", 3, 100, "办公", "@SUM(1)"]]))
    )
    review = client.get(reverse("spaces:import-review", args=[token])).content.decode()
    assert review.count('data-testid="import-error-row"') == 2 and 'data-testid="import-commit"' not in review
    report = client.get(reverse("spaces:import-report", args=[token]))
    assert (
        "%E6%88%BF%E6%BA%90%E5%AF%BC%E5%85%A5%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A"
        in report["Content-Disposition"]
    )
    rows = list(load_workbook(io.BytesIO(report.content))["错误报告"].iter_rows(min_row=2, values_only=True))
    assert {row[2] for row in rows} == {"楼宇编码", "租金（元/㎡·天）"}
    assert "'@SUM(1)" in {row[3] for row in rows}  # neutralised, never a formula


def test_a_refused_file_is_a_400_with_the_checkers_message_and_nothing_is_kept(client, operator, settings):
    client.force_login(operator)
    response = upload(
        client, "spaces:import-start", b"<html><body>not a table</body></html>", name="房源.xlsx"
    )
    assert response.status_code == 400
    assert 'data-testid="import-upload-error"' in response.content.decode()
    assert "HTML" in response.content.decode()
    assert not (settings.MEDIA_ROOT / "imports").exists() or not list(
        (settings.MEDIA_ROOT / "imports").iterdir()
    )
