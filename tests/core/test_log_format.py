"""The log lines (docs/adr/0021-observability.md, docs/reliability.md C3): every line written during a
request carries its request id and the signed-in user's id, never the name or the phone; LOG_FORMAT=json
writes one object per line with the request line's fields; redaction holds in both formats."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from kechuang.accounts.models import User
from kechuang.core.logging import JsonFormatter, PlainFormatter, RedactFilter

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
PASSWORD = "Very-Secret-Pass-42"
view_logger = logging.getLogger("kechuang.testview")


def logging_view(request: HttpRequest) -> HttpResponse:
    request.user.is_authenticated  # noqa: B018 (the view asks who is there, as views do)
    view_logger.warning("looked up %s for the caller", PHONE)
    return HttpResponse("ok")


def exploding_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"could not reach {PHONE} password={PASSWORD}")


urlpatterns = [
    path("log-something/", logging_view, name="log-something"),
    path("boom/", exploding_view),
    path("", include("kechuang.urls")),
]
handler500 = "kechuang.core.views.server_error"


@pytest.fixture
def console():
    """The platform's console handler (its filters as configured), writing into a buffer; ``use(fmt)``
    switches its formatter as LOG_FORMAT would."""
    handlers = [
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactFilter) for f in h.filters)
    ]
    assert len(handlers) == 1, "the console handler with the redaction filter is configured once"
    handler = handlers[0]
    stream = io.StringIO()
    old_stream, old_formatter = handler.setStream(stream), handler.formatter

    class Console:
        buffer = stream

        @staticmethod
        def use(formatter: logging.Formatter) -> None:
            handler.setFormatter(formatter)

        @staticmethod
        def lines() -> list[str]:
            return [line for line in stream.getvalue().splitlines() if line.strip()]

        def json_lines(self) -> list[dict]:
            return [json.loads(line) for line in self.lines()]

    yield Console()
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


@pytest.fixture
def member(db):
    return User.objects.create_user(
        username="sunli", password=PASSWORD, phone=PHONE, display_name="孙丽", email="sunli@example.cn"
    )


def test_the_json_request_line_names_the_request_and_the_user_by_id_only(client, member, console, settings):
    settings.LOG_REQUESTS = True
    console.use(JsonFormatter())
    client.force_login(member)
    response = client.get("/accounts/profile/")
    assert response.status_code == 200
    line = next(e for e in console.json_lines() if e["logger"] == "kechuang.request")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == member.pk
    assert line["method"] == "GET" and line["path"] == "/accounts/profile/" and line["status"] == 200
    assert line["view"] == "accounts:profile"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and isinstance(line["pid"], int)
    assert dt.datetime.fromisoformat(line["time"]).utcoffset() == dt.timedelta(0)
    text = console.buffer.getvalue()
    for personal in ("sunli", "孙丽", PHONE, "sunli@example.cn", client.cookies["sessionid"].value):
        assert personal not in text


def test_an_anonymous_request_line_has_no_user_and_the_path_is_redacted(client, console, settings):
    settings.LOG_REQUESTS = True
    console.use(JsonFormatter())
    response = client.get(f"/directory/people/{PHONE}/?q={PHONE}")
    line = next(e for e in console.json_lines() if e["logger"] == "kechuang.request")
    assert line["user_id"] is None
    assert line["status"] == response.status_code
    assert line["path"] == "/directory/people/138****5678/"  # no query string, the phone masked
    assert PHONE not in console.buffer.getvalue()


def test_no_request_line_unless_asked(client, console, settings):
    settings.LOG_REQUESTS = False
    console.use(JsonFormatter())
    client.get("/healthz")
    assert not [e for e in console.json_lines() if e["logger"] == "kechuang.request"]


def test_a_line_written_inside_a_view_carries_the_request_and_user(client, member, console, settings):
    settings.ROOT_URLCONF = __name__
    console.use(JsonFormatter())
    client.force_login(member)
    response = client.get("/log-something/")
    line = next(e for e in console.json_lines() if e["logger"] == "kechuang.testview")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == member.pk
    assert line["message"] == "looked up 138****5678 for the caller"
    assert line["level"] == "WARNING"


def test_an_error_keeps_its_redacted_traceback_and_the_reference_shown_to_the_user(console, settings):
    settings.ROOT_URLCONF = __name__
    console.use(JsonFormatter())
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    line = next(e for e in console.json_lines() if e["logger"] == "django.request")
    assert line["request_id"] == response["X-Request-ID"]
    assert line["request_id"] in response.content.decode()  # the reference on the error page
    assert "RuntimeError" in line["exception"] and "Traceback" in line["exception"]
    text = console.buffer.getvalue()
    assert PHONE not in text and PASSWORD not in text


def test_outside_a_request_the_ids_are_empty(console):
    console.use(JsonFormatter())
    logging.getLogger("kechuang.scheduler").info("job %s ok", "sla-tick")
    line = console.json_lines()[-1]
    assert line["request_id"] is None and line["user_id"] is None
    assert line["message"] == "job sla-tick ok" and line["logger"] == "kechuang.scheduler"


def test_the_plain_format_carries_the_ids_in_brackets(client, member, console, settings):
    settings.ROOT_URLCONF = __name__
    console.use(PlainFormatter())
    client.force_login(member)
    response = client.get("/log-something/")
    line = next(line for line in console.lines() if "kechuang.testview" in line)
    assert f"[rid={response['X-Request-ID']} uid={member.pk}] looked up 138****5678" in line
    logging.getLogger("kechuang.scheduler").info("outside")
    assert console.lines()[-1].endswith("INFO kechuang.scheduler outside")


def test_an_unknown_log_format_is_refused_with_a_clear_message(tmp_path):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "LOG_FORMAT": "xml",
        "KECHUANG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", "import kechuang.settings.base"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "LOG_FORMAT 只能是 plain 或 json" in result.stderr


def test_an_api_call_with_a_token_is_logged_with_the_tokens_user(client, operator, console, settings):
    from rest_framework.authtoken.models import Token

    settings.LOG_REQUESTS = True
    console.use(JsonFormatter())
    token = Token.objects.create(user=operator)
    response = client.get("/api/v1/organizations/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    line = next(e for e in console.json_lines() if e["logger"] == "kechuang.request")
    assert line["user_id"] == operator.pk and line["view"] == "organization-list"
    assert token.key not in console.buffer.getvalue()
