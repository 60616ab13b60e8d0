"""docs/reliability.md K1: schemathesis over every /api/v1/vouchers operation of the OpenAPI schema, as each
role class (tests/fuzz.py), against a database holding a voucher, orders, a claim and a batch: never a
5xx, and every status code, content type and body matches the schema."""

from __future__ import annotations

import pytest

from fuzz import fuzz_roles, operations
from kechuang.vouchers import factories, services

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 8
SCOPE = r"^/api/v1/vouchers"


@pytest.fixture
def api_world(voucher, service, enterprise_user, provider_user, operator, media_root):
    done = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=done, provider_actor=provider_user, enterprise_actor=enterprise_user)
    claim = services.claim_review(
        actor=operator, claim=factories.submit_claim(order=done, actor=provider_user), approve=True
    )
    services.batch_create(actor=operator, period=claim.reviewed_at.date())
    factories.make_order(voucher=voucher, service=service, actor=enterprise_user)


def test_every_voucher_operation_answers_within_its_schema_for_every_role_class(api_world, request):
    assert len(operations(SCOPE)) >= 35
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
