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


@pytest.mark.slow
def test_the_matching_board_pages_through_every_demand_of_the_window(client, many, operator):
    """25 demands: ten per page, the last page the remaining five; a page past the end or not a number
    shows the last or the first page, never an error; the pager keeps the window."""
    import re

    client.force_login(operator)
    url = reverse("transfer:matching-board")

    def page(**params: str) -> str:
        response = client.get(url, params)
        assert response.status_code == 200
        return response.content.decode()

    first = page(days="30")
    assert first.count('data-testid="board-row"') == 10
    assert "共 25 条需求，每页 10 条" in first and "1 / 3" in first
    assert "?days=30&page=2" in first
    titles = set()
    for number in ("1", "2", "3"):
        html = page(days="30", page=number)
        titles |= set(re.findall(r"焊接气孔控制需求\d+", html))
    assert titles == {f"焊接气孔控制需求{i}" for i in range(25)}  # every demand on exactly one of the pages
    last = page(days="30", page="3")
    assert last.count('data-testid="board-row"') == 5 and "下一页" not in last
    assert page(page="99").count('data-testid="board-row"') == 5  # past the end: the last page
    assert page(page="abc").count('data-testid="board-row"') == 10
