"""docs/reliability.md K1 for the instruments API: schemathesis over every instrument operation as each
role class (tests/fuzz.py): no 5xx, answers match the schema."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 8
SCOPE = r"^/api/v1/(instruments|instrument-bookings|instrument-samples)"


def test_instrument_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    for expected in [
        ("GET", "/api/v1/instruments/"),
        ("GET", "/api/v1/instruments/{code}/slots/"),
        ("POST", "/api/v1/instruments/{code}/book/"),
        ("POST", "/api/v1/instrument-bookings/{code}/check-out/"),
        ("POST", "/api/v1/instrument-bookings/{code}/confirm-charge/"),
        ("POST", "/api/v1/instruments/{code}/samples/"),
        ("POST", "/api/v1/instrument-samples/{code}/accept/"),
    ]:
        assert expected in paths


def test_instrument_calls_never_fail_and_match_the_schema_for_every_role_class(
    instrument, owner_approves, request
):
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
