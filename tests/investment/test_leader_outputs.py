"""The leaders' outputs: the year's target and progress, the Excel export (confidential amounts only for
those who may see them) and the one-page weekly brief (issue 18 item 7)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from inv_helpers import advance
from openpyxl import load_workbook

from kechuang.investment import selectors, services
from kechuang.investment.models import AnnualTarget

pytestmark = pytest.mark.django_db


def test_operators_set_the_target_and_the_view_measures_signed_projects_against_it(
    client, lead, other_lead, operator, commissioner, leader
):
    with pytest.raises(PermissionDenied):
        services.target_set(actor=leader, year=2026, investment_fen=1, jobs=1)
    client.force_login(operator)
    response = client.post(
        reverse("investment:leader-view"), {"year": 2026, "investment_wan": "40000", "jobs": "300"}
    )
    assert response.status_code == 302
    target = AnnualTarget.objects.get(year=2026)
    assert (target.investment_fen, target.jobs) == (40_000 * 1_000_000, 300)
    for note in ("研判", "意向书", "协议"):
        advance(commissioner, lead, note)
    figures = selectors.pipeline_figures(actor=leader)
    assert figures["signed_count"] == 1
    assert (figures["investment_progress"], figures["jobs_progress"]) == (
        20,
        20,
    )  # 8000 of 40000 万元, 60 of 300
    page = client.get(reverse("investment:leader-view")).content.decode()
    assert 'data-testid="jobs-progress"' in page and "20%" in page


def test_the_export_hides_amounts_the_user_may_not_see(client, lead, other_lead, operator, district_office):
    from kechuang.testing.factories import user_with_role

    def rows_for(user):
        client.force_login(user)
        response = client.get(reverse("investment:lead-export"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(response.content))
        sheet = book.worksheets[0]
        return {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}

    everything = rows_for(operator)
    assert everything[lead.code][11] == 8000
    stranger = user_with_role("leader", district_office, username="lead2")
    hidden = rows_for(stranger)
    assert hidden[lead.code][11] == "保密" and hidden[lead.code][1] == lead.name
    assert [
        sheet
        for sheet in load_workbook(
            io.BytesIO(client.get(reverse("investment:lead-export")).content)
        ).sheetnames
    ] == [
        "招商线索",
        "按阶段",
        "转化率",
    ]


def test_the_weekly_brief_lists_the_weeks_news(client, lead, commissioner, leader, frozen):
    advance(commissioner, lead, "研判通过")
    client.force_login(leader)
    page = client.get(reverse("investment:weekly-brief")).content.decode()
    assert 'data-testid="weekly-brief"' in page and lead.name in page and "研判" in page
    brief = selectors.weekly_brief(actor=leader)
    assert [row.code for row in brief["new_leads"]] == [lead.code]
    assert [e.stage for e in brief["moves"]] == ["assessment"]


def test_outsiders_cannot_export_or_read_the_brief(client, lead, enterprise_user):
    client.force_login(enterprise_user)
    assert client.get(reverse("investment:lead-export")).status_code == 403
    assert client.get(reverse("investment:weekly-brief")).status_code == 403


# --- sums that could give away one lead's confidential figure (issue 18 acceptance, confidentiality) -----


def _leads_led_by(operator, leader_user, count, name, wan):
    from inv_helpers import lead_input

    return [
        services.lead_create(
            actor=operator,
            data=lead_input(f"{name}{i}号项目", planned_investment_fen=wan * 1_000_000),
            leader=leader_user,
        )
        for i in range(count)
    ]


def test_a_leader_never_sees_a_stage_sum_that_gives_away_another_leaders_lead(
    frozen, client, operator, leader, district_office
):
    from kechuang.testing.factories import user_with_role

    other = user_with_role("leader", district_office, username="lead2")
    mine = _leads_led_by(operator, leader, 2, "本人", 1000)
    theirs = _leads_led_by(operator, other, 1, "他人", 7777)

    def cell(user, stage="lead"):
        row = next(r for r in selectors.pipeline_figures(actor=user)["by_stage"] if r["stage"] == stage)
        return row["investment_fen"], row["investment_withheld"]

    # one lead not his in the stage: 7777 万元 could be read off the sum, so it is withheld from him
    assert cell(leader) == (None, True)
    assert cell(other) == (None, True)  # the other leader sees one of his and two not his
    assert cell(operator) == ((2 * 1000 + 7777) * 1_000_000, False)
    client.force_login(leader)
    page = client.get(reverse("investment:leader-view")).content.decode()
    assert "7,777" not in page and "9,777" not in page and "保密" in page
    # three leads not his: the sum no longer isolates one of them
    theirs += _leads_led_by(operator, other, 2, "他人追加", 500)
    assert cell(leader) == ((2 * 1000 + 7777 + 2 * 500) * 1_000_000, False)
    # a stage of his own leads only is shown in full
    for lead in mine:
        advance(operator, lead, "研判")
    assert cell(leader, "assessment") == (2 * 1000 * 1_000_000, False)
    assert cell(other, "assessment") == (None, True)


def test_the_signed_total_and_target_progress_are_withheld_when_they_would_give_away_a_lead(
    frozen, operator, commissioner, leader, district_office
):
    from kechuang.testing.factories import user_with_role

    other = user_with_role("leader", district_office, username="lead2")
    services.target_set(actor=operator, year=2026, investment_fen=40_000 * 1_000_000, jobs=300)
    (lead,) = _leads_led_by(operator, other, 1, "他人", 8000)
    for note in ("研判", "意向书", "协议"):
        advance(operator, lead, note)
    figures = selectors.pipeline_figures(actor=leader)
    assert figures["signed_count"] == 1 and figures["signed_investment_fen"] is None
    assert figures["signed_investment_withheld"] and figures["investment_progress"] is None
    assert figures["jobs_progress"] == 20  # jobs are not confidential
    assert selectors.pipeline_figures(actor=other)["signed_investment_fen"] == 8000 * 1_000_000
    assert selectors.pipeline_figures(actor=operator)["investment_progress"] == 20
    counts_only = selectors.pipeline_figures(actor=commissioner)
    assert counts_only["signed_investment_fen"] is None and not counts_only["show_money"]


def test_the_export_figures_sheet_withholds_the_same_sums(frozen, client, operator, leader, district_office):
    from kechuang.testing.factories import user_with_role

    other = user_with_role("leader", district_office, username="lead2")
    _leads_led_by(operator, other, 1, "他人", 7777)
    client.force_login(leader)
    book = load_workbook(io.BytesIO(client.get(reverse("investment:lead-export")).content))
    stages = {row[0]: row for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert stages["线索"][2] == "保密"


# --- lost and withdrawn, kept and lost: by the fixed list of reasons ------------------------------------


def test_the_leaders_view_counts_lost_leads_and_lost_firms_by_the_list_of_reasons(
    frozen, client, operator, leader, commissioner, enterprise_org
):
    from kechuang.investment.choices import LostReason, RetentionSignal, RetentionStatus

    leads = _leads_led_by(operator, leader, 3, "流失测试", 100)
    services.lead_close(actor=operator, lead=leads[0], outcome="lost", reason_code="elsewhere", reason="苏州")
    services.lead_close(actor=operator, lead=leads[1], outcome="lost", reason_code="elsewhere")
    services.lead_close(
        actor=operator, lead=leads[2], outcome="withdrawn", reason_code="other", reason="重复"
    )
    case = services.retention_case_open(
        actor=operator, organization=enterprise_org, signal=RetentionSignal.MOVE_PLAN, detail="拟迁出"
    )
    services.retention_case_close(
        actor=operator, case=case, outcome=RetentionStatus.LOST, reason_code="space", reason="扩产无厂房"
    )
    figures = selectors.pipeline_figures(actor=leader)
    rows = {row["code"]: (row["lost"], row["withdrawn"]) for row in figures["lost_by_reason"]}
    assert list(rows) == list(LostReason.values)
    assert rows["elsewhere"] == (2, 0) and rows["other"] == (0, 1) and rows["policy"] == (0, 0)
    client.force_login(leader)
    page = client.get(reverse("investment:leader-view")).content.decode()
    assert 'data-testid="lost-by-reason"' in page and "选址外地" in page and "政策不匹配" in page
    assert 'data-testid="leader-firms-lost">1<' in page
    assert 'data-reason="space"><td>空间不足</td><td class="text-end">1</td>' in page
    brief = client.get(reverse("investment:weekly-brief")).content.decode()
    assert "选址外地（苏州）" in brief
