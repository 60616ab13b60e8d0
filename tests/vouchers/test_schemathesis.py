"""docs/reliability.md K1: schemathesis over every /api/v1/vouchers operation of the OpenAPI schema, as each
role (by token), against a database holding a voucher, orders, a claim and a batch: never a 5xx, and
every status code, content type and body matches the schema."""

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

from kechuang.vouchers import factories, services

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROLES = ["operator", "leader", "enterprise_user", "provider_user", "other_enterprise_user", "auditor"]
EXAMPLES = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_world(voucher, service, enterprise_user, provider_user, operator, media_root):
    done = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=done, provider_actor=provider_user, enterprise_actor=enterprise_user)
    claim = services.claim_review(
        actor=operator, claim=factories.submit_claim(order=done, actor=provider_user), approve=True
    )
    services.batch_create(actor=operator, period=claim.reviewed_at.date())
    factories.make_order(voucher=voucher, service=service, actor=enterprise_user)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI app closes "old" connections around each request; inside the test's transaction that would
    close it on PostgreSQL. Django's own test client disconnects the same handlers."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def role_headers(request, api_world):
    user = request.getfixturevalue(request.param)
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def voucher_operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    operations = [
        result.ok() for result in schema.include(path_regex=r"^/api/v1/vouchers").get_all_operations()
    ]
    assert len(operations) >= 35
    return operations


def exercise(operation, headers) -> list[str]:
    """Run generated cases for one operation; return the failures (empty when all pass)."""
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
            return  # one failure per operation is enough to report
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:800]}")

    run()
    return failures


def test_every_voucher_operation_answers_within_its_schema_for_every_role(role_headers):
    failures = []
    for operation in voucher_operations():
        failures += exercise(operation, role_headers)
    assert not failures, "\n\n".join(failures)
