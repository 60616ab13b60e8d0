"""docs/reliability.md A4: a fresh install has no default password that works; demo accounts exist, and
work, only in demo mode."""

from __future__ import annotations

import contextlib
import importlib.util

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from kechuang.accounts.choices import Role
from kechuang.accounts.models import User

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "Demo-Known-Pass-2026"
HAS_DEMO_ACCOUNTS = importlib.util.find_spec("kechuang.directory.demo") is not None and (
    importlib.util.find_spec("kechuang.directory.demo.accounts") is not None
)


def test_migrate_creates_no_user_only_the_role_groups():
    assert User.objects.count() == 0
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.mark.slow
@pytest.mark.parametrize("username", ["admin", "root", "operator", "demo", "test", "kechuang"])
@pytest.mark.parametrize("password", ["admin", "123456", "password", "kechuang", DEMO_PASSWORD])
def test_no_usual_default_credential_signs_in_on_a_fresh_install(client, username, password):
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_demo_command_refuses_to_run_outside_demo_mode(settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="演示模式"):
        call_command("demo", no_serve=True, demo_password=DEMO_PASSWORD)
    assert User.objects.count() == 0


@pytest.fixture
def demo_account(db):
    user = User.objects.create_user(username="demo-operator", password=DEMO_PASSWORD, is_demo=True)
    return user


def test_demo_account_signs_in_in_demo_mode(client, settings, demo_account):
    settings.DEMO_MODE = True
    client.post(reverse("accounts:login"), {"username": "demo-operator", "password": DEMO_PASSWORD})
    assert client.session.get("_auth_user_id") == str(demo_account.pk)


def test_demo_account_cannot_sign_in_once_demo_mode_is_off(client, settings, demo_account):
    settings.DEMO_MODE = False
    response = client.post(
        reverse("accounts:login"), {"username": "demo-operator", "password": DEMO_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert "用户名或密码不正确" in response.content.decode()


def test_a_demo_session_ends_when_demo_mode_is_switched_off(settings, demo_account):
    settings.DEMO_MODE = True
    client = Client()
    client.post(reverse("accounts:login"), {"username": "demo-operator", "password": DEMO_PASSWORD})
    assert client.get(reverse("accounts:profile")).status_code == 200
    settings.DEMO_MODE = False
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_demo_account_token_is_refused_once_demo_mode_is_off(client, settings, demo_account):
    token = Token.objects.create(user=demo_account)
    settings.DEMO_MODE = True
    assert client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    settings.DEMO_MODE = False
    assert client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401
    response = client.post(
        reverse("api-token"),
        {"username": "demo-operator", "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 400


@pytest.mark.skipif(not HAS_DEMO_ACCOUNTS, reason="kechuang.directory.demo.accounts not written yet")
def test_demo_accounts_are_marked_and_stop_working_when_demo_mode_is_off(settings):
    from kechuang.directory.demo.accounts import ensure_demo_accounts

    settings.DEMO_MODE = True
    accounts = ensure_demo_accounts(DEMO_PASSWORD)
    users = User.objects.all()
    assert users.exists()
    assert all(user.is_demo for user in users)
    credentials = {"username": accounts[0]["username"], "password": DEMO_PASSWORD}
    demo = Client()
    demo.post(reverse("accounts:login"), credentials)
    assert "_auth_user_id" in demo.session
    settings.DEMO_MODE = False
    production = Client()
    production.post(reverse("accounts:login"), credentials)
    assert "_auth_user_id" not in production.session
    assert demo.get(reverse("accounts:profile")).status_code == 302


@pytest.mark.skipif(not HAS_DEMO_ACCOUNTS, reason="kechuang.directory.demo.accounts not written yet")
def test_ensure_demo_accounts_creates_nothing_outside_demo_mode(settings):
    from kechuang.directory.demo.accounts import ensure_demo_accounts

    settings.DEMO_MODE = False
    with contextlib.suppress(Exception):  # refusing loudly is as good as refusing quietly
        ensure_demo_accounts(DEMO_PASSWORD)
    assert not User.objects.exists()
