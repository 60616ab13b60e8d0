"""docs/reliability.md A2: five wrong passwords for one account from one address lock that pair for five
minutes; the answer never tells whether the account exists; the lock-out is audited."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.models import User
from kechuang.core.models import AuditEvent, AuditResult

pytestmark = pytest.mark.django_db

RIGHT = "Right-Secret-Pass-7"
ADDRESS = "10.1.2.3"
LOCKED = "登录失败次数过多"


@pytest.fixture
def member(db):
    return User.objects.create_user(username="chenjing", password=RIGHT)


def web_login(client, username, password, address=ADDRESS):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def api_login(client, username, password, address=ADDRESS):
    return client.post(
        reverse("api-token"),
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def fail_five_times(login, client, username):
    return [login(client, username, f"wrong-password-{i}") for i in range(5)]


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def clock():
    """Moves the clock axes reads, to show when the lock ends."""
    start = timezone.now()

    class Clock:
        offset = timedelta(0)

        def now(self):
            return start + self.offset

    c = Clock()
    with mock.patch("axes.handlers.proxy.now", c.now):
        yield c


def test_four_failures_do_not_lock_the_account(client, member):
    for i in range(4):
        web_login(client, "chenjing", f"wrong-{i}")
    response = web_login(client, "chenjing", RIGHT)
    assert response.status_code == 302
    assert signed_in(client)


def test_sixth_attempt_with_the_right_password_is_refused_after_five_failures(client, member):
    answers = fail_five_times(web_login, client, "chenjing")
    assert all(a.status_code in (200, 429) for a in answers)
    response = web_login(client, "chenjing", RIGHT)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not signed_in(client)


def test_lock_still_holds_just_before_five_minutes(client, member, clock):
    fail_five_times(web_login, client, "chenjing")
    clock.offset = timedelta(minutes=4, seconds=50)
    assert web_login(client, "chenjing", RIGHT).status_code == 429
    assert not signed_in(client)


def test_lock_lifts_after_five_minutes_without_further_attempts(client, member, clock):
    fail_five_times(web_login, client, "chenjing")
    clock.offset = timedelta(minutes=5, seconds=30)
    assert web_login(client, "chenjing", RIGHT).status_code == 302
    assert signed_in(client)


def test_an_attempt_during_the_lock_restarts_the_five_minutes(client, member, clock):
    fail_five_times(web_login, client, "chenjing")
    clock.offset = timedelta(minutes=4)
    assert web_login(client, "chenjing", RIGHT).status_code == 429
    clock.offset = timedelta(minutes=8)
    assert web_login(client, "chenjing", RIGHT).status_code == 429
    clock.offset = timedelta(minutes=13, seconds=30)
    assert web_login(client, "chenjing", RIGHT).status_code == 302


def test_lock_applies_to_the_account_and_address_pair_only(client, member):
    fail_five_times(web_login, client, "chenjing")
    response = web_login(client, "chenjing", RIGHT, address="10.9.9.9")
    assert response.status_code == 302


def test_failures_and_lock_look_the_same_for_a_missing_account(client, member):
    """Same status and same words whether the account exists or not (no account enumeration)."""
    existing = [web_login(client, "chenjing", f"wrong-{i}") for i in range(6)]
    missing = [web_login(client, "nobody-here", f"wrong-{i}") for i in range(6)]
    for a, b in zip(existing, missing, strict=True):
        assert a.status_code == b.status_code
        text_a = a.content.decode().replace("chenjing", "NAME")
        text_b = b.content.decode().replace("nobody-here", "NAME")
        assert ("用户名或密码不正确" in text_a) == ("用户名或密码不正确" in text_b)
        assert (LOCKED in text_a) == (LOCKED in text_b)
    assert existing[-1].status_code == 429


def test_lockout_is_audited_with_user_address_and_request_id(client, member):
    fail_five_times(web_login, client, "chenjing")
    response = web_login(client, "chenjing", RIGHT)
    event = AuditEvent.objects.filter(action="auth.lockout").order_by("-id").first()
    assert event is not None
    assert event.actor_username == "chenjing"
    assert event.ip == ADDRESS
    assert event.result == AuditResult.DENIED
    assert event.request_id and event.request_id == response["X-Request-ID"]
    failures = AuditEvent.objects.filter(
        action="auth.login", result=AuditResult.FAILED, actor_username="chenjing"
    )
    assert failures.count() >= 5


def test_api_token_after_five_failures_is_a_clean_429_json(client, member):
    answers = fail_five_times(api_login, client, "chenjing")
    assert [a.status_code for a in answers[:4]] == [400] * 4
    response = api_login(client, "chenjing", RIGHT)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "token" not in body and LOCKED in body["detail"]
    assert AuditEvent.objects.filter(action="auth.lockout", actor_username="chenjing").exists()
    assert not AuditEvent.objects.filter(action="auth.token").exists()


def test_api_lockout_is_the_same_for_a_missing_account(client, member):
    fail_five_times(api_login, client, "chenjing")
    fail_five_times(api_login, client, "nobody-here")
    a = api_login(client, "chenjing", RIGHT)
    b = api_login(client, "nobody-here", RIGHT)
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def test_api_token_with_the_right_password_returns_a_token(client, member):
    response = api_login(client, "chenjing", RIGHT)
    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    assert len(response.json()["token"]) >= 40


def test_api_wrong_password_and_missing_account_answer_alike(client, member):
    a = api_login(client, "chenjing", "wrong")
    b = api_login(client, "nobody-here", "wrong")
    assert (a.status_code, a.json()) == (b.status_code, b.json()) == (400, a.json())
    assert "用户名或密码不正确" in a.json()["detail"]


def test_inactive_account_gets_the_same_answer_as_a_wrong_password(client, member):
    member.is_active = False
    member.save()
    a = api_login(client, "chenjing", RIGHT)
    b = api_login(client, "nobody-here", "wrong")
    assert (a.status_code, a.json()) == (b.status_code, b.json())


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, member):
    """Without a trusted proxy the address is REMOTE_ADDR; X-Forwarded-For cannot rotate it."""
    for i in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": "chenjing", "password": f"wrong-{i}"},
            REMOTE_ADDR=ADDRESS,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
    response = client.post(
        reverse("accounts:login"),
        {"username": "chenjing", "password": RIGHT},
        REMOTE_ADDR=ADDRESS,
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert response.status_code == 429


def test_behind_one_trusted_proxy_the_address_the_proxy_saw_is_used(client, member, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for i in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": "chenjing", "password": f"wrong-{i}"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, {ADDRESS}",  # forged part first, the proxy's entry last
        )
    event = AuditEvent.objects.filter(action="auth.login").order_by("-id").first()
    assert event.ip == ADDRESS
    response = client.post(
        reverse("accounts:login"),
        {"username": "chenjing", "password": RIGHT},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=f"198.51.100.77, {ADDRESS}",
    )
    assert response.status_code == 429
