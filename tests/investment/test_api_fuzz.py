"""docs/reliability.md K1 for the investment API: schemathesis over every investment operation as each
role class (tests/fuzz.py): no 5xx, answers match the schema."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 8
SCOPE = r"^/api/v1/(leads|key-projects)"


def test_investment_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    for expected in [
        ("POST", "/api/v1/leads/"),
        ("POST", "/api/v1/leads/{code}/advance/"),
        ("POST", "/api/v1/leads/{code}/close/"),
        ("POST", "/api/v1/leads/{code}/assign/"),
        ("POST", "/api/v1/leads/{code}/record/"),
        ("GET", "/api/v1/key-projects/{code}/"),
        ("POST", "/api/v1/key-projects/{code}/report/"),
        ("POST", "/api/v1/key-projects/{code}/issues/"),
    ]:
        assert expected in paths


def test_investment_calls_never_fail_and_match_the_schema_for_every_role_class(lead, request):
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
