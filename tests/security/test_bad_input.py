"""docs/reliability.md K2: the organization form and the API given full-width, emoji, very long, NUL and
right-to-left text: accepted, or refused with a 4xx, never a 500; and output is always escaped."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from kechuang.directory.models import Organization
from kechuang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('kc')</script>"
VALUES = {
    "full_width": "ＡＢＣ全角企业１２３（上海）",
    "emoji": "😀🚀 智感科技 👩‍🔬",
    "long": "长" * 5000,
    "nul": "菊园\x00科技",
    "rtl": "\u202eشركة التقنية\u202c \u200f科技",
    "markup": f'{SCRIPT}"><img src=x onerror=alert(1)>',
    "sql": "'; DROP TABLE directory_organization; --",
    "zero_width": "\u200b\ufeff菊园\u2060",
}
FIELDS = ["name", "short_name", "description", "address", "contact_name", "contact_phone", "website", "uscc"]


def base(n: int) -> dict:
    return {
        "kind": "enterprise",
        "name": f"坏输入测试企业{n}",
        "uscc": make_uscc(seed=9000 + n),
        "researchers": "0",
    }


def no_raw_markup(html: str) -> None:
    assert SCRIPT not in html
    assert "<img src=x onerror" not in html


@pytest.fixture
def operator_client(operator) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(operator)
    return client


@pytest.fixture
def operator_api(operator) -> Client:
    token = Token.objects.create(user=operator)
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(VALUES))
def test_organization_form_accepts_or_refuses_odd_text_without_error_and_escapes_it(operator_client, kind):
    value = VALUES[kind]
    for n, field in enumerate(FIELDS):
        data = base(n)
        data[field] = value if field != "name" else value[:100] + f"{n}"
        response = operator_client.post(reverse("directory:organization-create"), data)
        assert response.status_code in (302, 400), (field, response.status_code)
        no_raw_markup(response.content.decode())
        if response.status_code == 302:
            detail = operator_client.get(response["Location"])
            assert detail.status_code == 200
            no_raw_markup(detail.content.decode())
            edit = operator_client.get(response["Location"] + "edit/")
            assert edit.status_code == 200
            no_raw_markup(edit.content.decode())
    listing = operator_client.get(reverse("directory:organization-list"))
    assert listing.status_code == 200
    no_raw_markup(listing.content.decode())


@pytest.mark.parametrize("kind", list(VALUES))
def test_organization_api_accepts_or_refuses_odd_text_without_error(operator_api, kind):
    value = VALUES[kind]
    for n, field in enumerate(FIELDS):
        data = base(n)
        data[field] = value
        response = operator_api.post("/api/v1/organizations/", data, content_type="application/json")
        assert response.status_code in (201, 400), (field, response.status_code)
        assert response["Content-Type"].startswith("application/json")
        if response.status_code == 201:
            stored = Organization.objects.get(pk=response.json()["id"])
            assert "\x00" not in getattr(stored, field) or ""
    assert operator_api.get("/api/v1/organizations/").status_code == 200


@pytest.mark.parametrize("kind", list(VALUES))
def test_patch_with_odd_text_never_fails(operator_api, enterprise_org, kind):
    for field in FIELDS:
        response = operator_api.patch(
            f"/api/v1/organizations/{enterprise_org.pk}/",
            {field: VALUES[kind]},
            content_type="application/json",
        )
        assert response.status_code in (200, 400), (field, response.status_code)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(VALUES))
def test_searches_and_filters_with_odd_text_never_fail(operator_client, operator_api, kind):
    value = VALUES[kind][:1000]
    for params in (
        {"q": value},
        {"kind": value},
        {"block": value},
        {"park": value},
        {"field": value},
        {"qualification": value},
        {"is_key": value},
        {"page": value},
    ):
        page = operator_client.get(reverse("directory:organization-list"), params)
        assert page.status_code in (200, 400), (params.keys(), page.status_code)
        no_raw_markup(page.content.decode())
        api = operator_api.get("/api/v1/organizations/", params)
        assert api.status_code in (200, 400, 404), (params.keys(), api.status_code)
    for params in ({"q": value}, {"organization": value}, {"title": value}, {"field": value}):
        assert operator_client.get(reverse("directory:person-list"), params).status_code in (200, 400)
        assert operator_api.get("/api/v1/people/", params).status_code in (200, 400, 404)


@pytest.mark.parametrize("kind", list(VALUES))
def test_anonymous_searches_and_sign_in_with_odd_text_never_fail(kind):
    client = Client(raise_request_exception=False)
    value = VALUES[kind][:1000]
    assert client.get(reverse("directory:organization-list"), {"q": value}).status_code in (200, 400)
    assert client.get("/api/v1/organizations/", {"q": value}).status_code in (200, 400)
    assert client.get("/api/v1/fields/", {"parent__code": value}).status_code in (200, 400)
    login = client.post(reverse("accounts:login"), {"username": value, "password": value})
    assert login.status_code in (200, 400, 429)
    no_raw_markup(login.content.decode())
    token = client.post(
        reverse("api-token"), {"username": value, "password": value}, content_type="application/json"
    )
    assert token.status_code in (400, 429)


def test_path_parameters_out_of_range_or_odd_are_404_not_500():
    client = Client(raise_request_exception=False)
    for url in (
        "/api/v1/organizations/99999999999999999999999/",
        "/api/v1/organizations/-1/",
        "/api/v1/organizations/%00/",
        "/api/v1/fields/%00/",
        "/api/v1/geography/blocks/%F0%9F%98%80/",
        "/directory/organizations/99999999999999999999999/",
    ):
        assert client.get(url).status_code in (400, 404), url


def test_malformed_json_and_wrong_types_are_400(operator_api):
    for body in (
        "{",
        "[]",
        '"text"',
        "null",
        '{"kind": 1, "name": ["a"]}',
        '{"researchers": "many"}',
        '{"fields": "F001"}',
        '{"qualifications": {"a": 1}}',
        '{"founded_on": "2024-13-45"}',
    ):
        response = operator_api.post("/api/v1/organizations/", body, content_type="application/json")
        assert response.status_code == 400, body


def test_html_in_fields_is_stored_as_text_and_shown_escaped(operator_client):
    data = base(99)
    data["description"] = SCRIPT
    response = operator_client.post(reverse("directory:organization-create"), data)
    assert response.status_code == 302
    page = operator_client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;alert(&#x27;kc&#x27;)&lt;/script&gt;" in page
    assert Organization.objects.get(name=data["name"]).description == SCRIPT


def test_nul_characters_anywhere_are_a_400_with_a_chinese_message(operator_api, operator_client):
    json_body = operator_api.post(
        "/api/v1/organizations/", {"kind": "institute", "name": "a\x00b"}, content_type="application/json"
    )
    nested = operator_api.post(
        "/api/v1/organizations/",
        {"kind": "institute", "name": "ok", "fields": ["F\x00"]},
        content_type="application/json",
    )
    query = operator_api.get("/api/v1/organizations/", {"q": "a\x00"})
    path = operator_api.get("/api/v1/fields/a%00b/")
    page = operator_client.get(reverse("directory:organization-list"), {"q": "\x00"})
    form = operator_client.post(
        reverse("directory:organization-create"), {"kind": "institute", "name": "a\x00"}
    )
    for response in (json_body, nested, query, path):
        assert response.status_code == 400
        assert "空字符" in response.json()["detail"]
    assert page.status_code == 400 and form.status_code == 400
    assert not Organization.objects.filter(name__startswith="a").exists()


def test_a_very_long_username_is_an_ordinary_failed_sign_in():
    client = Client(raise_request_exception=False)
    for _ in range(6):
        response = client.post(reverse("accounts:login"), {"username": "长" * 5000, "password": "x"})
    assert response.status_code in (200, 429)
