"""The investment journey (issue 18): a competition winner becomes a lead, is assessed, negotiates,
signs, registers (the firm lands in the directory with its commissioner), takes space through a
reservation made from the lead, settles on the lease, and the leader's pipeline shows it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.directory.models import Building, Organization
from kechuang.investment.models import Lead
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import Assignment
from kechuang.spaces.choices import SpaceType, UnitStatus
from kechuang.spaces.models import SpaceUnit
from kechuang.testing.factories import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_competition_winner_becomes_a_lead_lands_takes_space_and_shows_in_the_pipeline(
    page, shot, login, district_data, operator, leader, commissioner
):
    fab = Building.objects.get(code="btit-park-fab")
    unit = SpaceUnit.objects.create(
        code="btit-park-fab-101",
        building=fab,
        unit_code="101",
        floor=1,
        area_m2=Decimal("600"),
        space_type=SpaceType.CLEANROOM,
        rent_fen_per_m2_day=450,
        floor_load_kn_m2=Decimal("8.0"),
        power_kw=300,
        status=UnitStatus.VACANT,
        vacant_since=timezone.localdate() - dt.timedelta(days=40),
    )
    uscc = make_uscc(2026)

    # --- the operator registers the competition winner as a lead --------------------------------
    login(page, "op")
    page.goto("/investment/")
    page.get_by_test_id("lead-new").click()
    page.select_option("#id_source", "event")
    page.fill("#id_source_detail", "2026 菊园创新创业大赛一等奖")
    page.fill("#id_name", "芯途生物芯片研发团队")
    page.select_option("#id_cluster", label="未来生命医学")
    page.select_option("#id_block", label="菊中")
    page.fill("#id_investment_wan", "8000")
    page.fill("#id_jobs", "60")
    page.fill("#id_space_area_m2", "600")
    page.select_option("#id_space_type", "cleanroom")
    page.fill("#id_power_kw", "200")
    page.check("#id_asks_policy")
    page.fill("#id_asks_note", "首年租金减免")
    page.fill("#id_terms", "三年租金减半")
    page.check("#id_is_key")
    shot("lead-form")
    page.get_by_test_id("lead-save").click()
    expect(page.get_by_test_id("lead-stage")).to_have_text("线索")
    code = Lead.objects.get().code

    # owners, acknowledgement, assessment, negotiation, signature
    page.select_option("#id_leader", str(leader.pk))
    page.select_option("#id_case_officer", str(commissioner.pk))
    page.get_by_test_id("owners-save").click()
    expect(page.get_by_test_id("lead-owners")).to_contain_text(str(leader))
    page.get_by_test_id("lead-acknowledge").click()
    expect(page.get_by_test_id("clock").first).to_have_attribute("data-state", "done")
    for stage, note in (
        ("研判", "团队技术领先，建议引进"),
        ("在谈", "意向书：投资 8000 万元"),
        ("签约", "投资协议已签署"),
    ):
        page.fill("#id_note", note)
        page.get_by_test_id("lead-advance").click()
        expect(page.get_by_test_id("lead-stage")).to_have_text(stage)
    shot("signed")

    # registration: a wrong USCC is refused and nothing lands; then the right one
    page.fill("#id_note", "营业执照已核发")
    page.fill("#id_uscc", uscc[:-1] + ("0" if uscc[-1] != "0" else "1"))
    page.select_option("#id_commissioner", str(commissioner.pk))
    page.get_by_test_id("lead-advance").click()
    expect(page.locator(".alert-danger, .alert-error, [role=alert]").first).to_contain_text(
        "统一社会信用代码"
    )
    assert not Organization.objects.filter(name="芯途生物芯片研发团队").exists()
    page.fill("#id_note", "营业执照已核发")
    page.fill("#id_uscc", uscc)
    page.select_option("#id_commissioner", str(commissioner.pk))
    page.get_by_test_id("lead-advance").click()
    expect(page.get_by_test_id("lead-stage")).to_have_text("注册")
    expect(page.get_by_test_id("lead-organization")).to_have_text("芯途生物芯片研发团队")
    shot("registered")

    # space: the lead's matches, pick the cleanroom, reserve from the lead
    match = page.get_by_test_id("lead-match").first
    expect(match).to_contain_text("生物半导体洁净厂房")
    match.get_by_test_id("match-pick").click()
    expect(page.locator("#id_unit")).to_have_value(unit.code)
    start = timezone.localdate() + dt.timedelta(days=10)
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", (start + dt.timedelta(days=3 * 365 - 1)).isoformat())
    page.get_by_test_id("lead-reserve").click()
    expect(page.get_by_test_id("lead-reservation")).to_contain_text("预订中")
    shot("reserved")

    # the operator signs the lease on the unit's page, then the lead settles on it
    page.goto(f"/spaces/units/{unit.code}/")
    page.get_by_test_id("lease-submit").click()
    expect(page.get_by_test_id("lease-row")).to_contain_text("履行中")
    page.goto(f"/investment/leads/{code}/")
    page.fill("#id_note", "已入驻洁净厂房")
    page.get_by_test_id("lead-advance").click()
    expect(page.get_by_test_id("lead-stage")).to_have_text("入驻")
    expect(page.get_by_test_id("lead-evidence")).to_contain_text("租赁合同")
    shot("settled")

    # the firm is in the directory, served by its commissioner, with the leader as 包保
    organization = Organization.objects.get(uscc=uscc)
    page.get_by_test_id("lead-organization").click()
    expect(page.locator("h1")).to_contain_text("芯途生物芯片研发团队")
    shot("directory")
    page.goto(f"/service/enterprises/{organization.pk}/")
    expect(page.locator("body")).to_contain_text(str(commissioner))
    shot("commissioner")
    assert (
        Assignment.objects.get(
            organization=organization, role=AssignmentRole.LEADER, ended_at__isnull=True
        ).user
        == leader
    )
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the leader's pipeline --------------------------------------------------------------------
    login(page, "lead")
    page.goto("/investment/pipeline/")
    settled = page.locator("[data-testid=stage-row][data-stage=settled]")
    expect(settled.get_by_test_id("stage-row-count")).to_have_text("1")
    expect(page.get_by_test_id("signed-investment")).to_have_text(re.compile("8,000"))
    expect(page.get_by_test_id("by-owner")).to_contain_text(str(leader))
    shot("pipeline")
    page.goto("/investment/")
    column = page.locator("[data-testid=stage-column][data-stage=settled]")
    expect(column.get_by_test_id("lead-card")).to_contain_text("芯途生物芯片研发团队")
    expect(column.get_by_test_id("lead-card")).to_contain_text("8,000 万元")  # the leader in charge sees it
    shot("board")


def test_key_project_and_watch_list_pages(page, shot, login, district_data, operator, leader, commissioner):
    from kechuang.investment import services
    from kechuang.testing.factories import OrganizationFactory

    firm = OrganizationFactory(name="上海菊园智感科技有限公司", is_key=True)
    project = services.project_create(
        actor=operator,
        name="智感二期扩产",
        leader=leader,
        organization=firm,
        departments=["planning", "development"],
    )
    services.milestone_add(actor=leader, project=project, title="设备进场", due_on=timezone.localdate())
    services.retention_case_open(
        actor=operator, organization=firm, signal="move_plan", detail="拟迁往苏州工业园区"
    )

    login(page, "lead")
    page.goto(f"/investment/projects/{project.code}/")
    page.select_option("#id_status", "blocked")
    page.fill("#id_note", "双回路供电增容未批复")
    page.get_by_test_id("status-save").click()
    expect(page.get_by_test_id("project-status")).to_have_text("受阻")
    page.fill("#id_text", "供电增容审批慢")
    page.select_option("#id_department", "planning")
    page.get_by_test_id("issue-raise").click()
    expect(page.get_by_test_id("project-issues")).to_contain_text("供电增容审批慢")
    shot("project")
    page.goto("/investment/retention/")
    expect(page.get_by_test_id("retention-row")).to_contain_text("拟迁往苏州工业园区")
    shot("watch-list")
    page.goto("/investment/pipeline/brief/")
    expect(page.get_by_test_id("weekly-brief")).to_contain_text("智感二期扩产")
    shot("brief")
