"""The portfolio import (docs/adr/0028, "Import"): a real-shaped export of the patent office's search
system (Excel made with openpyxl here, and CSV) with errors gives row-level Chinese messages and writes
nothing; the fixed file imports all rows; a second import with the office's new legal status updates it
without duplicates; another institute may not import the holder's patents."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from ip_helpers import CLAIMS, number
from openpyxl import Workbook

from kechuang.core.models import AuditEvent
from kechuang.ip import importing
from kechuang.ip.models import FamilyMember, IpAsset

pytestmark = pytest.mark.django_db

HEADER = [
    "序号", "申请号", "申请日", "公开（公告）号", "公开（公告）日", "发明名称", "IPC分类号",
    "申请（专利权）人", "发明人", "摘要", "主权项", "法律状态", "授权公告日", "同族专利",
]  # fmt: skip


def rows(holder_name, status="有效"):
    return [
        [1, number(101), dt.date(2017, 3, 15), "CN106123456B", dt.date(2018, 9, 1), "一种硅基MEMS压力传感器",
         "G01L 9/00; B81B 7/02", f"{holder_name}；复旦大学", "王伟；李娜", "本发明公开了一种压力传感器。", CLAIMS,
         status, dt.date(2020, 6, 2), "US10123456B2; CN106123456A"],
        [2, number(102), "2018-04-02", "CN108223344A", "2018/10/9", "一种绝缘体上硅晶圆的键合方法",
         "H01L 21/762", holder_name, "张强", "本发明公开了一种晶圆键合方法。", "1. 一种晶圆键合方法……", "实质审查", None, None],
        [3, number(103, digit="2"), "2019年5月6日", "CN209876543U", "2020-01-03", "一种传感器封装结构",
         "H01L 23/31", holder_name, "刘洋", "", "", "有效", "2020-01-03", None],
    ]  # fmt: skip


def xlsx(data_rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "检索结果"
    sheet.append(HEADER)
    for row in data_rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(data_rows):
    def cell(value):
        return "" if value is None else str(value)

    lines = [",".join(HEADER)] + [",".join(f'"{cell(v)}"' for v in row) for row in data_rows]
    return ("\n".join(lines) + "\n").encode("gb18030")


def run(data, name="专利.xlsx"):
    return importing.dry_run(data, importing.inspect_upload(name, data))


def commit(actor, data, name="专利.xlsx"):
    upload = importing.store_upload(
        actor=actor, filename=name, data=data, info=importing.inspect_upload(name, data)
    )
    return importing.import_commit(actor=actor, upload=upload)


def test_an_export_with_errors_gives_row_level_chinese_messages_and_writes_nothing(holder, tto):
    bad = rows(holder.name)
    bad[0][1] = bad[0][1][:-1] + ("0" if not bad[0][1].endswith("0") else "1")  # wrong check digit
    bad[1][7] = "某某大学"  # no applicant in the directory
    bad[2][11] = "说不清"  # unknown legal status
    valid = list(rows(holder.name)[1])
    valid[0], valid[1] = 4, number(104)
    bad += [valid, [5, *valid[1:]]]  # the same number twice
    result = run(xlsx(bad))
    found = {(p.row, p.column): p.message for p in result.problems}
    assert "校验位应为" in found[(2, "申请号")]
    assert "不在平台机构名录中" in found[(3, "申请（专利权）人")]
    assert "无法识别法律状态" in found[(4, "法律状态")]
    assert "申请号重复" in found[(6, "申请号")] and (5, "申请号") not in found
    outcome = commit(tto, xlsx(bad))
    assert not outcome.committed and not IpAsset.objects.exists()


def test_the_fixed_export_imports_then_a_second_import_updates_the_legal_status(holder, tto):
    outcome = commit(tto, xlsx(rows(holder.name)))
    assert outcome.committed
    assert IpAsset.objects.count() == 3
    first = IpAsset.objects.get(number=number(101))
    assert (
        first.holder == holder
        and first.legal_status == "granted"
        and first.applicant_names.endswith("复旦大学")
    )
    assert list(FamilyMember.objects.filter(asset=first).values_list("number", flat=True)) == ["US10123456B2"]
    assert first.high_value_reasons == ["strategic", "foreign"]
    assert IpAsset.objects.get(number=number(103, digit="2")).kind == "utility"
    assert AuditEvent.objects.filter(action="ip.import").count() == 1
    # the office's next export: the first patent lapsed for unpaid annuities
    outcome = commit(tto, xlsx(rows(holder.name, status="未缴年费专利权终止")))
    assert outcome.committed and outcome.result.total("update") == 1 and outcome.result.total("create") == 0
    assert IpAsset.objects.count() == 3
    first.refresh_from_db()
    assert first.legal_status == "lapsed" and not first.high_value and first.annuity_due_on is None


def test_csv_in_gb18030_imports_the_same_way(holder, tto):
    outcome = commit(tto, csv_bytes(rows(holder.name)), name="export.csv")
    assert outcome.committed, [p.message for p in outcome.result.problems]
    assert IpAsset.objects.count() == 3


def test_another_institute_may_not_import_the_holders_patents(holder, tto, other_tto):
    with pytest.raises(PermissionDenied):
        commit(other_tto, xlsx(rows(holder.name)))
    assert not IpAsset.objects.exists()
