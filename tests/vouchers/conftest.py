"""Voucher fixtures: an open scheme, an approved provider with a service, a granted voucher."""

from __future__ import annotations

import pytest

from kechuang.accounts.choices import Role
from kechuang.testing.factories import user_with_role
from kechuang.vouchers import factories


@pytest.fixture
def operator2(db, district_office):
    """A second operator (maker-checker needs two people)."""
    return user_with_role(Role.OPERATOR, district_office, username="op2")


@pytest.fixture
def scheme(operator):
    return factories.make_scheme(operator=operator)


@pytest.fixture
def provider(provider_org, provider_user, operator):
    return factories.make_provider(organization=provider_org, applicant=provider_user, reviewer=operator)


@pytest.fixture
def service(provider, provider_user):
    return factories.make_service(provider=provider, actor=provider_user, price_fen=200_000)


@pytest.fixture
def voucher(scheme, enterprise_org, enterprise_user, operator, leader):
    return factories.make_voucher(
        scheme=scheme,
        enterprise=enterprise_org,
        applicant=enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=500_000,
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
