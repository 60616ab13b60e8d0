"""docs/reliability.md K1: schemathesis over the directory's part of the OpenAPI schema (organizations,
people, fields, geography, token exchange) as each role class (tests/fuzz.py): no answer is a 5xx, and
every answer matches the schema (status code, content type, body)."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations
from kechuang.testing.factories import BlockFactory, InstituteFactory, OrganizationFactory, PersonFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 30
SCOPE = r"^/api/v1/(organizations|people|fields|geography|auth)"


@pytest.fixture
def data(institute_org, enterprise_org):
    InstituteFactory(name="模糊测试研究所")
    PersonFactory(organization=enterprise_org, phone="13900001111")
    BlockFactory(code="JD", name="菊东")
    OrganizationFactory(name="模糊测试企业")


def test_directory_operations_are_in_scope(data):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    assert ("POST", "/api/v1/organizations/") in paths
    assert ("PATCH", "/api/v1/organizations/{id}/") in paths
    assert ("GET", "/api/v1/people/") in paths


def test_directory_calls_never_fail_and_match_the_schema_for_every_role_class(data, request):
    # the token exchange is fuzzed anonymously (signed-in callers have their token already)
    fuzz_roles(
        request,
        SCOPE,
        examples=EXAMPLES,
        skip=lambda role_class, op: role_class != "anonymous" and op.path.startswith("/api/v1/auth"),
    )
