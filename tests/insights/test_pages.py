"""Dashboards, drill-down, exports and the API: access by role, definitions shown, query budgets."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from insights_helpers import achievement, contract, this_year
from openpyxl import load_workbook

from kechuang.core.models import AuditEvent
from kechuang.insights.models import KpiTarget
from kechuang.insights.services import kpi_target_set

pytestmark = pytest.mark.django_db


def exported(client: Any, url: str) -> Any:
    """Start a background export (the tests' task backend runs it at once) and download its file."""
    started = client.get(url)
    assert started.status_code == 302, started.status_code
    page = client.get(started["Location"])
    assert 'data-testid="export-done"' in page.content.decode()
    return client.get(started["Location"].rstrip("/") + "/download/")


PAGES = [
    reverse("insights:dashboard"),
    reverse("insights:operator"),
    reverse("insights:briefing"),
    reverse("insights:kpi-detail", args=["transfer.contracts"]),
    reverse("insights:kpi-export"),
    reverse("insights:kpi-records-export", args=["transfer.contracts"]),
    "/api/v1/insights/kpis/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_goes_to_login_or_gets_401(client: Any, url: str) -> None:
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    "role",
    [
        "enterprise_user",
        "institute_user",
        "provider_user",
        "commissioner",
        "expert_user",
        "sysadmin",
        "auditor",
    ],
)
def test_other_roles_are_refused(client: Any, url: str, role: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(role))
    assert client.get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="insights.export").exists()


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("role", ["leader", "operator"])
def test_leader_and_operator_see_every_page(
    client: Any, url: str, role: str, request: pytest.FixtureRequest, district: Any
) -> None:
    client.force_login(request.getfixturevalue(role))
    response = client.get(url, follow=True)  # a large export goes by way of its page (background task)
    assert response.status_code == 200


def test_dashboard_shows_values_and_definitions(client: Any, leader: Any, district: Any) -> None:
    client.force_login(leader)
    html = client.get(reverse("insights:dashboard")).content.decode()
    assert 'data-code="transfer.contracts"' in html
    assert "技术合同登记中签订日期在统计期内的合同份数" in html  # a definition, shown on the page
    assert 'id="insights-chart-data"' in html and 'id="district-map-data"' in html
    assert "<script>" not in html.replace("<script src", "")  # no inline script (CSP)


def test_operator_page_lists_every_kpi_with_definition(client: Any, operator: Any, district: Any) -> None:
    from kechuang.insights.kpis import all_kpis

    client.force_login(operator)
    html = client.get(reverse("insights:operator")).content.decode()
    for kpi in all_kpis():
        assert f'data-code="{kpi.code}"' in html
        assert str(kpi.definition) in html


def test_kpi_detail_shows_definition_and_records(client: Any, operator: Any, district: Any) -> None:
    client.force_login(operator)
    response = client.get(reverse("insights:kpi-detail", args=["transfer.achievements"]))
    html = response.content.decode()
    assert "发布时间在统计期内" in html
    assert html.count('data-testid="record"') == 3


def test_drill_down_respects_visibility(client: Any, leader: Any, district: Any) -> None:
    """A leader is counted the confidential achievement but its row is not listed (B5)."""
    client.force_login(leader)
    html = client.get(reverse("insights:kpi-detail", args=["transfer.achievements"])).content.decode()
    assert html.count('data-testid="record"') == 2
    assert "保密成果" not in html and 'data-testid="hidden-records"' in html
    data = exported(client, reverse("insights:kpi-records-export", args=["transfer.achievements"])).content
    titles = [row[1] for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2, values_only=True)]
    assert "保密成果" not in titles and len(titles) == 2


def test_unknown_kpi_is_404(client: Any, leader: Any) -> None:
    client.force_login(leader)
    assert client.get(reverse("insights:kpi-detail", args=["nope"])).status_code == 404
    assert client.get(reverse("insights:kpi-records-export", args=["nope"])).status_code == 404


@pytest.mark.slow
def test_bad_year_falls_back_to_this_year(client: Any, leader: Any) -> None:
    client.force_login(leader)
    for year in ("abc", "-1", "99999", "2024'--"):
        assert client.get(reverse("insights:dashboard"), {"year": year}).status_code == 200


# --- query budgets -----------------------------------------------------------------------------------


def _grow(n: int, institute: Any, enterprise: Any) -> None:
    for i in range(n):
        achievement(institute, title=f"成果{i}")
        contract(institute, enterprise, amount_fen=1_000_000 + i, tech_fen=1000)


