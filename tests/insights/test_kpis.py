"""Each KPI's value equals a hand count on a small fixture."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from insights_helpers import achievement, contract, this_year

from kechuang.insights.kpis import all_kpis, compute, get_kpi, quarters
from kechuang.insights.selectors import kpi_table

pytestmark = pytest.mark.django_db


def value(code: str, year: int | None = None) -> Any:
    kpi = get_kpi(code)
    assert kpi is not None, code
    return compute(kpi, year or this_year()).actual


def test_every_kpi_has_a_definition_unit_and_height() -> None:
    kpis = all_kpis()
    assert {k.height for k in kpis} == {"transfer", "resources", "incubation", "talent", "literacy"}
    for kpi in kpis:
        assert len(str(kpi.definition)) > 15 and str(kpi.unit) and str(kpi.name)
    assert len({k.code for k in kpis}) == len(kpis)


def test_transfer_kpis_equal_hand_count(district: dict[str, Any]) -> None:
    assert (
        value("transfer.achievements") == 3
    )  # published + negotiating + confidential; not draft/archived/last year
    assert value("transfer.demands") == 2  # published + solved; not closed/last year
    assert value("transfer.contracts") == 2
    assert value("transfer.contract_amount") == Decimal("33.46")  # (10,000,000 + 23,456,789) fen in 万元
    assert value("transfer.technology_amount") == Decimal("25.00")


def test_last_year_is_counted_in_its_own_year(district: dict[str, Any]) -> None:
    assert value("transfer.contracts", this_year() - 1) == 1
    assert value("transfer.contract_amount", this_year() - 1) == Decimal("99.00")
    assert value("transfer.achievements", this_year() - 1) == 1


def test_cumulative_counts_every_year(district: dict[str, Any]) -> None:
    kpi = get_kpi("transfer.contract_amount")
    assert kpi is not None
    assert compute(kpi, this_year()).cumulative == Decimal("132.46")


def test_directory_kpis_equal_hand_count(district: dict[str, Any]) -> None:
    # institute_org fixture = 1 institute; enterprise_org + new_firm + last year's firm = 3 enterprises
    assert value("resources.institutes") == 1
    assert value("resources.providers") == 1
    assert value("incubation.enterprises") == 3
    assert value("incubation.new_enterprises") == 1
    assert value("incubation.incubators") == 1
    assert value("talent.researchers") == 3
    assert value("talent.academicians") == 1
    assert value("talent.senior_titles") == 2
    assert value("talent.experts") == 1


def test_months_and_quarters_add_up_for_a_flow(district: dict[str, Any]) -> None:
    kpi = get_kpi("transfer.contracts")
    assert kpi is not None
    values = compute(kpi, this_year())
    assert values.months[0] == 2  # both signed on 1 January
    assert sum(v for v in values.months if v) == values.actual
    assert quarters(kpi, values.months)[0] == 2


def test_a_stock_is_the_count_at_each_month_end(district: dict[str, Any]) -> None:
    kpi = get_kpi("talent.researchers")
    assert kpi is not None
    months = compute(kpi, this_year()).months
    assert [m for m in months if m is not None][-1] == 3


def test_manual_kpi_takes_the_operator_entry(operator: Any) -> None:
    """A KPI no module records (kind manual) shows the operator's typed figure. No shipped KPI is manual
    since the events module computes the science-literacy figures, so the test registers one."""
    from kechuang.insights import kpis as registry
    from kechuang.insights.services import kpi_target_set

    def typed() -> list[Any]:
        return [
            registry.Kpi(
                code="literacy.typed_in",
                height="literacy",
                sort=99,
                kind=registry.MANUAL,
                name="手工填报指标",
                unit="场",
                definition="测试用：由运营人员按台账填报本年实际值的指标。",
            )
        ]

    registry.register_kpi_provider("", typed)
    try:
        kpi_target_set(
            actor=operator,
            kpi_code="literacy.typed_in",
            year=this_year(),
            this_year_target=Decimal(40),
            overall_target=Decimal(200),
            manual_actual=Decimal(12),
        )
        row = next(r for r in kpi_table(this_year()) if r["code"] == "literacy.typed_in")
        assert row["actual"] == Decimal(12) and row["progress"] == 30.0
    finally:
        registry._providers[:] = [p for p in registry._providers if p[1] is not typed]


def test_no_science_literacy_figure_is_typed_in_by_hand() -> None:
    """Issue 17: the events module computes 科普活动场次 and 参与人次; no manual entry is left for them."""
    for code in ("literacy.events", "literacy.participants"):
        kpi = get_kpi(code)
        assert kpi is not None and kpi.kind != "manual" and kpi.module == "events", code


def test_kpi_is_one_query(django_assert_num_queries: Any, institute_org: Any, enterprise_org: Any) -> None:
    for _ in range(5):
        contract(institute_org, enterprise_org, amount_fen=100, tech_fen=10)
        achievement(institute_org)
    for kpi in all_kpis():
        if kpi.model is None:
            continue
        with django_assert_num_queries(1):
            compute(kpi, this_year())


def test_vacancy_free_modules_are_optional() -> None:
    """A provider whose module is missing contributes nothing."""
    from kechuang.insights import kpis as registry

    def broken() -> list[Any]:
        raise ImportError("module still being built")

    registry.register_kpi_provider("", broken)
    try:
        assert all_kpis()  # still answers
    finally:
        registry._providers[:] = [p for p in registry._providers if p[1] is not broken]


def test_voucher_kpis_equal_hand_count(
    operator: Any,
    leader: Any,
    enterprise_org: Any,
    enterprise_user: Any,
    other_enterprise_org: Any,
    other_enterprise_user: Any,
    provider_org: Any,
    provider_user: Any,
) -> None:
    from kechuang.vouchers import factories, services

    scheme = factories.make_scheme(operator=operator)
    provider = factories.make_provider(organization=provider_org, applicant=provider_user, reviewer=operator)
    factories.make_service(provider=provider, actor=provider_user, name="材料成分检测")
    factories.make_service(provider=provider, actor=provider_user, name="专利检索分析", category="ip")
    withdrawn = factories.make_service(provider=provider, actor=provider_user, name="已下架服务")
    services.service_update(actor=provider_user, service=withdrawn, is_active=False)
    factories.make_voucher(
        scheme=scheme,
        enterprise=enterprise_org,
        applicant=enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=500_000,
    )
    revoked = factories.make_voucher(
        scheme=scheme,
        enterprise=other_enterprise_org,
        applicant=other_enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=300_000,
    )
    services.voucher_revoke(actor=operator, voucher=revoked, reason="企业申请材料不实")
    assert value("resources.voucher_services") == 2  # two active services; the withdrawn one is not counted
    assert value("resources.vouchers_granted") == Decimal(
        "0.50"
    )  # 500,000 fen = 0.50 万元; revoked not counted
