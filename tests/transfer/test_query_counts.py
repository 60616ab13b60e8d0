"""docs/reliability.md I2: list pages have a query budget that does not grow with the number of rows."""

import pytest
from django.urls import reverse

from kechuang.transfer import matching, services
from kechuang.transfer.factories import make_achievement, make_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(
    institute_org, enterprise_org, other_enterprise_org, fields, enterprise_user, institute_user, operator
):
    for i in range(25):
        make_achievement(institute_org, title=f"激光焊接工艺第{i}代")
        make_demand(enterprise_org if i % 2 else other_enterprise_org, title=f"焊接气孔控制需求{i}")
    achievement = make_achievement(institute_org, title="对接中的成果")
    for org, user in ((enterprise_org, enterprise_user), (other_enterprise_org, None)):
        interest = services.interest_express(
            actor=user, listing=achievement, organization=org, message="希望了解许可方式。"
        )
        services.interest_accept(actor=institute_user, interest=interest)
    matching.get_engine()  # the index is built once per process, not per request


PAGES = [
    ("transfer:achievement-list", {}, 14),
    ("transfer:achievement-list", {"q": "激光焊接"}, 16),
    ("transfer:demand-list", {}, 14),
    ("transfer:search", {"q": "激光焊接 气孔"}, 22),
    ("transfer:interest-inbox", {}, 14),
    ("transfer:deal-board", {}, 14),
    ("transfer:contract-list", {}, 14),
    ("transfer:my-listings", {}, 14),
    ("transfer:review-queue", {}, 14),
]


@pytest.mark.slow
@pytest.mark.parametrize("name, params, budget", PAGES)
def test_list_pages_stay_within_their_query_budget(
    client, many, operator, institute_user, name, params, budget, django_assert_max_num_queries
):
    user = institute_user if name in ("transfer:my-listings", "transfer:interest-inbox") else operator
    client.force_login(user)
    client.get(reverse(name), params)  # warm per-process caches (profile, navigation)
    with django_assert_max_num_queries(budget):
        response = client.get(reverse(name), params)
    assert response.status_code == 200


@pytest.mark.slow
def test_matching_board_budget(client, many, operator, django_assert_max_num_queries):
    client.force_login(operator)
    client.get(reverse("transfer:matching-board"))
    with django_assert_max_num_queries(110):  # about five per demand shown (20 at most)
        assert client.get(reverse("transfer:matching-board")).status_code == 200
