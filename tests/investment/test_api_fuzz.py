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
        ("GET", "/api/v1/key-projects/{code}/milestones/"),
        ("POST", "/api/v1/key-projects/{code}/milestones/"),
        ("PATCH", "/api/v1/key-projects/{code}/milestones/{milestone}/"),
        ("POST", "/api/v1/key-projects/{code}/milestones/{milestone}/done/"),
    ]:
        assert expected in paths


@pytest.fixture
def project_with_milestone(lead, operator, leader):
    import datetime as dt

    from kechuang.investment import services

    project = services.project_create(actor=operator, name="智感二期扩产", leader=leader)
    services.milestone_add(actor=leader, project=project, title="设备进场", due_on=dt.date(2026, 3, 10))
    return project


def test_investment_calls_never_fail_and_match_the_schema_for_every_role_class(
    lead, project_with_milestone, request
):
    fuzz_roles(request, SCOPE, examples=EXAMPLES, real_codes=[lead.code, project_with_milestone.code])
