"""docs/reliability.md K1 for the transfer API: schemathesis over every transfer operation as each role
class (tests/fuzz.py), against an achievement, a demand and a deal: no 5xx, and answers match the
schema."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations
from kechuang.transfer import services
from kechuang.transfer.models import Deal

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 12
SCOPE = r"^/api/v1/(achievements|demands|interests|deals|contracts|search)"


@pytest.fixture
def data(enterprise_user, enterprise_org, institute_user, achievement, demand):
    interest = services.interest_express(
        actor=enterprise_user, listing=achievement, organization=enterprise_org, message="模糊测试前的意向。"
    )
    services.interest_accept(actor=institute_user, interest=interest)
    return Deal.objects.get()


def test_transfer_operations_are_in_scope(data):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    for expected in [
        ("POST", "/api/v1/demands/"),
        ("PATCH", "/api/v1/demands/{code}/"),
        ("POST", "/api/v1/interests/{code}/accept/"),
        ("POST", "/api/v1/deals/{code}/advance/"),
        ("GET", "/api/v1/search/"),
        ("GET", "/api/v1/demands/{code}/recommendations/"),
    ]:
        assert expected in paths


def test_transfer_calls_never_fail_and_match_the_schema_for_every_role_class(data, request):
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
