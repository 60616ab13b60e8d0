"""docs/reliability.md K1: schemathesis over every /api/v1/challenges operation of the OpenAPI schema, as each
role (by token) and anonymously, against a database holding an awarded challenge with a signed task
book, an open panel and a published challenge: never a 5xx, and every status code, content type and
body matches the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kechuang.challenges import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = [
    None,
    "operator",
    "leader",
    "enterprise_user",
    "institute_user",
    "expert_user",
    "other_enterprise_user",
    "auditor",
]
EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_world(award, enterprise_user, enterprise_org, operator, media_root):
    factories.make_challenge(
        actor=enterprise_user, issuer=enterprise_org, publish_by=operator, title="第二张榜"
    )


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def role_headers(request, api_world):
    if request.param is None:
        return {}
    user = request.getfixturevalue(request.param)
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def challenge_operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    operations = [
        result.ok() for result in schema.include(path_regex=r"^/api/v1/challenges").get_all_operations()
    ]
    assert len(operations) >= 25
    return operations


def exercise(operation, headers) -> list[str]:
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        if failures:
            return
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:800]}")

    run()
    return failures


def test_every_challenge_operation_answers_within_its_schema_for_every_role(role_headers):
    failures = []
    for operation in challenge_operations():
        failures += exercise(operation, role_headers)
    assert not failures, "\n\n".join(failures)
