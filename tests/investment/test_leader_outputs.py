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
