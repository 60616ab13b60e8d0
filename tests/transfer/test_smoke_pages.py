import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_pages_render_for_owner_and_operator(
    client, enterprise_user, operator, institute_user, achievement, demand
):
    for user in (enterprise_user, operator, institute_user):
        client.force_login(user)
        for name, args in [
            ("transfer:achievement-list", []),
            ("transfer:demand-list", []),
            ("transfer:achievement-detail", [achievement.code]),
            ("transfer:demand-detail", [demand.code]),
            ("transfer:search", []),
            ("core:home", []),
        ]:
            response = client.get(
                reverse(name, args=args), {"q": "激光焊接"} if name == "transfer:search" else {}
            )
            assert response.status_code == 200, (user, name, response.content[:500])
