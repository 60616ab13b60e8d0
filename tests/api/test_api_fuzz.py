"""docs/reliability.md K1: schemathesis over the OpenAPI schema, anonymously and as an operator: no answer is
a 5xx, and every answer matches the schema (status code, content type, body)."""

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

from kechuang.testing.factories import BlockFactory, InstituteFactory, OrganizationFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 30
SCOPE = ("/api/v1/organizations", "/api/v1/people", "/api/v1/fields", "/api/v1/geography", "/api/v1/auth")


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app is called directly, as a server would: like Django's test client, stop the
    request signals from closing the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def data(institute_org, enterprise_org):
    InstituteFactory(name="模糊测试研究所")
    PersonFactory(organization=enterprise_org, phone="13900001111")
    BlockFactory(code="JD", name="菊东")
    OrganizationFactory(name="模糊测试企业")


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


def test_directory_operations_are_in_scope(data):
    paths = {(op.method.upper(), op.path) for op in operations()}
    assert ("POST", "/api/v1/organizations/") in paths
    assert ("PATCH", "/api/v1/organizations/{id}/") in paths
    assert ("GET", "/api/v1/people/") in paths


def test_anonymous_calls_never_fail_and_match_the_schema(data):
    for operation in operations():
        fuzz(operation, {})


def test_operator_calls_never_fail_and_match_the_schema(data, operator):
    token = Token.objects.create(user=operator)
    for operation in operations():
        if operation.path.startswith("/api/v1/auth"):
            continue
        fuzz(operation, {"Authorization": f"Token {token.key}"})
