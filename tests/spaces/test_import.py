"""docs/reliability.md K4 for the unit import: 10 bad rows among 1000 are reported exactly (sheet, row, column,
value, Chinese message) and nothing is committed; the fixed file imports all-or-nothing; importing it
again creates nothing; a re-import with a changed rent updates only that unit."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from kechuang.core.models import AuditEvent
from kechuang.spaces import importing
from kechuang.spaces.models import SpaceUnit

pytestmark = pytest.mark.django_db

HEADER = [
    "楼宇编码",
    "单元号",
    "楼层",
    "面积（㎡）",
    "类型",
    "租金（元/㎡·天）",
    "承重（kN/㎡）",
    "供电（kW）",
    "说明",
]


def good_row(n: int) -> list:
    building = "btit-fab" if n % 2 else "judong-hub"
    return [
        building,
        f"U{n:04d}",
        1 + n % 9,
        100 + n,
        "洁净室" if n % 2 else "办公",
        "2.80",
        "8",
        100,
        f"第{n}号",
    ]


def workbook(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "房源"
    for row in [HEADER, *rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


BAD = {  # row index (0-based among data rows) → (column, bad value, message fragment)
    10: ("楼宇编码", "no-such-bldg", "找不到楼宇“no-such-bldg”"),
    50: ("面积（㎡）", "-5", "面积应大于 0"),
    120: ("面积（㎡）", "两百", "不是有效的面积"),
    200: ("类型", "仓库", "不是可选的房源类型"),
    333: ("租金（元/㎡·天）", "2.805", "租金最多保留 2 位小数"),
    400: ("楼层", "三楼", "不是有效的楼层"),
    555: ("单元号", None, "单元号必须填写"),
    700: ("供电（kW）", "12.5", "供电容量最多保留 0 位小数"),
    808: ("承重（kN/㎡）", "abc", "不是有效的承重"),
    900: ("单元号", "U0001", "与第 3 行重复"),  # row 3 in Excel holds U0001 of btit-fab
}


def thousand_rows(with_errors: bool) -> list[list]:
    rows = [good_row(n) for n in range(1000)]
    # full-width digits and a number typed as a float are fine
    rows[5][3] = "１２３．５"
    rows[6][5] = 3.5
    if with_errors:
        for index, (column, value, _message) in BAD.items():
            rows[index][HEADER.index(column)] = value
        rows[900][0] = "btit-fab"
    return rows


def dry_run(data: bytes, name: str = "房源.xlsx"):
    return importing.dry_run(data, importing.inspect_upload(name, data))


def test_ten_bad_rows_among_a_thousand_are_reported_exactly_and_nothing_is_written(geo):
    result = dry_run(workbook(thousand_rows(with_errors=True)))
    reported = {(p.row, p.column): p for p in result.problems}
    assert result.problem_count == 10
    expected_rows = {(index + 2, column) for index, (column, _v, _m) in BAD.items()}
    assert set(reported) == expected_rows
    for index, (column, value, message) in BAD.items():
        problem = reported[(index + 2, column)]
        assert problem.sheet == "房源"
        assert message in problem.message, (problem, message)
        assert problem.value == ("" if value is None else str(value))
    assert result.totals["error_rows"] == 10 and result.totals["create"] == 990
    assert SpaceUnit.objects.count() == 0
    report = load_workbook(io.BytesIO(importing.error_report_workbook(result)))
    assert report.active.max_row == 11


@pytest.mark.slow
def test_import_through_the_pages_commits_all_then_a_second_import_creates_nothing(client, operator, geo):
    client.force_login(operator)
    data = workbook(thousand_rows(with_errors=False))
    response = client.post(reverse("spaces:import-start"), {"file": _upload("房源.xlsx", data)})
    assert response.status_code == 302
    review = response["Location"]
    assert client.post(review).status_code == 302
    assert SpaceUnit.objects.count() == 1000
    unit = SpaceUnit.objects.get(code="btit-fab-U0005")
    assert str(unit.area_m2) == "123.50" and unit.rent_fen_per_m2_day == 280
    assert SpaceUnit.objects.get(code="judong-hub-U0006").rent_fen_per_m2_day == 350
    assert AuditEvent.objects.filter(action="spaces.import").count() == 1
    assert "导入已完成" in client.get(review).content.decode()
    # committing the same upload twice writes nothing more
    client.post(review)
    assert AuditEvent.objects.filter(action="spaces.import").count() == 1

    again = client.post(reverse("spaces:import-start"), {"file": _upload("房源.xlsx", data)})
    result = importing.load_result(
        importing.load_upload(again["Location"].rstrip("/").rsplit("/", 1)[-1], actor=operator)
    )
    assert (result.totals["create"], result.totals["update"], result.totals["unchanged"]) == (0, 0, 1000)
    client.post(again["Location"])
    assert SpaceUnit.objects.count() == 1000


def test_a_changed_rent_updates_only_that_unit_and_blank_optional_cells_keep_values(operator, geo):
    rows = [good_row(n) for n in range(3)]
    data = workbook(rows)
    upload = importing.store_upload(
        actor=operator, filename="a.xlsx", data=data, info=importing.inspect_upload("a.xlsx", data)
    )
    importing.save_result(upload, importing.ImportResult())
    assert importing.import_commit(actor=operator, upload=upload).committed
    rows[1][5] = "3.10"
    rows[2][7] = None  # blank power: kept
    data = workbook(rows)
    result = dry_run(data)
    assert (result.totals["update"], result.totals["unchanged"]) == (1, 2)
    upload = importing.store_upload(
        actor=operator, filename="b.xlsx", data=data, info=importing.inspect_upload("b.xlsx", data)
    )
    importing.import_commit(actor=operator, upload=upload)
    assert SpaceUnit.objects.get(code="btit-fab-U0001").rent_fen_per_m2_day == 310
    assert SpaceUnit.objects.get(code="judong-hub-U0002").power_kw == 100


def test_a_row_failing_at_commit_writes_nothing(operator, geo):
    rows = [good_row(n) for n in range(3)]
    data = workbook(rows)
    upload = importing.store_upload(
        actor=operator, filename="c.xlsx", data=data, info=importing.inspect_upload("c.xlsx", data)
    )
    geo["hub"].code = "renamed"
    geo["hub"].save()  # the file now names a building that is gone
    outcome = importing.import_commit(actor=operator, upload=upload)
    assert not outcome.committed and outcome.result.problem_count == 2  # rows 2 and 4 name judong-hub
    assert SpaceUnit.objects.count() == 0


def test_missing_columns_and_csv_input(geo):
    data = "楼宇编码,单元号\nbtit-fab,1\n".encode()
    result = dry_run(data, "u.csv")
    assert result.problems[0].message.startswith("缺少必填列：楼层、面积（㎡）、类型、租金（元/㎡·天）")
    csv = ("楼宇编码,单元号,楼层,面积,类型,租金\n生物半导体洁净厂房,A1,B1,300平方米,无尘室,4.5元\n").encode(
        "gb18030"
    )
    result = dry_run(csv, "u.csv")
    assert result.problem_count == 0 and result.totals["create"] == 1


def test_another_operators_upload_is_not_found(client, operator, geo, django_user_model):
    from kechuang.testing.factories import user_with_role

    data = workbook([good_row(1)])
    upload = importing.store_upload(
        actor=operator, filename="x.xlsx", data=data, info=importing.inspect_upload("x.xlsx", data)
    )
    importing.save_result(upload, importing.ImportResult())
    other = user_with_role("operator", None, username="op2")
    client.force_login(other)
    assert client.get(reverse("spaces:import-review", args=[upload.token])).status_code == 404
    assert client.post(reverse("spaces:import-review", args=[upload.token])).status_code == 404
    assert SpaceUnit.objects.count() == 0


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
