"""docs/reliability.md K4 for the instrument import: bad rows are reported with sheet, row, column, value
and a Chinese message and nothing is written; the fixed file imports with its rate card; importing it
again creates nothing; a changed price updates only that line; only operators import."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from kechuang.instruments import importing
from kechuang.instruments.models import Instrument, Rate

pytestmark = pytest.mark.django_db

HEADER = [
    "所属单位",
    "仪器名称",
    "分类",
    "型号",
    "原值（元）",
    "服务方式",
    "预约审批规则",
    "街区企业机时价（元/小时）",
    "外部样品价（元/样品）",
]


def rows(owner):
    return [
        [
            owner.name,
            f"扫描电镜{n}",
            "电子光学仪器" if n % 2 else "0102",
            "SU8220",
            "6200000",
            "自主上机与委托测试",
            "需管理方审批",
            "450",
            "600",
        ]
        for n in range(20)
    ]


def workbook(data_rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "共享仪器"
    for row in [HEADER, *data_rows]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def commit(operator, data: bytes):
    upload = importing.store_upload(
        actor=operator, filename="仪器.xlsx", data=data, info=importing.inspect_upload("仪器.xlsx", data)
    )
    importing.save_result(upload, importing.ImportResult())
    return importing.import_commit(actor=operator, upload=upload)


def test_bad_rows_are_reported_exactly_and_nothing_is_written(owner_org):
    data_rows = rows(owner_org)
    data_rows[3][0] = "不存在的研究所"
    data_rows[5][2] = "烹饪设备"
    data_rows[7][7] = "四百五"
    data_rows[9][5] = "随便"
    data_rows[11][1] = "扫描电镜1"  # the same name twice in one owner
    data = workbook(data_rows)
    result = importing.dry_run(data, importing.inspect_upload("仪器.xlsx", data))
    found = {(p.row, p.column): p.message for p in result.problems}
    assert set(found) == {
        (5, "所属单位"),
        (7, "分类"),
        (9, "街区企业机时价（元/小时）"),
        (11, "服务方式"),
        (13, "仪器名称"),
    }
    assert "找不到所属单位“不存在的研究所”" in found[(5, "所属单位")]
    assert "与第 3 行重复" in found[(13, "仪器名称")]
    assert all(p.sheet == "共享仪器" for p in result.problems)
    assert not Instrument.objects.exists()


def test_the_file_imports_with_its_rate_card_and_a_second_import_creates_nothing(owner_org, operator):
    data_rows = rows(owner_org)
    assert commit(operator, workbook(data_rows)).committed
    assert Instrument.objects.count() == 20
    sem = Instrument.objects.get(name="扫描电镜1")
    assert sem.category.name == "电子光学仪器" and sem.original_value_fen == 620_000_000
    assert {(r.user_class, r.unit, r.price_fen) for r in sem.rates.all()} == {
        ("district", "hour", 45_000),
        ("outside", "sample", 60_000),
    }
    again = commit(operator, workbook(data_rows))
    assert again.committed and again.result.totals["unchanged"] == 20
    assert Instrument.objects.count() == 20
    data_rows[1][7] = "480"
    commit(operator, workbook(data_rows))
    assert Rate.objects.get(instrument=sem, user_class="district", unit="hour").price_fen == 48_000
    assert Rate.objects.filter(price_fen=48_000).count() == 1


def test_only_operators_import(client, owner_user, operator):
    client.force_login(owner_user)
    assert client.get(reverse("instruments:import-start")).status_code == 403
    client.force_login(operator)
    assert client.get(reverse("instruments:import-start")).status_code == 200
    assert client.get(reverse("instruments:import-template")).status_code == 200
