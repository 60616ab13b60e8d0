"""docs/reliability.md K1 for the IP API: schemathesis over every IP operation as each role class
(tests/fuzz.py): no 5xx, answers match the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from ip_helpers import make_asset

from fuzz import fuzz_roles, operations
from kechuang.ip import services

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = 8
SCOPE = r"^/api/v1/(ip-assets|ip-licences|ip-transactions)"


def test_ip_operations_are_in_scope(db):
    paths = {(op.method.upper(), op.path) for op in operations(SCOPE)}
    for expected in [
        ("GET", "/api/v1/ip-assets/"),
        ("POST", "/api/v1/ip-assets/"),
        ("GET", "/api/v1/ip-assets/{number}/"),
        ("POST", "/api/v1/ip-assets/{number}/open-licence/"),
        ("POST", "/api/v1/ip-licences/{code}/take-up/"),
        ("GET", "/api/v1/ip-transactions/"),
        ("POST", "/api/v1/ip-transactions/{code}/contract/"),
    ]:
        assert expected in paths


def test_ip_calls_never_fail_and_match_the_schema_for_every_role_class(institute_org, request):
    asset = make_asset(institute_org, 95)
    services.open_licence_publish(actor=None, asset=asset, fee_fen=10_000)
    services.transaction_record(
        actor=None, asset=asset, kind="pledge", amount_fen=1_000_000, signed_on=dt.date(2026, 1, 5),
        counterparty_name="浦发银行嘉定支行", term_start=dt.date(2026, 1, 5), term_end=dt.date(2027, 1, 4),
    )  # fmt: skip
    fuzz_roles(request, SCOPE, examples=EXAMPLES)
