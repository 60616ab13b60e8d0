"""The directory API and its shell: token exchange, health check, schema and docs, organization
create/update/list (the issue's acceptance), with Chinese field errors and nothing half-written."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token

from kechuang.core.models import AuditEvent
from kechuang.directory.models import Organization
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, make_uscc

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"


@pytest.fixture
def operator_api(client, operator):
    token = Token.objects.create(user=operator)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def new_organization(**changes) -> dict:
    data = {"kind": "enterprise", "name": "上海菊园接口新建有限公司", "uscc": CODE}
    data.update(changes)
    return data


# --- token, health, schema, docs -------------------------------------------------------------------


def test_token_exchange_returns_a_token_that_authenticates(client, operator, password):
    response = client.post(
        reverse("api-token"), {"username": "op", "password": password}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["token"]
    people = client.get("/api/v1/people/", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert people.status_code == 200


def test_token_exchange_is_the_same_token_on_repeat(client, operator, password):
    first = client.post(
        reverse("api-token"), {"username": "op", "password": password}, content_type="application/json"
    ).json()
    second = client.post(
        reverse("api-token"), {"username": "op", "password": password}, content_type="application/json"
    ).json()
    assert first == second


def test_token_exchange_refuses_bad_input_with_400_not_500(client):
    for body in (
        {},
        {"username": "x"},
        {"username": "x" * 500, "password": "y"},
        {"username": ["a"], "password": 1},
    ):
        response = client.post(reverse("api-token"), body, content_type="application/json")
        assert response.status_code == 400, body
    response = client.post(reverse("api-token"), "not json", content_type="application/json")
    assert response.status_code == 400


def test_an_unknown_token_is_401(client):
    response = client.get("/api/v1/people/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_healthz_reports_the_database_status_as_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["database"]["vendor"] in ("sqlite", "postgresql")
    assert "no-store" in response["Cache-Control"]


def test_healthz_reports_an_unavailable_database_as_503_without_details(client, monkeypatch):
    from kechuang.core import views

    class Broken:
        vendor = "sqlite"

        def cursor(self):
            raise RuntimeError("password=hunter2 host=db.internal")

    monkeypatch.setattr(views, "connection", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["status"] == "unavailable"
    assert "hunter2" not in response.content.decode() and "db.internal" not in response.content.decode()


@pytest.mark.slow
@pytest.mark.any_database  # the schema is generated from the code, not from the database
def test_openapi_schema_is_valid_and_covers_the_directory(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    for route in (
        "/api/v1/organizations/",
        "/api/v1/organizations/{id}/",
        "/api/v1/people/",
        "/api/v1/fields/",
        "/api/v1/geography/blocks/",
        "/api/v1/auth/token/",
    ):
        assert route in schema["paths"], route
    assert "TokenAuth" in json.dumps(
        schema["components"].get("securitySchemes", {})
    ) or "tokenAuth" in json.dumps(schema["components"].get("securitySchemes", {}))


@pytest.mark.slow
def test_schema_is_served_as_json_and_loads_in_schemathesis(client):
    import schemathesis

    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = schemathesis.openapi.from_dict(response.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path == "/api/v1/organizations/" and op.method.upper() == "POST" for op in operations)


def test_docs_page_loads_with_same_origin_assets(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "swagger-ui" in page
        and "https://" not in page
        and "http://" not in page.replace("http://testserver", "")
    )


# --- organizations --------------------------------------------------------------------------------


def test_institutes_are_listed_by_kind(client, institute_org, enterprise_org, provider_org):
    InstituteFactory(name="中国科学院上海微系统与信息技术研究所")
    response = client.get("/api/v1/organizations/", {"kind": "institute"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["kind"] for row in body["results"]} == {"institute"}


def test_operator_lists_every_kind(operator_api, enterprise_org, institute_org):
    body = operator_api.get("/api/v1/organizations/").json()
    assert {"enterprise", "institute", "government"} <= {row["kind"] for row in body["results"]}


def test_operator_creates_an_organization_with_a_canonical_uscc(operator_api, operator):
    response = operator_api.post(
        "/api/v1/organizations/", new_organization(uscc="91350100m000100y43"), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["uscc"] == CODE and body["kind"] == "enterprise"
    assert Organization.objects.get(pk=body["id"]).created_by == operator
    assert AuditEvent.objects.filter(action="organization.create", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M000100Y4Z", "不允许的字符：Z"),
        ("9135010", "应为 18 位"),
    ],
)
def test_invalid_uscc_through_the_api_is_a_chinese_field_error_and_creates_nothing(
    operator_api, code, fragment
):
    before = Organization.objects.count()
    response = operator_api.post(
        "/api/v1/organizations/", new_organization(uscc=code), content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["uscc"]
    assert "统一社会信用代码" in body["uscc"][0] and fragment in body["uscc"][0]
    assert Organization.objects.count() == before


def test_duplicate_uscc_through_the_api_names_the_holder_and_creates_nothing(operator_api):
    OrganizationFactory(uscc=CODE, name="先到的企业")
    before = Organization.objects.count()
    response = operator_api.post(
        "/api/v1/organizations/",
        new_organization(uscc="９１３５０１００Ｍ０００１００Ｙ４３"),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "先到的企业" in response.json()["uscc"][0]
    assert Organization.objects.count() == before


def test_enterprise_without_uscc_through_the_api_is_refused(operator_api):
    response = operator_api.post(
        "/api/v1/organizations/", new_organization(uscc=""), content_type="application/json"
    )
    assert response.status_code == 400
    assert "企业必须填写统一社会信用代码" in response.json()["uscc"][0]


def test_duplicate_name_through_the_api_is_a_field_error(operator_api):
    OrganizationFactory(name="上海菊园接口新建有限公司", uscc=make_uscc(seed=5))
    response = operator_api.post(
        "/api/v1/organizations/", new_organization(), content_type="application/json"
    )
    assert response.status_code == 400
    assert "同名" in response.json()["name"][0]


def test_field_errors_use_chinese_labels_and_messages(operator_api):
    response = operator_api.post(
        "/api/v1/organizations/", {"kind": "university", "name": ""}, content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"kind", "name"}
    text = json.dumps(body, ensure_ascii=False)
    assert "university" in text and ("不是合法选项" in text or "有效的选项" in text or "选项" in text)
    assert "This field" not in text


def test_patch_updates_only_the_given_fields(operator_api, enterprise_org):
    response = operator_api.patch(
        f"/api/v1/organizations/{enterprise_org.pk}/",
        {"address": "嘉定区平城路 8 号"},
        content_type="application/json",
    )
    assert response.status_code == 200
    enterprise_org.refresh_from_db()
    assert enterprise_org.address == "嘉定区平城路 8 号"
    assert response.json()["uscc"] == enterprise_org.uscc


def test_patch_with_an_invalid_uscc_changes_nothing(operator_api, enterprise_org):
    before = Organization.objects.filter(pk=enterprise_org.pk).values().get()
    response = operator_api.patch(
        f"/api/v1/organizations/{enterprise_org.pk}/",
        {"uscc": "91350100M000100Y44", "address": "新地址"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Organization.objects.filter(pk=enterprise_org.pk).values().get() == before


def test_put_and_delete_are_not_offered(operator_api, enterprise_org):
    url = f"/api/v1/organizations/{enterprise_org.pk}/"
    assert operator_api.put(url, new_organization(), content_type="application/json").status_code == 405
    assert operator_api.delete(url).status_code == 405
    assert Organization.objects.filter(pk=enterprise_org.pk).exists()


def test_unknown_organization_is_404_json(operator_api):
    response = operator_api.get("/api/v1/organizations/999999/")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_page_size_is_capped(operator_api):
    for n in range(5):
        OrganizationFactory(name=f"分页企业{n}", uscc=make_uscc(seed=300 + n))
    body = operator_api.get("/api/v1/organizations/", {"page_size": 100000}).json()
    assert body["count"] >= 5
    assert operator_api.get("/api/v1/organizations/", {"page": 999}).status_code == 404
