"""docs/reliability.md K5, issue 14 item 12: each class of bad input, sent to every operation of the OpenAPI
schema, is a JSON 4xx naming what to fix, never a 5xx: nesting beyond the parser's depth, numbers no field
holds (``1e999``, ``NaN``, 2⁶⁴), dates at the ends of the calendar, ids over 2⁶³ in filters and paths, and
bodies over the size limit. The operations come from the schema the API serves, so a new endpoint is
covered without a line here. Runs in both passes (SQLite refuses integers over 2⁶³ with an error, which
is why the id class matters there).
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from rest_framework.authtoken.models import Token

from kechuang.api.parsers import MAX_DEPTH

pytestmark = pytest.mark.django_db

HUGE_ID = "99999999999999999999"
BAD_NUMBERS = ["1e999", "-1e999", "NaN", "Infinity", "18446744073709551616", "-18446744073709551616"]
BAD_QUERY_NUMBERS = [HUGE_ID, "-" + HUGE_ID, "1e999", "NaN", "Infinity", "1.5"]
BAD_DATES = {
    "date": ["9999-12-31", "0001-01-01"],
    "date-time": ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"],
}
METHODS = ("get", "post", "put", "patch", "delete")


def _schema() -> dict[str, Any]:
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


SCHEMA: dict[str, Any] = {}


@pytest.fixture
def schema() -> dict[str, Any]:
    if not SCHEMA:
        SCHEMA.update(_schema())
    return SCHEMA


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].split("/")[-1]]
    return node


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                found.append((method, path, operation))
    return found


def fill(path: str, operation: dict[str, Any], id_value: str = "1") -> str:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path":
            value = id_value if parameter["schema"].get("type") == "integer" else "ZZ-NONE-1"
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def body_properties(schema: dict[str, Any], operation: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return "application/json", _resolve(schema, content["application/json"]["schema"]).get(
            "properties", {}
        )
    if content:
        media, spec = next(iter(content.items()))
        return media, _resolve(schema, spec["schema"]).get("properties", {})
    return "", {}


@pytest.fixture
def clients(operator) -> dict[str, Client]:
    token = Token.objects.create(user=operator)
    return {
        "anonymous": Client(raise_request_exception=False),
        "operator": Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}"),
    }


def send(client: Client, method: str, path: str, body: str | bytes | None, media: str) -> Any:
    call = getattr(client, method)
    if body is None:
        return call(path)
    return call(path, body, content_type=media)


def assert_json_4xx(response: Any, where: str, field: str | None = None) -> None:
    assert response.status_code < 500, (where, response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), (where, response["Content-Type"])
        if response.status_code == 400 and field is not None:
            assert field in json.loads(response.content), (where, response.content[:300])


def test_the_schema_has_operations_of_every_shape(schema):
    ops = operations(schema)
    assert len(ops) > 100
    assert any(body_properties(schema, op)[0] == "application/json" for _m, _p, op in ops)
    assert any(p["in"] == "query" for _m, _p, op in ops for p in op.get("parameters", []))


def test_nesting_beyond_the_depth_limit_is_a_json_400_everywhere(schema, clients):
    deep = "[" * 400 + "]" * 400
    for method, path, operation in operations(schema):
        if method not in ("post", "put", "patch"):
            continue
        for role, client in clients.items():
            response = send(client, method, fill(path, operation), '{"x": ' + deep + "}", "application/json")
            assert_json_4xx(response, f"{role} {method} {path}")
    token = clients["anonymous"].post("/api/v1/auth/token/", deep, content_type="application/json")
    assert token.status_code == 400 and f"{MAX_DEPTH} 层" in token.json()["detail"]
    shallow = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert (
        clients["anonymous"].post("/api/v1/auth/token/", shallow, content_type="application/json").status_code
        == 400
    )


def bad_bodies(schema, *, numbers: bool, dates: bool, on_objects: bool = False):
    """(method, path, operation, media, field name, bad value) for every writing operation's numeric
    and/or date fields: the bad numbers as JSON literals, the out-of-calendar dates as strings."""
    for method, path, operation in operations(schema):
        media, properties = body_properties(schema, operation)
        if method not in ("post", "put", "patch") or not properties or (on_objects and "{" not in path):
            continue
        for name, prop in properties.items():
            prop = _resolve(schema, prop)
            numeric = (
                prop.get("type") in ("integer", "number") or prop.get("items", {}).get("type") == "integer"
            )
            values = [*(BAD_NUMBERS if numbers and numeric else []),
                      *(BAD_DATES.get(prop.get("format", ""), []) if dates and not numeric else [])]  # fmt: skip
            for value in values:
                yield method, path, operation, media, name, value


def send_bad(client, method: str, url: str, media: str, name: str, value: str):
    """One body holding only the bad value: a JSON literal for numbers, a JSON string for dates."""
    if media != "application/json":
        return getattr(client, method)(url, {name: value})
    literal = value if value in BAD_NUMBERS else json.dumps(value)
    return send(client, method, url, "{" + json.dumps(name) + ": " + literal + "}", media)


def test_numbers_no_field_holds_are_a_400_naming_the_field(schema, clients):
    checked = 0
    for method, path, operation, media, name, value in bad_bodies(schema, numbers=True, dates=False):
        response = send_bad(clients["operator"], method, fill(path, operation), media, name, value)
        assert_json_4xx(response, f"{method} {path} {name}={value}", name)
        assert response.status_code >= 400, (method, path, name, value)
        checked += 1
    assert checked > 50


def test_dates_at_the_ends_of_the_calendar_are_a_400_naming_the_field(schema, clients):
    checked = 0
    for method, path, operation, media, name, value in bad_bodies(schema, numbers=False, dates=True):
        response = send_bad(clients["operator"], method, fill(path, operation), media, name, value)
        assert_json_4xx(response, f"{method} {path} {name}={value}", name)
        assert response.status_code >= 400, (method, path, name, value)
        checked += 1
    assert checked > 10


def test_the_voucher_batch_period_at_the_end_of_the_calendar_says_which_range(clients):
    response = clients["operator"].post(
        "/api/v1/vouchers/batches/", {"period": "9999-12-31"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "1900-01-01" in response.json()["period"][0]


def test_ids_and_numbers_out_of_range_in_filters_and_paths_are_never_a_500(schema, clients):
    checked = 0
    for method, path, operation in operations(schema):
        if method != "get":
            continue
        for role, client in clients.items():
            if any(
                p["in"] == "path" and p["schema"].get("type") == "integer"
                for p in operation.get("parameters", [])
            ):
                response = client.get(fill(path, operation, HUGE_ID))
                assert_json_4xx(response, f"{role} {path} id={HUGE_ID}")
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query" or parameter["schema"].get("type") not in ("integer", "number"):
                    continue
                for value in BAD_QUERY_NUMBERS:
                    response = client.get(fill(path, operation), {parameter["name"]: value})
                    assert_json_4xx(response, f"{role} {path}?{parameter['name']}={value}")
                    checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    "url", ["/api/v1/achievements/", "/api/v1/demands/", "/api/v1/people/", "/api/v1/service-requests/"]
)
def test_an_id_filter_over_2_63_names_the_filter(clients, url):
    response = clients["operator"].get(url, {"organization": HUGE_ID})
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        assert "organization" in response.json()


def test_a_body_over_the_size_limit_is_a_json_413_on_every_operation(schema, clients):
    body = b"{" + b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b"}"
    for method, path, operation in operations(schema):
        if method not in ("post", "put", "patch"):
            continue
        response = send(clients["operator"], method, fill(path, operation), body, "application/json")
        assert_json_4xx(response, f"{method} {path}")
        if response.status_code == 413:
            assert "MB" in response.json()["detail"]
    token = send(clients["anonymous"], "post", "/api/v1/auth/token/", body, "application/json")
    assert token.status_code == 413 and token["Content-Type"].startswith("application/json")
    form = clients["anonymous"].post(
        "/api/v1/auth/token/",
        b"a=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10),
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 413 and "MB" in form.json()["detail"]


def _wsgi_post(path: str, body: bytes) -> tuple[str, io.BytesIO]:
    stream = io.BytesIO(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": stream,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    status: list[str] = []
    result = WSGIHandler()(environ, lambda s, h, *a: status.append(s))
    b"".join(result)
    getattr(result, "close", lambda: None)()
    return status[0], stream


def test_a_throttled_or_oversized_post_has_its_body_read_so_the_connection_stays_usable(
    transactional_db, settings, monkeypatch
):
    """gunicorn skips at most 64 KB of an unread body before it drops a kept-alive connection: the app
    reads the rest itself."""
    from kechuang.api.views import TokenThrottle

    monkeypatch.setattr(TokenThrottle, "THROTTLE_RATES", {"token": "1/min"})
    from django.core.cache import cache

    cache.clear()
    body = json.dumps({"username": "x", "password": "y" * 200}).encode()
    _wsgi_post("/api/v1/auth/token/", body)
    large = b'{"username": "x", "password": "' + b"y" * 2_000_000 + b'"}'
    status, stream = _wsgi_post("/api/v1/auth/token/", large)
    assert status.startswith("429")
    assert stream.tell() == len(large)
    status, stream = _wsgi_post("/api/v1/auth/token/", b" " * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    assert status.startswith(("413", "429"))
    assert stream.tell() == settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    cache.clear()


# --- the same classes on operations about one object ------------------------------------------------------


@pytest.fixture
def world(
    operator,
    leader,
    commissioner,
    enterprise_user,
    enterprise_org,
    institute_user,
    institute_org,
    provider_user,
    provider_org,
    media_root_tmp,
):
    """One object of each kind the write operations act on, so a bad body reaches their validation
    instead of a 404 for an unknown code."""
    from decimal import Decimal

    from kechuang.challenges import factories as challenge_factories
    from kechuang.directory.models import Block, Building
    from kechuang.servicedesk import services as desk_services
    from kechuang.spaces import services as space_services
    from kechuang.spaces.choices import SpaceType, UnitStatus
    from kechuang.spaces.models import SpaceUnit
    from kechuang.transfer import services as transfer_services
    from kechuang.vouchers import factories as voucher_factories

    challenge = challenge_factories.make_challenge(
        actor=enterprise_user, issuer=enterprise_org, publish_by=operator
    )
    application = challenge_factories.make_application(
        challenge=challenge, actor=institute_user, organization=institute_org
    )
    scheme = voucher_factories.make_scheme(operator=operator)
    provider = voucher_factories.make_provider(
        organization=provider_org, applicant=provider_user, reviewer=operator
    )
    service = voucher_factories.make_service(provider=provider, actor=provider_user, price_fen=200_000)
    voucher = voucher_factories.make_voucher(
        scheme=scheme,
        enterprise=enterprise_org,
        applicant=enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=500_000,
    )
    order = voucher_factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    achievement = transfer_services.achievement_create(
        actor=institute_user,
        organization=institute_org,
        title="点云处理算法",
        summary="一种实时点云分割方法。",
        trl=5,
    )
    demand = transfer_services.demand_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="激光雷达降本",
        summary="需要降低激光雷达成本。",
    )
    deal = transfer_services.deal_create(
        actor=operator, title="对接", supplier=institute_org, buyer=enterprise_org
    )
    block = Block.objects.create(code="bi-block", name="菊中")
    building = Building.objects.create(code="bi-fab", name="洁净厂房", block=block)
    unit = SpaceUnit.objects.create(
        code="bi-fab-101",
        building=building,
        unit_code="101",
        floor=1,
        area_m2=Decimal(200),
        space_type=SpaceType.CLEANROOM,
        rent_fen_per_m2_day=280,
        status=UnitStatus.VACANT,
    )
    space_request = space_services.space_request_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="用房",
        area_min_m2=Decimal(100),
        area_max_m2=Decimal(300),
    )
    desk_services.assignment_set(
        actor=operator, organization=enterprise_org, role="commissioner", user=commissioner
    )
    service_request = desk_services.request_file(
        actor=enterprise_user,
        organization=enterprise_org,
        category="policy",
        title="政策咨询",
        text="请介绍政策。",
    )
    codes = {
        "/api/v1/challenges/applications/": application.code,
        "/api/v1/challenges/": challenge.code,
        "/api/v1/vouchers/applications/": voucher_factories.application_for(voucher).code,
        "/api/v1/vouchers/orders/": order.code,
        "/api/v1/vouchers/providers/": provider.code,
        "/api/v1/vouchers/services/": service.code,
        "/api/v1/vouchers/schemes/": scheme.code,
        "/api/v1/vouchers/": voucher.code,
        "/api/v1/achievements/": achievement.code,
        "/api/v1/demands/": demand.code,
        "/api/v1/deals/": deal.code,
        "/api/v1/organizations/": str(enterprise_org.pk),
        "/api/v1/space-units/": unit.code,
        "/api/v1/space-requests/": space_request.code,
        "/api/v1/service-requests/": service_request.code,
    }
    tokens = {
        name: Token.objects.create(user=user).key
        for name, user in (
            ("operator", operator),
            ("enterprise", enterprise_user),
            ("institute", institute_user),
            ("provider", provider_user),
            ("commissioner", commissioner),
        )
    }
    return SimpleNamespace(codes=codes, tokens=tokens)


@pytest.fixture
def media_root_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def fill_real(path: str, codes: dict[str, str]) -> str | None:
    prefix = path.split("{")[0]
    code = codes.get(prefix)
    if code is None:
        return None
    return path.replace("{code}", code).replace("{id}", code)


def test_bad_numbers_and_dates_on_real_objects_are_a_4xx_naming_the_field(schema, world):
    checked = validated = 0
    clients = {
        role: Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {key}")
        for role, key in world.tokens.items()
    }
    for method, path, _operation, media, name, value in bad_bodies(
        schema, numbers=True, dates=True, on_objects=True
    ):
        url = fill_real(path, world.codes)
        if url is None:
            continue
        for role, client in clients.items():
            response = send_bad(client, method, url, media, name, value)
            assert_json_4xx(response, f"{role} {method} {url} {name}={value}", name)
            assert response.status_code >= 400, (role, method, url, name, value)
            checked += 1
            validated += response.status_code == 400
    print(f"{checked} bad bodies on real objects, {validated} refused by validation naming the field")
    assert checked > 100 and validated > 50


def test_malformed_json_says_where_and_what_to_check(clients):
    client = clients["anonymous"]
    broken = client.post(
        "/api/v1/auth/token/", '{"username": "a",\n "password": }', content_type="application/json"
    )
    assert broken.status_code == 400 and "第 2 行" in broken.json()["detail"]
    latin = client.post("/api/v1/auth/token/", b'{"username": "\xff"}', content_type="application/json")
    assert latin.status_code == 400 and "UTF-8" in latin.json()["detail"]
    digits = client.post(
        "/api/v1/auth/token/", '{"username": ' + "9" * 5000 + "}", content_type="application/json"
    )
    assert digits.status_code == 400 and "数值" in str(digits.json())
