"""The web shell in a real browser: home per role, the directory, an organization, the district map.

Each test saves screenshots under test-artifacts/screenshots/; look at them before calling a page done.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Block, Organization, Park, TechnologyField
from kechuang.testing.factories import OrganizationFactory, PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def directory_data(district_data: dict[str, Any], enterprise_org: Organization) -> dict[str, Any]:
    """The profile's institutes, parks and lines, plus enterprises and people of the kind a district has."""
    judong, juzhong, juxi = (Block.objects.get(code=c) for c in ("judong", "juzhong", "juxi"))
    iot = TechnologyField.objects.get(code="DIG01")
    laser = TechnologyField.objects.get(code="ENE01")
    auto = TechnologyField.objects.get(code="DIG10")
    enterprise_org.block, enterprise_org.park = juzhong, Park.objects.get(code="iot-park")
    enterprise_org.qualifications = ["high_tech", "tech_sme"]
    enterprise_org.address = "上海市嘉定区平城路 1055 号"
    enterprise_org.description = "面向工业现场的无线传感网络与边缘网关，源自院所物联网传感器成果转化。"
    enterprise_org.save()
    enterprise_org.fields.set([iot])
    photonics = OrganizationFactory(
        name="上海菊园光擎激光科技有限公司",
        short_name="光擎激光",
        block=juzhong,
        qualifications=["specialized"],
        description="超快激光加工设备",
    )
    photonics.fields.set([laser])
    drive = OrganizationFactory(
        name="上海嘉菊智驾汽车电子有限公司",
        short_name="嘉菊智驾",
        block=juxi,
        description="线控底盘与域控制器",
    )
    drive.fields.set([auto])
    OrganizationFactory(
        name="上海菊园知识产权代理有限公司", kind=OrganizationKind.PROVIDER, uscc=None, block=judong
    )
    PersonFactory(
        name="王海峰",
        organization=enterprise_org,
        phone="13812345678",
        position="技术总监",
        is_expert=True,
        expertise="无线传感网络",
    )
    PersonFactory(name="李静", organization=enterprise_org, phone="13900001111", position="总经理")
    PersonFactory(
        name="陈光", organization=photonics, phone="13711112222", position="首席科学家", is_expert=True
    )
    return {"enterprise": enterprise_org, "photonics": photonics, "drive": drive}


