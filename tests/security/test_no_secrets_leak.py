"""docs/reliability.md C3 and E1: no password, session id or full phone number in the logs or on error pages;
with DEBUG off an error shows a generic page with a reference id."""

from __future__ import annotations

import io
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from kechuang.accounts.models import User
from kechuang.core import audit
from kechuang.core.logging import RedactFilter, redact
from kechuang.testing.factories import PersonFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Very-Secret-Pass-42"
PHONE = "13812345678"
MASKED = "138****5678"


def exploding_view(request: HttpRequest) -> HttpResponse:
    request.session["touched"] = True
    raise RuntimeError(f"could not reach {PHONE} password={PASSWORD} sessionid={request.session.session_key}")


def exploding_without_secrets(request: HttpRequest) -> HttpResponse:
    raise ValueError("plain failure")


urlpatterns = [
    path("boom/", exploding_view),
    path("boom-plain/", exploding_without_secrets),
    path("", include("kechuang.urls")),
]
handler400 = "kechuang.core.views.bad_request"
handler403 = "kechuang.core.views.permission_denied"
handler404 = "kechuang.core.views.page_not_found"
handler500 = "kechuang.core.views.server_error"


@pytest.fixture
def log_output():
    """Everything the platform's log handlers write, with every logger opened up to DEBUG."""
    stream = io.StringIO()
    handlers = {
        h
        for name in ("", "django", "django.request", "django.security", "axes", "kechuang")
        for h in logging.getLogger(name).handlers
        if any(isinstance(f, RedactFilter) for f in h.filters)
    }
    assert handlers, "no handler with the redaction filter is configured"
    old_streams = {h: h.setStream(stream) for h in handlers}
    loggers = [logging.getLogger(n) for n in ("", "django", "django.request", "django.security", "axes")]
    old_levels = {lg: lg.level for lg in loggers}
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    yield stream
    for h, old in old_streams.items():
        h.setStream(old)
    for lg, level in old_levels.items():
        lg.setLevel(level)


@pytest.fixture
def member(db):
    return User.objects.create_user(username="sunli", password=PASSWORD, phone=PHONE)


def assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        if secret:
            assert secret not in text, f"{secret!r} leaked"


def test_redact_hides_passwords_tokens_session_ids_and_phones():
    text = (
        f"password={PASSWORD} token: abcdef123 sessionid=abc123xyz Authorization: Token 9f8e7d "
        f"call {PHONE} or 138-1234-5678 or +86 138 1234 5678 or +8613812345678, card 6222020200112233445"
    )
    cleaned = redact(text)
    assert_clean(
        cleaned,
        PASSWORD,
        "abcdef123",
        "abc123xyz",
        "9f8e7d",
        PHONE,
        "1234-5678",
        "1234 5678",
        "6222020200112233445",
    )
    assert MASKED in cleaned


@pytest.mark.slow
def test_failed_and_successful_sign_in_leave_no_password_or_session_id_in_the_logs(
    client, member, log_output
):
    client.post(reverse("accounts:login"), {"username": "sunli", "password": "Wrong-" + PASSWORD})
    for i in range(5):
        client.post(reverse("accounts:login"), {"username": "sunli", "password": f"{PASSWORD}-{i}"})
    client.post(reverse("accounts:login"), {"username": "sunli", "password": PASSWORD})
    client.post(
        reverse("accounts:login"), {"username": "sunli", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.get(reverse("accounts:profile"))
    output = log_output.getvalue()
    assert "AXES" in output  # the log was really captured
    assert_clean(output, PASSWORD, session_id, PHONE)


def test_axes_records_do_not_keep_the_password(client, member):
    for i in range(3):
        client.post(reverse("accounts:login"), {"username": "sunli", "password": f"{PASSWORD}-{i}"})
    for attempt in AccessAttempt.objects.all():
        assert_clean(attempt.post_data + attempt.get_data, PASSWORD)
    for failure in AccessFailureLog.objects.all():
        assert_clean(str(failure.__dict__), PASSWORD)


@pytest.mark.urls(__name__)
def test_an_error_logs_no_secret_and_shows_a_generic_page_with_a_reference_id(member, log_output):
    client = Client(raise_request_exception=False)
    client.force_login(member)
    session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.get("/boom/", {"phone": PHONE})
    assert response.status_code == 500
    page = response.content.decode()
    request_id = response["X-Request-ID"]
    assert request_id and request_id in page
    assert "服务器出了点问题" in page
    assert "Traceback" not in page and "RuntimeError" not in page and "could not reach" not in page
    assert_clean(page, PASSWORD, session_id, PHONE)
    output = log_output.getvalue()
    assert "RuntimeError" in output and "Internal Server Error" in output
    assert MASKED in output
    assert_clean(output, PASSWORD, session_id, PHONE)


@pytest.mark.urls(__name__)
def test_error_page_without_debug_shows_no_settings_or_paths(member):
    client = Client(raise_request_exception=False)
    response = client.get("/boom-plain/")
    page = response.content.decode()
    assert response.status_code == 500
    assert_clean(page, settings.SECRET_KEY, "plain failure", "site-packages", str(settings.HOME))
    assert not settings.DEBUG


@pytest.mark.urls(__name__)
def test_error_page_still_answers_with_its_reference_id_when_the_template_fails(monkeypatch):
    from kechuang.core import views

    def broken_render(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(views, "render", broken_render)
    client = Client(raise_request_exception=False)
    response = client.get("/boom-plain/")
    assert response.status_code == 500
    assert response["X-Request-ID"] in response.content.decode()
    assert "template engine down" not in response.content.decode()


def test_not_found_and_forbidden_pages_carry_a_reference_id_and_no_detail(
    client, enterprise_user, other_enterprise_org
):
    missing = client.get("/directory/organizations/999999/")
    assert missing.status_code == 404 and missing["X-Request-ID"] in missing.content.decode()
    client.force_login(enterprise_user)
    refused = client.get(reverse("directory:organization-update", args=[other_enterprise_org.pk]))
    assert refused.status_code == 403 and refused["X-Request-ID"] in refused.content.decode()
    assert_clean(refused.content.decode(), other_enterprise_org.contact_phone)


def test_audit_details_hide_passwords_tokens_and_phones(db):
    event = audit.record(
        "test.sensitive",
        detail={"password": PASSWORD, "nested": {"token": "abc", "phone": PHONE}, "note": "ok"},
    )
    text = event.canonical()
    assert_clean(text, PASSWORD, "abc", PHONE)
    assert event.detail["note"] == "ok"


def test_person_pages_of_another_organization_show_masked_phones_only(
    client, other_enterprise_user, enterprise_org
):
    person = PersonFactory(organization=enterprise_org, phone=PHONE)
    client.force_login(other_enterprise_user)
    for url in (
        reverse("directory:person-detail", args=[person.pk]),
        reverse("directory:person-list"),
        reverse("directory:organization-detail", args=[enterprise_org.pk]),
    ):
        page = client.get(url).content.decode()
        assert_clean(page, PHONE)
