"""docs/reliability.md K1 for the events API: schemathesis over every event operation as each role class
(tests/fuzz.py): no 5xx, answers match the schema."""

from __future__ import annotations

import pytest
from events_helpers import make_event

from fuzz import fuzz_roles, operations
from kechuang.events import services

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 8
SCOPE = r"^/api/v1/events"


def test_event_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    for expected in [
        ("GET", "/api/v1/events/"),
        ("POST", "/api/v1/events/"),
        ("POST", "/api/v1/events/{code}/register/"),
        ("POST", "/api/v1/events/{code}/checkin/"),
        ("GET", "/api/v1/events/{code}/registrations/"),
        ("POST", "/api/v1/events/registrations/{code}/cancel/"),
        ("POST", "/api/v1/events/registrations/{code}/feedback/"),
    ]:
        assert expected in paths


def test_event_calls_never_fail_and_match_the_schema_for_every_role_class(
    operator, enterprise_org, enterprise_user, building, series, request
):
    event = make_event(operator, enterprise_org, building, capacity=2)
    services.registration_create(actor=enterprise_user, event=event)
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
