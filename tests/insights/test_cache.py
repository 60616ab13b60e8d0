"""The KPI table is cached per process for a minute; setting a target shows at once."""

from decimal import Decimal

import pytest

from kechuang.insights.kpis import all_kpis
from kechuang.insights.selectors import kpi_table
from kechuang.insights.services import kpi_target_set


@pytest.mark.django_db(transaction=True)
def test_second_kpi_table_read_is_served_from_cache_and_a_new_target_shows_at_once(
    cached, operator, django_assert_num_queries
):
    code = all_kpis()[0].code
    first = kpi_table(2026)
    with django_assert_num_queries(0):
        assert kpi_table(2026) == first
    kpi_target_set(
        actor=operator,
        kpi_code=code,
        year=2026,
        this_year_target=Decimal("77"),
        overall_target=Decimal("100"),
    )
    row = next(r for r in kpi_table(2026) if r["code"] == code)
    assert Decimal(str(row["this_year_target"])) == Decimal("77")
