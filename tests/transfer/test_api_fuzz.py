"""docs/reliability.md K1 for the transfer API: schemathesis over every transfer operation, anonymously, as an
enterprise and as an operator — no 5xx, and answers match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kechuang.transfer import services
from kechuang.transfer.models import Deal

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 12
SCOPE = (
    "/api/v1/achievements",
    "/api/v1/demands",
    "/api/v1/interests",
    "/api/v1/deals",
    "/api/v1/contracts",
    "/api/v1/search",
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data(enterprise_user, enterprise_org, institute_user, achievement, demand):
    interest = services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="模糊测试前的意向。"
    )
    services.interest_accept(actor=institute_user, interest=interest)
    return Deal.objects.get()


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
    found = [result.ok() for result in schema.get_all_operations()]
    return [op for op in found if op.path.startswith(SCOPE)]


def fuzz(operation, headers: dict[str, str]) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_transfer_operations_are_in_scope(data):
    paths = {(op.method.upper(), op.path) for op in operations()}
    for expected in [
        ("POST", "/api/v1/demands/"),
        ("PATCH", "/api/v1/demands/{code}/"),
        ("POST", "/api/v1/interests/{code}/accept/"),
        ("POST", "/api/v1/deals/{code}/advance/"),
        ("GET", "/api/v1/search/"),
        ("GET", "/api/v1/demands/{code}/recommendations/"),
    ]:
        assert expected in paths


@pytest.mark.parametrize("who", ["anonymous", "enterprise", "operator"])
def test_calls_never_fail_and_match_the_schema(data, who, enterprise_user, operator):
    headers = {}
    if who != "anonymous":
        user = enterprise_user if who == "enterprise" else operator
        headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    for operation in operations():
        fuzz(operation, headers)