def _no_horizontal_overflow(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page scrolls sideways by {overflow}px"


def test_home_page_for_anonymous_visitor_shows_district_figures_heights_and_login(page, shot, district_data):
    page.goto("/")
    expect(page.locator("[data-testid=home-hero]")).to_contain_text("菊园新区院地合作科创街区")
    figures = page.locator("[data-testid=district-figures]")
    expect(figures).to_contain_text("5300")
    expect(figures).to_contain_text("两院院士")
    expect(page.locator("[data-testid=height-card]")).to_have_count(5)
    expect(page.locator("[data-testid=five-heights]")).to_contain_text("科研成果转化高地")
    expect(page.locator("[data-testid=login-link]")).to_be_visible()
    expect(page.locator("[data-testid=main-nav]")).not_to_contain_text("人才与专家")
    expect(page.locator("[data-testid=site-footer]")).to_contain_text("菊园新区技术转移平台")
    _no_horizontal_overflow(page)
    shot("desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("[data-testid=height-card]").first).to_be_visible()
    _no_horizontal_overflow(page)
    shot("phone")


def test_home_page_for_operator_shows_workbench_with_import_and_recent_organizations(
    page, shot, login, operator, directory_data
):
    page.goto("/accounts/login/")
    expect(page.get_by_test_id("login-form")).to_be_visible()
    shot("login", full_page=False)
    login(page, "op", form=True)
    expect(page.locator("[data-testid=home-hero]")).to_have_attribute("data-role", "operator")
    expect(page.locator("[data-testid=home-role]")).to_contain_text("运营工作台")
    expect(page.locator("[data-testid=acting-organization]")).to_be_visible()
    expect(page.locator("[data-testid=main-nav]")).to_contain_text("批量导入")
    expect(page.locator("[data-testid=shortcut-import]")).to_be_visible()
    expect(page.locator("[data-testid=recent-organizations]")).to_contain_text("上海嘉菊智驾汽车电子有限公司")
    _no_horizontal_overflow(page)
    shot("home")
    page.locator("[data-testid=user-menu]").click()
    expect(page.locator(".kc-user-menu")).to_contain_text("菊园新区科创办")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    shot("user-menu", full_page=False)


def test_home_page_for_enterprise_user_shows_own_organization_and_where_to_find_help(
    page, shot, login, enterprise_user, directory_data
):
    login(page, "ent")
    expect(page.locator("[data-testid=home-role]")).to_contain_text("企业工作台")
    expect(page.locator("[data-testid=home-organization]")).to_have_text("上海菊园智感科技有限公司")
    expect(page.locator("[data-testid=my-organization-card]")).to_contain_text("高新技术企业")
    expect(page.locator("[data-testid=home-shortcuts]")).to_contain_text("科研院所")
    expect(page.locator("[data-testid=main-nav]")).not_to_contain_text("批量导入")
    expect(page.locator("[data-testid=five-heights]")).to_have_count(0)
    _no_horizontal_overflow(page)
    shot("home")
    page.locator("[data-testid=my-organization]").click()
    expect(page.locator("[data-testid=org-name]")).to_have_text("上海菊园智感科技有限公司")


def test_home_page_for_leader_shows_district_figures_and_five_heights(
    page, shot, login, leader, directory_data
):
    login(page, "lead")
    expect(page.locator("[data-testid=home-role]")).to_contain_text("领导驾驶舱")
    expect(page.locator("[data-testid=district-figures]")).to_contain_text("2000+")
    expect(page.locator("[data-testid=live-counts]")).to_contain_text("科研院所")
    expect(page.locator("[data-testid=height-card]")).to_have_count(5)
    expect(page.locator("[data-testid=recent-organizations]")).to_be_visible()
    _no_horizontal_overflow(page)
    shot("home")


def test_directory_list_filters_by_kind_and_searches_by_name_without_reloading(
    page, shot, login, operator, directory_data
):
    login(page, "op")
    page.goto("/directory/organizations/")
    total = page.locator("[data-testid=org-total]")
    expect(total).to_contain_text("共")
    shot("all")
    page.select_option("#id_kind", "institute")
    expect(page).to_have_url(re.compile(r"kind=institute"))
    expect(page.locator("#org-results")).to_contain_text("中国科学院上海光学精密机械研究所")
    expect(page.locator("#org-results")).not_to_contain_text("上海菊园智感科技有限公司")
    shot("institutes")
    page.select_option("#id_kind", "")
    page.fill("#id_q", "光擎")
    expect(total).to_contain_text("共 1 家机构")
    expect(page.locator("#org-results")).to_contain_text("上海菊园光擎激光科技有限公司")
    shot("search")
    page.get_by_role("link", name="上海菊园光擎激光科技有限公司").click()
    expect(page.locator("[data-testid=org-name]")).to_have_text("上海菊园光擎激光科技有限公司")


def test_organization_page_shows_profile_fields_park_and_masked_phones_to_another_enterprise(
    page, shot, login, other_enterprise_user, directory_data
):
    login(page, "ent2")
    page.goto(f"/directory/organizations/{directory_data['enterprise'].pk}/")
    expect(page.locator("[data-testid=org-name]")).to_have_text("上海菊园智感科技有限公司")
    facts = page.locator("[data-testid=org-facts]")
    expect(facts).to_contain_text("菊中")
    expect(facts).to_contain_text("物联网研发中心科创园")
    expect(facts).to_contain_text("物联网传感器")
    people = page.locator("[data-testid=org-people]")
    expect(people).to_contain_text("王海峰")
    expect(people).to_contain_text("138****5678")
    expect(people).not_to_contain_text("13812345678")
    _no_horizontal_overflow(page)
    shot("profile")


def test_district_map_draws_blocks_parks_and_lines_as_svg_offline(page, shot, district_data):
    page.goto("/directory/district/")
    chart = page.locator("[data-testid=district-map]")
    expect(chart).to_have_attribute("data-rendered", "true")
    svg = chart.locator("svg").first
    expect(svg).to_be_visible()
    for block in ("菊东", "菊中", "菊西"):
        expect(svg.locator("text", has_text=re.compile(f"^{block}$"))).to_have_count(1)
    for park in Park.objects.all():
        expect(svg.locator("text", has_text=park.name)).to_have_count(1)
    for line in ("平城路科创走廊", "成果转化示范带", "创新生态融合带", "协同创新首发带"):
        expect(svg.locator("text", has_text=line)).to_have_count(1)
    fills = page.evaluate("""() => Array.from(document.querySelectorAll('#district-map svg path'))
        .map(p => (p.getAttribute('stroke') || '').toLowerCase())""")
    for block in Block.objects.all():
        assert block.color.lower() in fills, f"no polygon outlined in {block.name}'s colour {block.color}"
    expect(page.locator("[data-testid=district-institutes]")).to_contain_text(
        "中国科学院上海光学精密机械研究所"
    )
    expect(page.locator("[data-testid=district-clusters]")).to_contain_text("未来生命医学")
    expect(page.locator("[data-testid=district-heights]")).to_contain_text("科学素养培育高地")
    _no_horizontal_overflow(page)
    shot("page")
    shot("map", locator=chart)

    parks_toggle = page.locator("[data-map-layer=parks]")
    parks_toggle.click()
    expect(parks_toggle).to_have_attribute("aria-pressed", "false")
    expect(svg.locator("text", has_text="拟态安全产业园")).to_have_count(0)
    shot("parks-hidden")
    parks_toggle.click()
    park = Park.objects.select_related("institute").get(code="siom-park")
    label = svg.locator("text", has_text=park.name)
    expect(label).to_have_count(1)
    label.hover()
    expect(chart).to_contain_text(f"依托院所：{park.institute.name}")  # the tooltip
    shot("tooltip", locator=chart)
    label.click()
    expect(page.locator("[data-testid=org-name]")).to_have_text(park.institute.name)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/directory/district/")
    expect(chart).to_have_attribute("data-rendered", "true")
    _no_horizontal_overflow(page)
    shot("phone")


def test_language_switch_shows_english_and_back(page, shot, district_data):
    page.goto("/")
    page.locator("[data-testid=language-switch]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot("english")
    page.locator("[data-testid=language-switch]").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_organization_form_shows_chinese_errors_next_to_the_fields_and_keeps_input(
    page, shot, login, operator, browser_problems, directory_data
):
    browser_problems.allow(r"status of 400")  # the refused form answers 400 on purpose
    login(page, "op")
    page.goto("/directory/organizations/new/")
    page.select_option("#id_kind", "enterprise")
    page.fill("#id_name", "上海菊园新测科技有限公司")
    page.fill("#id_uscc", "91350100M000100Y4Z")
    page.get_by_test_id("org-save").click()
    expect(page.locator("[data-testid=form-errors]")).to_be_visible()
    uscc = page.locator("#id_uscc")
    expect(uscc).to_have_class(re.compile("is-invalid"))
    feedback = page.locator("#div_id_uscc .invalid-feedback")
    expect(feedback).to_be_visible()
    expect(feedback).to_contain_text(re.compile("[\u4e00-\u9fff]"))
    expect(page.locator("#id_name")).to_have_value("上海菊园新测科技有限公司")
    _no_horizontal_overflow(page)
    shot("errors")


def test_people_list_masks_phones_for_an_enterprise_user_and_opens_a_person(
    page, shot, login, other_enterprise_user, directory_data
):
    login(page, "ent2")
    page.goto("/directory/people/?is_expert=true")
    table = page.locator("[data-testid=person-table]")
    expect(table).to_contain_text("王海峰")
    expect(table).to_contain_text("138****5678")
    expect(table).not_to_contain_text("李静")
    shot("experts")
    page.get_by_role("link", name="王海峰").click()
    expect(page.locator("[data-testid=person-name]")).to_have_text("王海峰")
    expect(page.locator("[data-testid=person-facts]")).to_contain_text("138****5678")
    shot("person")


@pytest.mark.parametrize(
    ("user_fixture", "username", "role", "blurb"),
    [
        ("commissioner", "comm", "commissioner", "专员工作台"),
        ("institute_user", "inst", "institute", "院所工作台"),
        ("provider_user", "prov", "provider", "服务机构工作台"),
        ("expert_user", "expert", "expert", "专家工作台"),
    ],
    ids=["commissioner", "institute", "provider", "expert"],
)
def test_home_page_for_other_roles_names_their_workbench(
    page, shot, login, request, district_data, user_fixture, username, role, blurb
):
    request.getfixturevalue(user_fixture)
    login(page, username)
    expect(page.get_by_test_id("home-hero")).to_have_attribute("data-role", role)
    expect(page.get_by_test_id("home-role")).to_contain_text(blurb)
    expect(page.get_by_test_id("home-shortcuts").locator("a")).not_to_have_count(0)
    _no_horizontal_overflow(page)
    shot("home")
