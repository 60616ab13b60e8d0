"""The IP journey (issue 19): an institute's technology transfer office imports its portfolio from the
patent office's export and flags a patent for open licence; an enterprise finds it from its demand,
with the claim that matched, and takes the licence; the operator registers the contract and the IP
figures change."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.ip import selectors
from kechuang.ip.models import IpAsset, IpTransaction
from kechuang.ip.numbers import check_character
from kechuang.testing.factories import InstituteFactory, user_with_role
from kechuang.transfer import matching
from kechuang.transfer.factories import make_demand

CLAIMS = (
    "1. 一种硅基MEMS压力传感器，其特征在于，包括硅压阻敏感膜片、温度补偿电路和数字输出接口；"
    "所述温度补偿电路对压阻信号进行数字温度补偿。\n"
    "2. 根据权利要求1所述的压力传感器，其特征在于，所述敏感膜片采用绝缘体上硅晶圆制成，适用于汽车胎压监测。"
)


def number(serial: int) -> str:
    body = f"20171{serial:07d}"
    return f"{body}.{check_character(body)}"


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = [
    "申请号",
    "申请日",
    "公开（公告）号",
    "公开（公告）日",
    "发明名称",
    "IPC分类号",
    "申请（专利权）人",
    "发明人",
    "摘要",
    "主权项",
    "法律状态",
    "授权公告日",
    "同族专利",
]


def export(holder_name: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "检索结果"
    sheet.append(HEADER)
    sheet.append([number(201), dt.date(2017, 3, 15), "CN106123456B", dt.date(2018, 9, 1), "一种硅基MEMS压力传感器及其制备方法",
                  "G01L 9/00", holder_name, "王伟；李娜", "本发明公开了一种采用硅压阻敏感结构与数字温度补偿的MEMS压力传感器。",
                  CLAIMS, "有效", dt.date(2020, 6, 2), "US10123456B2"])  # fmt: skip
    sheet.append([number(202), dt.date(2019, 5, 6), "CN110223344A", dt.date(2020, 11, 9), "一种绝缘体上硅晶圆的键合方法",
                  "H01L 21/762", holder_name, "张强", "本发明公开了一种晶圆键合方法。", "1. 一种晶圆键合方法……",
                  "实质审查", None, None])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def fresh_index(settings):
    settings.MATCH_EMBEDDER = "hashing"
    matching.reset()
    yield
    matching.reset()


def logout(page):
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()


def test_import_open_licence_find_take_up_and_register(
    page, shot, login, enterprise_user, enterprise_org, operator, fresh_index
):
    institute = InstituteFactory(name="中国科学院上海微系统与信息技术研究所", short_name="上海微系统所")
    user_with_role(Role.INSTITUTE, institute, username="tto")
    make_demand(
        enterprise_org,
        title="汽车胎压监测用压力传感器温漂大",
        summary="我们公司做汽车胎压监测模块，现在用的压力传感器温漂大、要经常标定，想找硅压阻MEMS压力传感器和温度补偿的技术。",
    )

    # --- the institute's office imports its portfolio --------------------------------------------
    login(page, "tto")
    page.goto("/ip/portfolio/")
    page.get_by_test_id("ip-import").click()
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "专利检索导出.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "buffer": export(institute.name)}],
    )  # fmt: skip
    shot("import-start")
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_test_id("import-commit")).to_be_visible()
    shot("import-review")
    page.get_by_test_id("import-commit").click()
    expect(page.get_by_test_id("import-done-created")).to_have_text("2")
    assert IpAsset.objects.count() == 2
    page.goto("/ip/portfolio/")
    expect(page.get_by_test_id("asset-row")).to_have_count(2)
    shot("portfolio")
    page.get_by_role("link", name="一种硅基MEMS压力传感器及其制备方法").click()
    expect(page.get_by_test_id("high-value-reasons")).to_contain_text("有海外同族专利")
    page.fill("#id_fee_yuan", "50000")
    page.fill("#id_term_years", "3")
    page.fill("#id_terms", "普通许可；许可期满可续期。")
    page.get_by_role("button", name="发布开放许可").click()
    expect(page.get_by_test_id("open-licences")).to_contain_text("公开中")
    shot("asset-with-open-licence")
    logout(page)

    # --- the enterprise finds it from its demand and takes the licence ----------------------------
    login(page, "ent")
    page.goto("/ip/demand-patents/")
    match = page.get_by_test_id("patent-match").first
    expect(match).to_contain_text("一种硅基MEMS压力传感器及其制备方法")
    expect(match.get_by_test_id("matched-claim")).to_contain_text("权利要求")
    shot("demand-patents")
    page.goto("/ip/licences/")
    expect(page.get_by_test_id("licence-row")).to_have_count(1)
    shot("open-licences")
    assert selectors.district_figures()["figures"].trade_fen == 0
    page.get_by_test_id("take-up").click()
    expect(page.get_by_test_id("transaction-row")).to_have_count(1)
    shot("licence-taken")
    record = IpTransaction.objects.get()
    assert record.deal is not None and record.deal.stage == "signed"
    logout(page)

    # --- the operator registers the technology contract; the figures change -----------------------
    login(page, "op")
    page.goto("/ip/transactions/")
    page.get_by_test_id("register-contract").click()
    expect(page.get_by_test_id("contract-number")).to_be_visible()
    shot("contract-registered")
    page.goto("/ip/overview/")
    expect(page.get_by_test_id("trade")).to_have_text("15 万元")
    expect(page.get_by_test_id("high-value-total")).to_have_text("1")
    shot("overview")
    record.refresh_from_db()
    assert record.contract is not None and record.deal.stage == "registered"
