"""The signed-in user, roles and memberships from the shared cache (accounts.principal,
docs/adr/0029-page-speed.md): no query for them on a repeat request, and every change to them seen on
the next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kechuang.accounts import principal
from kechuang.accounts.backends import UserModel
from kechuang.accounts.choices import Role
from kechuang.core import figures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.PRINCIPAL_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def _sql(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _principal_queries(sql: list[str]) -> list[str]:
    return [
        q
        for q in sql
        if q.startswith("SELECT")
        and any(f'FROM "{table}"' in q for table in ("accounts_user", "auth_group", "accounts_membership"))
    ]


def test_a_repeat_request_reads_the_user_roles_and_memberships_from_the_cache(client, enterprise_user):
    client.force_login(enterprise_user)
    first = _sql(client, reverse("notifications:notification-list"))
    assert _principal_queries(first)  # the first request reads them from the database
    again = _sql(client, reverse("notifications:notification-list"))
    assert not _principal_queries(again)
    page = client.get(reverse("accounts:profile")).content.decode()
    organization = enterprise_user.memberships.get().organization
    assert (organization.short_name or organization.name) in page  # the acting organization, from the cache


def test_a_deactivated_account_is_signed_out_on_its_next_request(client, enterprise_user):
    client.force_login(enterprise_user)
    assert client.get(reverse("accounts:profile")).status_code == 200
    enterprise_user.is_active = False
    enterprise_user.save()
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_a_removed_role_is_gone_on_the_next_request(client, operator):
    client.force_login(operator)
    assert client.get(reverse("vouchers:review-queue")).status_code == 200
    operator.groups.remove(Group.objects.get(name=Role.OPERATOR))
    assert client.get(reverse("vouchers:review-queue")).status_code in (302, 403)


def test_a_renamed_organization_shows_on_the_next_request(client, enterprise_user):
    client.force_login(enterprise_user)
    client.get(reverse("accounts:profile"))
    organization = enterprise_user.memberships.get().organization
    organization.name = organization.short_name = "改名后的测试企业"
    organization.save()
    page = client.get(reverse("notifications:notification-list")).content.decode()
    assert 'data-testid="acting-organization">改名后的测试企业<' in page  # the header, from the principal


def test_an_entry_written_under_a_retired_token_is_refused(enterprise_user):
    loaded = principal.load_principal(UserModel, enterprise_user.pk)
    assert (
        loaded == enterprise_user
        and principal.load_principal(UserModel, enterprise_user.pk) == enterprise_user
    )
    # a request that read the database before a write stores what it read under the token it saw first
    stale_token = cache.get(figures.topic_key(principal.TOPIC))
    UserModel.objects.filter(pk=enterprise_user.pk).update(display_name="新名字")
    principal.retire_principals()
    stale = UserModel.objects.get(pk=enterprise_user.pk)
    stale.display_name = "旧名字"
    cache.set(f"kechuang:principal:{enterprise_user.pk}", (stale_token, stale), 300)
    assert principal.load_principal(UserModel, enterprise_user.pk).display_name == "新名字"


def test_without_the_cache_the_user_comes_from_the_database(client, enterprise_user, monkeypatch):
    client.force_login(enterprise_user)
    client.get(reverse("accounts:profile"))

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(principal.cache, "get_many", down)
    assert _principal_queries(_sql(client, reverse("accounts:profile")))


def test_no_such_user_is_none(db):
    assert principal.load_principal(UserModel, 987654) is None


def test_the_modules_read_the_memberships_from_the_principal(enterprise_user, django_assert_num_queries):
    from kechuang.directory import permissions as directory
    from kechuang.instruments import permissions as instruments
    from kechuang.ip import permissions as ip
    from kechuang.spaces import permissions as spaces

    expected = directory.member_organization_ids(UserModel.objects.get(pk=enterprise_user.pk))
    assert expected
    user = principal.load_principal(UserModel, enterprise_user.pk)
    with django_assert_num_queries(0):
        assert directory.member_organization_ids(user) == expected
        assert instruments.member_organization_ids(user) == expected
        assert ip.member_organization_ids(user) == expected
        assert spaces.member_organization_ids(user) == expected
