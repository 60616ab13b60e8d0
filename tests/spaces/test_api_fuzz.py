"""docs/reliability.md K1 for the spaces API: schemathesis over every space operation, anonymously, as an
enterprise and as an operator: no 5xx, answers match the schema. Bounded examples (< 1 min)."""

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

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 8
SCOPE = ("/api/v1/space-units", "/api/v1/space-requests")


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", WSGIHandler())
    return [op for op in (r.ok() for r in schema.get_all_operations()) if op.path.startswith(SCOPE)]


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


def test_space_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations()}
    for expected in [
        ("POST", "/api/v1/space-units/{code}/reserve/"),
        ("GET", "/api/v1/space-units/vacancy/"),
        ("GET", "/api/v1/space-requests/{code}/matches/"),
        ("POST", "/api/v1/space-requests/{code}/viewings/"),
        ("POST", "/api/v1/space-requests/"),
    ]:
        assert expected in paths


@pytest.mark.parametrize("who", ["anonymous", "enterprise", "operator"])
def test_calls_never_fail_and_match_the_schema(who, units, space_request, enterprise_user, operator):
    headers = {}
    if who != "anonymous":
        user = enterprise_user if who == "enterprise" else operator
        headers = {"Authorization": f"Token {Token.objects.create(user=user).key}"}
    for operation in operations():
        fuzz(operation, headers)
