"""The investment pages: board, detail with clocks and evidence, form, leader view, key projects and
the watch list render for staff; the web actions call the services; the board's query count is fixed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from inv_helpers import advance, lead_input

from kechuang.investment import services
from kechuang.investment.choices import LeadStage
from kechuang.investment.models import Lead
from kechuang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db


def test_every_page_renders_for_the_operator(client, lead, operator, leader, enterprise_org):
    project = services.project_create(
        actor=operator, name="智感二期扩产", leader=leader, organization=enterprise_org
    )
    case = services.retention_case_open(
        actor=operator, organization=enterprise_org, signal="move_plan", detail="考虑迁往苏州"
    )
    client.force_login(operator)
    pages = [
        reverse("investment:lead-board"),
        reverse("investment:lead-create"),
        reverse("investment:lead-detail", args=[lead.code]),
        reverse("investment:lead-edit", args=[lead.code]),
        reverse("investment:leader-view"),
        reverse("investment:project-list"),
        reverse("investment:project-create"),
        reverse("investment:project-detail", args=[project.code]),
        reverse("investment:retention-list"),
        reverse("investment:retention-detail", args=[case.code]),
        reverse("core:home"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    board = client.get(pages[0]).content.decode()
    assert lead.name in board and "8,000 万元" in board
    home = client.get(reverse("core:home")).content.decode()
    assert 'data-testid="investment-home"' in home


def test_the_form_creates_a_lead_and_refuses_a_duplicate_with_its_code(client, commissioner, frozen, cluster):
    client.force_login(commissioner)
    data = {
        "source": "event",
        "name": "芯途生物芯片研发团队",
        "cluster": cluster.pk,
        "investment_wan": "8000",
        "jobs": "60",
    }
    response = client.post(reverse("investment:lead-create"), data)
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert lead.planned_investment_fen == 8000 * 1_000_000 and lead.case_officer == commissioner
    again = client.post(
        reverse("investment:lead-create"), {**data, "name": "芯途生物芯片研发团队（有限公司）"}
    )
    assert again.status_code == 400 and lead.code in again.content.decode()
    assert Lead.objects.count() == 1


def test_the_detail_page_moves_the_lead_and_shows_clocks_and_evidence(client, lead, commissioner):
    client.force_login(commissioner)
    url = reverse("investment:lead-detail", args=[lead.code])
    page = client.get(url).content.decode()
    assert page.count('data-testid="clock"') == 4 and "进入“研判”" in page
    refused = client.post(
        reverse("investment:lead-action", args=[lead.code, "advance"]), {"note": ""}, follow=True
    )
    assert "研判意见" in refused.content.decode()
    client.post(reverse("investment:lead-action", args=[lead.code, "acknowledge"]))
    client.post(
        reverse("investment:lead-action", args=[lead.code, "advance"]), {"note": "技术领先，建议引进"}
    )
    client.post(
        reverse("investment:lead-action", args=[lead.code, "note"]),
        {"text": "已向企业反馈研判结论", "feedback": "on"},
    )
    lead.refresh_from_db()
    assert lead.stage == LeadStage.ASSESSMENT and lead.acknowledged_at and lead.feedback_at
    page = client.get(url).content.decode()
    assert "技术领先，建议引进" in page and 'data-state="done"' in page


def test_registration_through_the_page_lands_the_firm(client, lead, commissioner):
    for note in ("研判", "意向书", "协议"):
        lead = advance(commissioner, lead, note)
    client.force_login(commissioner)
    uscc = make_uscc(5)
    response = client.post(
        reverse("investment:lead-action", args=[lead.code, "advance"]),
        {"note": "营业执照", "uscc": uscc, "commissioner": commissioner.pk},
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == LeadStage.REGISTERED and lead.organization.uscc == uscc
    page = client.get(reverse("investment:lead-detail", args=[lead.code])).content.decode()
    assert 'data-testid="lead-organization"' in page


def test_the_board_reads_a_fixed_number_of_queries(client, operator, frozen, django_assert_max_num_queries):
    for index in range(12):
        services.lead_create(actor=operator, data=lead_input(f"测试线索{index}号科技有限公司"))
    client.force_login(operator)
    client.get(reverse("investment:lead-board"))  # warm the session and caches
    with django_assert_max_num_queries(16):
        response = client.get(reverse("investment:lead-board"))
    assert response.content.decode().count('data-testid="lead-card"') == 12


def test_the_leader_view_shows_conversion_and_stage_counts(client, lead, other_lead, commissioner, leader):
    advance(commissioner, lead, "研判")
    client.force_login(leader)
    page = client.get(reverse("investment:leader-view")).content.decode()
    assert 'data-testid="conversion"' in page and "50%" in page  # one of two leads moved on from 线索
    assert "8,000 万元" in page  # leaders see the sums


def test_space_matches_show_before_landing_and_the_reservation_after(
    client, commissioner, frozen, block, cluster
):
    from decimal import Decimal

    from kechuang.directory.models import Building
    from kechuang.spaces.models import SpaceUnit

    building = Building.objects.create(code="fab", name="生物半导体洁净厂房", block=block)
    SpaceUnit.objects.create(
        code="fab-101",
        building=building,
        unit_code="101",
        floor=1,
        area_m2=Decimal(600),
        space_type="cleanroom",
        rent_fen_per_m2_day=450,
        power_kw=300,
    )
    lead = services.lead_create(
        actor=commissioner,
        data=lead_input(space_area_m2=Decimal(600), space_type="cleanroom", power_kw=200, block=block),
        case_officer=commissioner,
    )
    client.force_login(commissioner)
    page = client.get(reverse("investment:lead-detail", args=[lead.code])).content.decode()
    assert 'data-testid="lead-match"' in page and "生物半导体洁净厂房" in page
    assert 'data-testid="reserve-after-landing"' in page and 'data-testid="reserve-form"' not in page


def test_the_edit_form_round_trips_the_amount_in_wan(client, lead, commissioner):
    client.force_login(commissioner)
    url = reverse("investment:lead-edit", args=[lead.code])
    page = client.get(url).content.decode()
    assert 'value="8000.00"' in page
    response = client.post(
        url,
        {
            "source": lead.source,
            "name": lead.name,
            "investment_wan": "8000.00",
            "jobs": "80",
            "terms": "三年租金减半",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.planned_investment_fen, lead.jobs) == (8000 * 1_000_000, 80)
