"""The IP asset edit page in a browser (docs/adr/0028-intellectual-property.md): the holder's technology
transfer office opens it from the asset page, types a number with a wrong check digit and sees the Chinese
error on the number field; nothing is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.ip import services
from kechuang.ip.models import IpAsset
from kechuang.ip.numbers import check_character
from kechuang.testing.factories import InstituteFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_wrong_check_digit_shows_on_the_number_field(page, shot, login, browser_problems):
    browser_problems.allow(r"status of 400 .*/ip/assets/[^/]+/edit/")  # the refused form answers 400
    institute = InstituteFactory(name="中国科学院上海微系统与信息技术研究所", short_name="上海微系统所")
    user_with_role(Role.INSTITUTE, institute, username="tto")
    body = "201710000301"
    asset = services.asset_create(
        actor=None, kind="invention", number=f"{body}.{check_character(body)}", holder=institute,
        title="一种硅基MEMS压力传感器及其制备方法", filed_on=dt.date(2017, 3, 15),
        published_on=dt.date(2018, 9, 1), granted_on=dt.date(2020, 6, 2), legal_status="granted",
        ipc_codes=["G01L 9/00"], inventor_names="王伟；李娜",
    )  # fmt: skip
    wrong = f"{body}.{(int(check_character(body).replace('X', '9')) + 1) % 10}"
    login(page, "tto", next_path=f"/ip/assets/{asset.number}/")
    page.get_by_test_id("asset-edit-link").click()
    page.fill("input[name=number]", wrong)
    page.fill("input[name=title]", "不应保存的名称")
    page.get_by_test_id("asset-save").click()
    expect(page.get_by_test_id("error-number")).to_contain_text("校验位应为")
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    shot("number-error")
    assert IpAsset.objects.get(pk=asset.pk).title == "一种硅基MEMS压力传感器及其制备方法"
