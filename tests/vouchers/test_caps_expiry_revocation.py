"""Caps per enterprise and per actual controller, the scheme's budget, expiry of unused grants and
revocation — each leaving the ledger reconciled."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from kechuang.accounts.choices import Role
from kechuang.ledger.models import Account
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories, selectors, services
from kechuang.vouchers.choices import OrderStatus, VoucherStatus
from kechuang.vouchers.models import ServiceOrder, Voucher

pytestmark = pytest.mark.django_db


def assert_clean() -> None:
    report = reconcile()
    assert report.ok, [(r.name, [v.message for v in r.violations]) for r in report.results if not r.ok]


def apply_and_review(scheme, enterprise, user, operator, amount, controller=""):
    application = services.application_submit(
        actor=user,
        scheme=scheme,
        enterprise=enterprise,
        requested_fen=amount,
        purpose="研发服务",
        controller_code=controller,
    )
    return services.application_review(actor=operator, application=application, approve=True)


def test_the_enterprise_cap_counts_every_voucher_of_the_scheme(
    operator, leader, enterprise_org, enterprise_user
):
    scheme = factories.make_scheme(operator=operator, enterprise_cap_fen=500_000, controller_cap_fen=900_000)
    first = apply_and_review(scheme, enterprise_org, enterprise_user, operator, 400_000)
    services.application_decide(actor=leader, application=first, approve=True)
    # the first review cannot pass on more than is left, and says how much is
    with pytest.raises(ValidationError, match="单户年度上限") as info:
        apply_and_review(scheme, enterprise_org, enterprise_user, operator, 200_000)
    assert "1,000.00 元" in info.value.messages[0]  # what may still be granted
    assert Voucher.objects.filter(scheme=scheme).count() == 1
    assert_clean()


def test_the_controller_cap_counts_every_enterprise_under_one_actual_controller(operator, leader):
    scheme = factories.make_scheme(operator=operator, enterprise_cap_fen=500_000, controller_cap_fen=800_000)
    granted = []
    for n in range(3):
        enterprise = OrganizationFactory(name=f"同一控制人企业{n}")
        user = user_with_role(Role.ENTERPRISE, enterprise, username=f"group{n}")
        try:
            application = apply_and_review(
                scheme, enterprise, user, operator, 300_000, controller="91310000MA1GROUP01"
            )
            services.application_decide(actor=leader, application=application, approve=True)
            granted.append(n)
        except ValidationError as error:
            assert "同一实际控制人上限" in error.messages[0] and "2,000.00 元" in error.messages[0]
    assert granted == [0, 1]
    assert selectors.scheme_figures(scheme)["granted_fen"] == 600_000
    assert_clean()


def test_the_budget_cannot_be_overgranted(operator, leader):
    scheme = factories.make_scheme(
        operator=operator, budget_fen=700_000, enterprise_cap_fen=500_000, controller_cap_fen=500_000
    )
    outcomes = []
    for n in range(2):
        enterprise = OrganizationFactory(name=f"预算企业{n}")
        user = user_with_role(Role.ENTERPRISE, enterprise, username=f"budget{n}")
        try:
            application = apply_and_review(scheme, enterprise, user, operator, 400_000)
            services.application_decide(actor=leader, application=application, approve=True)
            outcomes.append("granted")
        except ValidationError as error:
            outcomes.append(error.messages[0])
    assert outcomes[0] == "granted" and "剩余预算不足" in outcomes[1]
    assert Account.objects.get(code=f"vouchers:{scheme.code}:budget").balance_fen == 300_000
    assert_clean()


def test_a_grant_that_the_caps_no_longer_allow_is_approved_lower_with_a_reason(operator, leader):
    """Two enterprises of one actual controller pass the first review before either is granted; after the
    first grant the second's recommendation no longer fits. The leader is not stuck: the error names
    what is left, and approving that lower amount with a reason grants it (issue: no dead end)."""
    scheme = factories.make_scheme(
        operator=operator, enterprise_cap_fen=10_000_000, controller_cap_fen=10_000_000
    )
    pending = []
    for n in range(2):
        enterprise = OrganizationFactory(name=f"集团子公司{n}")
        user = user_with_role(Role.ENTERPRISE, enterprise, username=f"sub{n}")
        pending.append(
            apply_and_review(scheme, enterprise, user, operator, 6_000_000, controller="91310000MA1GROUP02")
        )
    services.application_decide(actor=leader, application=pending[0], approve=True)

    second = pending[1]
    room = services.headroom(
        scheme, enterprise_id=second.enterprise_id, controller_code=second.controller_code
    )
    assert (room.controller_left_fen, room.grantable_fen) == (4_000_000, 4_000_000)
    with pytest.raises(ValidationError, match=r"最多还可发放 40,000\.00 元"):
        services.application_decide(actor=leader, application=second, approve=True)
    with pytest.raises(ValidationError, match="请填写原因"):
        services.application_decide(actor=leader, application=second, approve=True, approved_fen=4_000_000)
    with pytest.raises(ValidationError, match="不能高于初审建议额度"):
        services.application_decide(
            actor=leader, application=second, approve=True, approved_fen=7_000_000, note="多给"
        )
    with pytest.raises(PermissionDenied):  # maker-checker kept: the first reviewer cannot approve
        services.application_decide(
            actor=operator, application=second, approve=True, approved_fen=4_000_000, note="按剩余额度"
        )
    granted = services.application_decide(
        actor=leader, application=second, approve=True, approved_fen=4_000_000, note="按集团剩余额度发放"
    )
    assert granted.status == "granted" and granted.granted_fen == 4_000_000
    assert granted.voucher.granted_fen == 4_000_000 and granted.leader_note == "按集团剩余额度发放"
    assert (
        services.headroom(
            scheme, enterprise_id=second.enterprise_id, controller_code=second.controller_code
        ).grantable_fen
        == 0
    )
    assert_clean()


def test_an_application_with_nothing_left_to_grant_is_refused_at_once(
    operator, leader, enterprise_org, enterprise_user
):
    scheme = factories.make_scheme(operator=operator, enterprise_cap_fen=500_000, controller_cap_fen=900_000)
    first = apply_and_review(scheme, enterprise_org, enterprise_user, operator, 500_000)
    services.application_decide(actor=leader, application=first, approve=True)
    with pytest.raises(ValidationError, match="已无可申领额度"):
        services.application_submit(
            actor=enterprise_user,
            scheme=scheme,
            enterprise=enterprise_org,
            requested_fen=100_000,
            purpose="再申请",
        )


def test_expiry_cancels_undelivered_orders_keeps_delivered_ones_and_returns_the_rest(
    voucher, service, enterprise_user, provider_user, scheme
):
    placed = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)  # 100,000 held
    delivered = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_accept(actor=provider_user, order=delivered)
    services.order_deliver(actor=provider_user, order=delivered)
    after_expiry = voucher.expires_on + dt.timedelta(days=1)
    assert services.vouchers_expire_due(today=voucher.expires_on) == {"expired": 0, "returned_fen": 0}

    result = services.vouchers_expire_due(today=after_expiry)
    assert result == {"expired": 1, "returned_fen": 400_000}
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.EXPIRED and voucher.returned_fen == 400_000
    assert ServiceOrder.objects.get(pk=placed.pk).status == OrderStatus.CANCELLED
    assert selectors.voucher_balance(voucher).held_fen == 100_000  # the delivered order's share
    assert services.vouchers_expire_due(today=after_expiry) == {"expired": 0, "returned_fen": 0}  # idempotent
    with pytest.raises(ValidationError):
        services.order_place(actor=enterprise_user, voucher=voucher, service=service, today=after_expiry)
    assert_clean()

    # the delivered service was real: the enterprise may still confirm it after expiry
    services.order_confirm(actor=enterprise_user, order=delivered)
    assert selectors.voucher_balance(voucher).balance_fen == 0
    assert_clean()


def test_a_cancellation_after_expiry_is_returned_by_the_next_run(
    voucher, service, enterprise_user, provider_user
):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_accept(actor=provider_user, order=order)
    services.order_deliver(actor=provider_user, order=order)
    after = voucher.expires_on + dt.timedelta(days=1)
    services.vouchers_expire_due(today=after)
    ServiceOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.ACCEPTED
    )  # provider withdrew the delivery
    services.order_cancel(actor=enterprise_user, order=order, reason="服务未完成")
    assert services.vouchers_expire_due(today=after) == {"expired": 0, "returned_fen": 100_000}
    voucher.refresh_from_db()
    assert voucher.returned_fen == 500_000 and selectors.voucher_balance(voucher).balance_fen == 0
    assert_clean()


def test_the_expiry_command_is_idempotent(voucher):
    out = io.StringIO()
    day = (voucher.expires_on + dt.timedelta(days=1)).isoformat()
    call_command("vouchers_expire", "--today", day, stdout=out)
    call_command("vouchers_expire", "--today", day, stdout=out)
    assert "到期 1 张" in out.getvalue() and "到期 0 张" in out.getvalue()
    assert_clean()


def test_revocation_cancels_open_orders_and_returns_what_is_left(
    voucher, service, enterprise_user, provider_user, operator
):
    done = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=done, provider_actor=provider_user, enterprise_actor=enterprise_user)
    open_order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    with pytest.raises(ValidationError):
        services.voucher_revoke(actor=operator, voucher=voucher, reason="")
    revoked = services.voucher_revoke(actor=operator, voucher=voucher, reason="虚假申报")
    assert revoked.status == VoucherStatus.REVOKED and revoked.returned_fen == 400_000
    assert ServiceOrder.objects.get(pk=open_order.pk).status == OrderStatus.CANCELLED
    assert ServiceOrder.objects.get(pk=done.pk).status == OrderStatus.CONFIRMED  # redeemed stays redeemed
    assert selectors.voucher_balance(voucher).balance_fen == 0
    # what went back frees the enterprise's cap
    assert services.committed_for(voucher.scheme, enterprise_id=voucher.enterprise_id) == 100_000
    assert_clean()


def test_a_revoked_voucher_cannot_be_used(voucher, service, enterprise_user, operator):
    services.voucher_revoke(actor=operator, voucher=voucher, reason="违规")
    with pytest.raises(ValidationError):
        services.order_place(actor=enterprise_user, voucher=voucher, service=service)
