"""docs/reliability.md K1 for the spaces API: schemathesis over every space operation as each role class
(tests/fuzz.py): no 5xx, answers match the schema."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 8
SCOPE = r"^/api/v1/(space-units|space-requests)"


def test_space_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    for expected in [
        ("POST", "/api/v1/space-units/{code}/reserve/"),
        ("GET", "/api/v1/space-units/vacancy/"),
        ("GET", "/api/v1/space-requests/{code}/matches/"),
        ("POST", "/api/v1/space-requests/{code}/viewings/"),
        ("POST", "/api/v1/space-requests/"),
    ]:
        assert expected in paths


def test_space_calls_never_fail_and_match_the_schema_for_every_role_class(units, space_request, request):
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