BUDGET_PAGES = [
    ("insights:dashboard", []),
    ("insights:operator", []),
    ("insights:briefing", []),
    ("insights:kpi-detail", ["transfer.contracts"]),
    ("insights:kpi-detail", ["transfer.achievements"]),
    ("insights:kpi-detail", ["talent.researchers"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "args"), BUDGET_PAGES)
def test_query_count_does_not_grow_with_records(
    client: Any,
    operator: Any,
    institute_org: Any,
    enterprise_org: Any,
    name: str,
    args: list[str],
    django_assert_max_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(operator)
    url = reverse(name, args=args)
    counts = []
    for n in (5, 45):  # 5 records, then 50
        _grow(n, institute_org, enterprise_org)
        client.get(url)  # warm caches (session, profile)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
    # The dashboard computes each automatic KPI with one aggregate query (a module that adds KPIs adds
    # that many), on top of a fixed number for the session, the targets and the map.
    from kechuang.insights.kpis import MANUAL, all_kpis

    automatic = sum(1 for kpi in all_kpis() if kpi.kind != MANUAL)
    with django_assert_max_num_queries(14 + automatic if name == "insights:dashboard" else 40):
        client.get(url)


# --- exports -------------------------------------------------------------------------------------------


def test_kpi_sheet_export_is_audited_and_complete(client: Any, leader: Any, district: Any) -> None:
    client.force_login(leader)
    response = client.get(reverse("insights:kpi-export"))
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    codes = {r[1]: r for r in rows[1:]}
    assert codes["transfer.contracts"][4] == 2
    assert "签订日期" in codes["transfer.contracts"][10]
    assert (
        AuditEvent.objects.filter(action="insights.export", actor_id=leader.pk, object_id="kpi-sheet").count()
        == 1
    )


@pytest.mark.parametrize("evil", ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", " =1+1"])
def test_exported_cells_never_start_a_formula(
    client: Any, operator: Any, institute_org: Any, enterprise_org: Any, evil: str
) -> None:
    contract(institute_org, enterprise_org, amount_fen=100, tech_fen=10, title=evil)
    institute_org.name = evil
    institute_org.save()
    client.force_login(operator)
    response = exported(client, reverse("insights:kpi-records-export", args=["transfer.contracts"]))
    workbook = load_workbook(io.BytesIO(response.content))
    values = [
        c for row in workbook.active.iter_rows(min_row=2, values_only=True) for c in row if isinstance(c, str)
    ]
    assert values
    for cell in values:
        assert cell.lstrip()[:1] not in "=+-@", cell
    assert f"'{evil}" in values
    assert AuditEvent.objects.filter(
        action="insights.export", object_id="kpi-records:transfer.contracts"
    ).exists()


# --- targets ------------------------------------------------------------------------------------------


def test_operator_sets_targets_through_the_form(client: Any, operator: Any) -> None:
    client.force_login(operator)
    url = reverse("insights:kpi-target", args=["transfer.contracts"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"year": this_year(), "this_year_target": "40", "overall_target": "200"})
    assert response.status_code == 302
    target = KpiTarget.objects.get(kpi_code="transfer.contracts", year=this_year())
    assert target.this_year_target == Decimal(40) and target.updated_by == operator
    assert AuditEvent.objects.filter(action="insights.target_set", actor_id=operator.pk).exists()


def test_negative_target_is_refused_with_a_message(client: Any, operator: Any) -> None:
    client.force_login(operator)
    url = reverse("insights:kpi-target", args=["transfer.contracts"])
    response = client.post(url, {"year": this_year(), "this_year_target": "-1"})
    assert response.status_code == 400 and not KpiTarget.objects.exists()


def test_leader_may_not_set_targets(client: Any, leader: Any) -> None:
    client.force_login(leader)
    url = reverse("insights:kpi-target", args=["transfer.contracts"])
    assert client.post(url, {"year": this_year(), "this_year_target": "40"}).status_code == 403
    assert not KpiTarget.objects.exists()


# --- API ----------------------------------------------------------------------------------------------


def test_api_answers_with_definitions_targets_and_actuals(
    client: Any, leader: Any, operator: Any, district: Any
) -> None:
    kpi_target_set(
        actor=operator,
        kpi_code="transfer.contract_amount",
        year=this_year(),
        this_year_target=Decimal("100"),
        overall_target=Decimal("1000"),
    )
    client.force_login(leader)
    data = client.get("/api/v1/insights/kpis/").json()
    row = next(r for r in data if r["code"] == "transfer.contract_amount")
    assert row["actual"] == 33.46 and row["this_year_target"] == 100 and row["overall_target"] == 1000
    assert row["unit"] == "万元" and "技术合同登记" in row["definition"]
    assert row["height_name"] and len(row["months"]) == 12 and len(row["quarters"]) == 4
    assert row["progress"] == 33.5


@pytest.mark.slow
def test_api_is_in_the_schema(client: Any) -> None:
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/insights/kpis/" in schema


def test_leader_home_shows_the_five_heights(client: Any, leader: Any, district: Any) -> None:
    client.force_login(leader)
    html = client.get("/").content.decode()
    assert 'data-testid="insights-heights"' in html


def test_kpi_detail_cells_say_how_they_are_laid_out(client: Any, operator: Any, district: Any) -> None:
    """Issue 14 item 11: text wraps, figures and dates keep to one line (see insights.css .kc-records)."""
    import datetime as dt
    from decimal import Decimal

    from kechuang.insights.templatetags.insights_tags import cell_kind

    assert [cell_kind(v) for v in (12, Decimal("1.5"), dt.date(2026, 1, 2), "2026-01-02", "某研究所")] == [
        "num",
        "num",
        "date",
        "date",
        "text",
    ]
    client.force_login(operator)
    html = client.get(reverse("insights:kpi-detail", args=["transfer.achievements"])).content.decode()
    assert 'class="kc-cell-' in html
