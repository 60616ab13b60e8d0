"""docs/reliability.md K1: schemathesis over every /api/v1/challenges operation of the OpenAPI schema, as each
role class (tests/fuzz.py), against a database holding an awarded challenge with a signed task book, an
open panel and a published challenge: never a 5xx, and every status code, content type and body
matches the schema."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations
from kechuang.challenges import factories

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 6
SCOPE = r"^/api/v1/challenges"


@pytest.fixture
def api_world(award, enterprise_user, enterprise_org, operator, media_root):
    factories.make_challenge(
        actor=enterprise_user, issuer=enterprise_org, publish_by=operator, title="第二张榜"
    )


def test_every_challenge_operation_answers_within_its_schema_for_every_role_class(api_world, request):
    assert len(operations(SCOPE)) >= 25
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
