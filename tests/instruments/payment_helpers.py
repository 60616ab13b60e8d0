"""A voucher-paying enterprise and an instrument owner registered as a voucher provider, through the real
voucher services (kechuang.vouchers.factories)."""

from __future__ import annotations

from kechuang.instruments import services
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers.choices import ServiceCategory
from kechuang.vouchers.factories import make_provider, make_scheme, make_voucher


def voucher_setup(
    *, operator, leader, enterprise_org, enterprise_user, amount_fen=500_000, owner=None, owner_user=None
):
    """An owner approved as a voucher provider for 仪器共享 (by default a provider-kind testing centre;
    pass ``owner`` and ``owner_user`` for an institute), an open scheme at 50 %, and a voucher of
    ``amount_fen`` for the enterprise. Returns (owner organization, owner user, voucher)."""
    from kechuang.accounts.choices import Role
    from kechuang.directory.choices import OrganizationKind

    if owner is None:
        owner = OrganizationFactory(
            kind=OrganizationKind.PROVIDER, name="上海菊园检测技术服务有限公司", uscc=None
        )
        owner_user = user_with_role(Role.PROVIDER, owner, username="centre")
    make_provider(
        organization=owner, applicant=owner_user, reviewer=operator, categories=[ServiceCategory.INSTRUMENTS]
    )
    scheme = make_scheme(operator=operator)
    voucher = make_voucher(
        scheme=scheme,
        enterprise=enterprise_org,
        applicant=enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=amount_fen,
    )
    return owner, owner_user, voucher


def voucher_instrument(owner, owner_user, **fields):
    from instruments_helpers import make_instrument

    instrument = make_instrument(owner, **fields)
    return services.instrument_enable_vouchers(actor=owner_user, instrument=instrument)
