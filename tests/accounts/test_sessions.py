"""docs/reliability.md A3: idle timeout, server-side logout, a new session id at sign-in."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX, SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts.middleware import SEEN_KEY
from kechuang.accounts.models import User
from kechuang.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "Session-Secret-Pass-3"
COOKIE = settings.SESSION_COOKIE_NAME


@pytest.fixture
def member(db):
    return User.objects.create_user(username="liuyang", password=PASSWORD)


def sign_in(client) -> str:
    response = client.post(reverse("accounts:login"), {"username": "liuyang", "password": PASSWORD})
    assert response.status_code == 302
    return client.cookies[COOKIE].value


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_idle_timeout_is_thirty_minutes_kept_on_the_server():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_TOUCH_SECONDS == 60  # the expiry slides at most once a minute
    assert "kechuang.accounts.middleware.SlidingSessionMiddleware" in settings.MIDDLEWARE
    # kept in the database, read through the shared cache (docs/adr/0029-page-speed.md)
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"


def _cached_copy_expired(key: str) -> None:
    """The cached copy of a session is written with the session's own expiry age, so the time that ends
    the stored session ends the cached copy too: tests that move the stored expiry drop the copy."""
    caches[settings.SESSION_CACHE_ALIAS].delete(KEY_PREFIX + key)


def _idle(key: str, minutes: float) -> None:
    """Make the stored session look as if its last request was ``minutes`` ago."""
    store = SessionStore(session_key=key)
    store[SEEN_KEY] = int(time.time() - minutes * 60)
    store.save()
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - minutes * 60)
    )
    _cached_copy_expired(key)  # read again from the database, with the expiry set above


def test_a_session_idle_for_thirty_minutes_sends_the_next_request_to_login(client, member):
    key = sign_in(client)
    assert client.get(reverse("accounts:profile")).status_code == 200
    # Thirty minutes and one second without a request: the stored expiry has passed.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    _cached_copy_expired(key)
    response = client.get(reverse("accounts:profile"))
    assert goes_to_login(response)


def test_activity_within_thirty_minutes_keeps_the_session_and_slides_the_expiry(client, member):
    key = sign_in(client)
    # Twenty-nine minutes idle: one minute left.
    _idle(key, 29)
    assert client.get(reverse("accounts:profile")).status_code == 200
    renewed = Session.objects.get(session_key=client.cookies[COOKIE].value).expire_date
    assert renewed > timezone.now() + timedelta(minutes=29)


def test_requests_within_a_minute_do_not_rewrite_the_session(client, member):
    key = sign_in(client)
    before = Session.objects.get(session_key=key).expire_date
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert client.get(reverse("accounts:profile")).status_code == 200
    assert not [q for q in queries if "django_session" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert Session.objects.get(session_key=key).expire_date == before
    # a minute later the next request slides the expiry (one write)
    _idle(key, 1.5)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("accounts:profile")).status_code == 200
    assert len([q for q in queries if "django_session" in q["sql"] and q["sql"].startswith("UPDATE")]) == 1
    assert Session.objects.get(session_key=key).expire_date > timezone.now() + timedelta(
        minutes=29, seconds=50
    )


def test_logout_deletes_the_session_on_the_server_so_the_old_cookie_no_longer_works(client, member):
    key = sign_in(client)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[COOKIE] = key
    assert goes_to_login(replay.get(reverse("accounts:profile")))
    assert AuditEvent.objects.filter(action="auth.logout", actor_id=member.pk).exists()


def test_logout_by_get_is_refused(client, member):
    sign_in(client)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_session_id_changes_at_sign_in(client, member):
    before = SessionStore()
    before["visited"] = True
    before.create()
    client.cookies[COOKIE] = before.session_key
    after = sign_in(client)
    assert after != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"] == str(member.pk)


def test_session_cookie_is_http_only_same_site_and_ends_with_the_browser(client, member):
    sign_in(client)
    cookie = client.cookies[COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]


def test_a_forged_session_id_is_not_accepted(client, member):
    client.cookies[COOKIE] = "x" * 32
    assert goes_to_login(client.get(reverse("accounts:profile")))


def test_sign_in_redirect_refuses_an_outside_next_url(client, member):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/",
        {"username": "liuyang", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_changing_the_password_signs_out_the_other_sessions_but_keeps_this_one(member):
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        sign_in(client)
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": "Kc7#pq2x-lab-2", "new_password2": "Kc7#pq2x-lab-2"},
    )
    assert response.status_code == 302
    assert here.get(reverse("accounts:profile")).status_code == 200
    assert goes_to_login(elsewhere.get(reverse("accounts:profile")))


def test_a_password_set_by_the_service_signs_out_existing_sessions(member):
    from kechuang.accounts import services

    client = Client()
    sign_in(client)
    services.password_change(actor=member, user=member, new_password="Kc7#pq2x-lab-3")
    assert goes_to_login(client.get(reverse("accounts:profile")))
