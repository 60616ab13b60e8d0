"""Every page renders for the roles that use it, list pages keep a fixed query budget (I2), and the demo
generator is deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.urls import reverse
from django.utils import timezone
from spaces_helpers import make_unit

from kechuang.spaces import services
from kechuang.spaces.choices import SpaceType

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_units(geo):
    for n in range(30):
        make_unit(
            geo["fab"] if n % 2 else geo["hub"],
            f"Q{n}",
            space_type=SpaceType.CLEANROOM if n % 2 else SpaceType.OFFICE,
            area=str(150 + n),
        )


def _budget(client, django_assert_max_num_queries, url: str, budget: int) -> str:
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_unit_list_query_count_does_not_grow_with_rows(
    client, enterprise_user, many_units, django_assert_max_num_queries
):
    client.force_login(enterprise_user)
    page = _budget(client, django_assert_max_num_queries, reverse("spaces:unit-list"), 14)
    assert page.count('data-testid="unit-row"') == 25


def test_request_and_viewing_lists_have_a_query_budget(
    client, operator, enterprise_user, enterprise_org, geo, many_units, django_assert_max_num_queries
):
    from decimal import Decimal

    from kechuang.spaces.models import SpaceUnit

    for n in range(12):
        request = services.space_request_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title=f"需求{n}",
            area_min_m2=Decimal(100),
            area_max_m2=Decimal(300),
        )
        services.viewing_book(
            actor=enterprise_user,
            space_request=request,
            unit=SpaceUnit.objects.order_by("pk")[n],
            scheduled_at=timezone.now() + dt.timedelta(days=1 + n),
        )
    client.force_login(operator)
    page = _budget(client, django_assert_max_num_queries, reverse("spaces:request-list"), 12)
    assert page.count('data-testid="request-row"') == 12
    page = _budget(client, django_assert_max_num_queries, reverse("spaces:viewing-list"), 12)
    assert page.count('data-testid="viewing-row"') == 12
    _budget(client, django_assert_max_num_queries, reverse("spaces:vacancy-map"), 16)


def test_request_detail_with_matches_has_a_query_budget(
    client, enterprise_user, space_request, many_units, django_assert_max_num_queries
):
    client.force_login(enterprise_user)
    page = _budget(
        client, django_assert_max_num_queries, reverse("spaces:request-detail", args=[space_request.code]), 18
    )
    assert "面积" in page and 'data-testid="match-card"' in page


@pytest.mark.parametrize(
    "who", ["operator", "enterprise_user", "commissioner", "leader", "park_operator", "provider_user"]
)
def test_pages_render_for_each_role(client, request, who, units, space_request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in [
        reverse("spaces:unit-list"),
        reverse("spaces:vacancy-map"),
        reverse("spaces:viewing-list"),
        reverse("spaces:unit-detail", args=[units["clean"].code]),
        reverse("spaces:request-list"),
        reverse("core:home"),
    ]:
        assert client.get(url).status_code == 200, (who, url)


def test_enterprise_files_a_request_through_the_form_and_sees_matches(client, enterprise_user, units, geo):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("spaces:request-create"),
        {
            "title": "洁净厂房",
            "space_type": "cleanroom",
            "area_min_m2": "150",
            "area_max_m2": "250",
            "budget": "3",
            "fields": ["LIF01"],
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "园区主题相符：生物芯片" in page and "租金 2.8 元/㎡·天 在预算内" in page


def test_bad_form_input_is_a_4xx_never_a_500(client, enterprise_user, operator, units):
    client.force_login(enterprise_user)
    for data in [
        {"title": "\u202e" * 3 + "😀" * 50, "area_min_m2": "３００", "area_max_m2": "1"},
        {"title": "x" * 5000, "area_min_m2": "1e9", "area_max_m2": "NaN"},
    ]:
        assert client.post(reverse("spaces:request-create"), data).status_code == 400
    client.force_login(operator)
    response = client.post(
        reverse("spaces:unit-reserve", args=[units["clean"].code]),
        {"space_request": "nope", "start_date": "99999-01-01", "end_date": "x"},
    )
    assert response.status_code == 400


def test_demo_generator_is_deterministic_and_idempotent(district_profile_loaded):
    from kechuang.spaces.demo import generate
    from kechuang.spaces.models import Lease, SpaceUnit

    first = generate(scale="tiny", seed=7, rng=random.Random("7:spaces"))
    assert first["房源"] == 2 * 18 and first["园区运营方"] == 4
    again = generate(scale="tiny", seed=7, rng=random.Random("7:spaces"))
    assert sum(again.values()) == 0
    assert SpaceUnit.objects.values("building__block").distinct().count() == 3
    assert Lease.objects.count() == first["租约"]


@pytest.fixture
def district_profile_loaded(db, settings):
    from kechuang.directory.profiles.apply import apply_profile
    from kechuang.directory.selectors import _load_profile
    from kechuang.testing.factories import OrganizationFactory

    _load_profile.cache_clear()
    apply_profile(settings.DISTRICT)
    for _n in range(5):
        OrganizationFactory()
