"""An operator's journey: find an enterprise, open it, bulk-import a sheet with errors, fix it, import.

Runs against the import pages' contract: upload form (file input ``name="file"``, button
``data-testid="import-submit"``), review page (table ``import-errors`` with rows ``import-error-row``,
button ``import-commit``) and the result message ``import-done``.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from kechuang.directory.models import Organization, Person
from kechuang.testing.factories import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ORG_HEADER = [
    "类型",
    "名称",
    "简称",
    "统一社会信用代码",
    "技术领域",
    "资质",
    "板块",
    "地址",
    "联系人",
    "联系电话",
]
PERSON_HEADER = ["姓名", "所在机构", "职务", "职称", "入库专家", "手机号"]


def workbook(organizations: list[list[Any]], people: list[list[Any]]) -> bytes:
    """An .xlsx with the two sheets of the import template, every cell written as text."""
    book = Workbook()
    sheet = book.active
    sheet.title = "机构"
    for row in [ORG_HEADER, *organizations]:
        sheet.append(row)
    people_sheet = book.create_sheet("人员")
    for row in [PERSON_HEADER, *people]:
        people_sheet.append(row)
    for ws in (sheet, people_sheet):
        for row in ws.iter_rows():
            for cell in row:
                cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(page: Any, name: str, data: bytes) -> None:
    page.goto("/directory/import/")
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-summary")).to_be_visible()


def test_operator_finds_an_enterprise_then_imports_a_sheet_fixes_its_errors_and_imports_it(
    page, shot, login, operator, district_data, enterprise_org
):
    new_uscc = make_uscc(seed=20261125)
    login(page, "op")

    # find the enterprise and open its page
    page.get_by_role("link", name="机构名录").first.click()
    # the live search listens once htmx has started on the new page: typing before its load event is lost
    expect(page).to_have_url(re.compile(r"/directory/organizations/"))
    page.wait_for_load_state("load")
    page.fill("#id_q", enterprise_org.name)
    expect(page.get_by_test_id("org-total")).to_contain_text("共 1 家机构")
    page.get_by_role("link", name=enterprise_org.name).click()
    expect(page.get_by_test_id("org-name")).to_have_text(enterprise_org.name)
    shot("enterprise")

    # a sheet with two bad rows: a code with a forbidden letter, and a phone number that is too short
    broken = workbook(
        organizations=[
            [
                "企业",
                "上海菊园感联物联网科技有限公司",
                "感联物联",
                new_uscc,
                "物联网传感器",
                "科技型中小企业",
                "菊中",
                "上海市嘉定区平城路 811 号",
                "赵敏",
                "13600001234",
            ],
            ["企业", "上海菊园坏码科技有限公司", "坏码", "91350100M000100Y4Z", "", "", "菊东", "", "", ""],
            [
                "企业",
                enterprise_org.name,
                "",
                enterprise_org.uscc,
                "",
                "",
                "菊中",
                "上海市嘉定区叶城路 1288 号",
                "",
                "",
            ],
        ],
        people=[
            ["赵敏", "上海菊园感联物联网科技有限公司", "总经理", "无", "否", "13600001234"],
            ["孙立", enterprise_org.name, "研发经理", "中级职称", "是", "1381234"],
        ],
    )
    page.locator("[data-testid=main-nav] [data-nav=manage] > a").click()  # the 运营管理 menu
    page.get_by_test_id("main-nav").get_by_role("link", name="批量导入").click()
    upload(page, "菊园企业名单.xlsx", broken)
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_be_visible()
    rows = errors.get_by_test_id("import-error-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="统一社会信用代码")).to_have_count(1)
    expect(rows.filter(has_text="1381234")).to_have_count(1)
    expect(rows.first).to_contain_text(re.compile("[\u4e00-\u9fff]{4,}"))
    expect(page.get_by_test_id("import-commit")).to_have_count(0)
    shot("errors")
    assert not Organization.objects.filter(name="上海菊园感联物联网科技有限公司").exists()

    # fix both rows and upload again: the dry run is clean, then commit
    fixed = workbook(
        organizations=[
            [
                "企业",
                "上海菊园感联物联网科技有限公司",
                "感联物联",
                new_uscc,
                "物联网传感器",
                "科技型中小企业",
                "菊中",
                "上海市嘉定区平城路 811 号",
                "赵敏",
                "13600001234",
            ],
            [
                "企业",
                enterprise_org.name,
                "",
                enterprise_org.uscc,
                "",
                "",
                "菊中",
                "上海市嘉定区叶城路 1288 号",
                "",
                "",
            ],
        ],
        people=[
            ["赵敏", "上海菊园感联物联网科技有限公司", "总经理", "无", "否", "13600001234"],
            ["孙立", enterprise_org.name, "研发经理", "中级职称", "是", "13812340000"],
        ],
    )
    upload(page, "菊园企业名单（已修改）.xlsx", fixed)
    expect(page.get_by_test_id("import-errors")).to_have_count(0)
    expect(page.get_by_test_id("import-total-create")).to_have_text("3")
    shot("clean-dry-run")
    page.get_by_test_id("import-commit").click()
    done = page.get_by_test_id("import-done")
    expect(done).to_be_visible()
    expect(page.get_by_test_id("import-done-created")).to_have_text("3")
    shot("done")

    created = Organization.objects.get(name="上海菊园感联物联网科技有限公司")
    assert created.uscc == new_uscc and created.block.name == "菊中"
    enterprise_org.refresh_from_db()
    assert enterprise_org.address == "上海市嘉定区叶城路 1288 号"
    assert Person.objects.filter(organization=enterprise_org, name="孙立", is_expert=True).exists()

    # the imported records are in the directory at once
    page.goto(f"/directory/organizations/{enterprise_org.pk}/")
    expect(page.get_by_test_id("org-people")).to_contain_text("孙立")
    expect(page.get_by_test_id("org-facts")).to_contain_text("叶城路 1288 号")
    shot("enterprise-after-import")

    # the same file again creates nothing new
    upload(page, "菊园企业名单（已修改）.xlsx", fixed)
    expect(page.get_by_test_id("import-total-create")).to_have_text("0")
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-done-created")).to_have_text("0")
    assert Organization.objects.filter(name="上海菊园感联物联网科技有限公司").count() == 1
    assert Person.objects.filter(name="孙立").count() == 1
