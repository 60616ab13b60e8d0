"""Who hears what in 创新券: each step tells the people who must act next or who are affected, once, in
the step's own transaction; the actor, whoever may not check the step and other enterprises hear nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from kechuang.accounts.choices import Role
from kechuang.directory.choices import OrganizationKind
from kechuang.notifications.models import Notification
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories, notify, services
from kechuang.vouchers.models import Voucher

pytestmark = pytest.mark.django_db


def _got(user, kind):
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


def _all(user):
    return list(Notification.objects.filter(recipient=user).order_by("id"))


def _with_role(user, role):
    """The same person, also holding ``role`` (a fresh instance, so no cached roles)."""
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return get_user_model().objects.get(pk=user.pk)


def _url(name, code=None):
    return reverse(f"vouchers:{name}", args=[code] if code else [])


@pytest.fixture
def colleague(enterprise_org):
    """A second member of the enterprise."""
    return user_with_role(Role.ENTERPRISE, enterprise_org, username="ent-colleague")


@pytest.fixture
def provider_colleague(provider_org):
    return user_with_role(Role.PROVIDER, provider_org, username="prov-colleague")


@pytest.fixture
def leader2(district_office):
    return user_with_role(Role.LEADER, district_office, username="lead2")


# --- applications --------------------------------------------------------------------------------------


def test_an_application_goes_to_the_operators_then_the_leaders_then_back_to_the_enterprise(
    scheme,
    enterprise_org,
    enterprise_user,
    colleague,
    other_enterprise_user,
    operator,
    operator2,
    leader,
    leader2,
):
    application = services.application_submit(
        actor=enterprise_user,
        scheme=scheme,
        enterprise=enterprise_org,
        requested_fen=600_000,
        purpose="检测服务",
        planned_categories=["testing"],
    )
    for op in (operator, operator2):
        [ask] = _got(op, "vouchers.application.review")
        assert application.code in ask.title and "6,000.00 元" in ask.title
        assert enterprise_org.name in ask.body
        assert ask.url == _url("application-detail", application.code)
    for person in (enterprise_user, colleague, leader, leader2):
        assert _all(person) == []

    before = Notification.objects.count()
    notify.application_submitted(application, actor=enterprise_user)  # the same step again
    assert Notification.objects.count() == before

    application = services.application_review(
        actor=operator, application=application, approve=True, recommended_fen=500_000, note="建议 5000 元"
    )
    for lead in (leader, leader2):
        [ask] = _got(lead, "vouchers.application.approve")
        assert application.code in ask.title and "5,000.00 元" in ask.title and ask.body == "建议 5000 元"
        assert ask.url == _url("application-detail", application.code)
    assert (
        _got(operator, "vouchers.application.approve")
        == []
        == _got(operator2, "vouchers.application.approve")
    )
    assert _all(enterprise_user) == []  # passing the first level asks nothing of the enterprise
    before = Notification.objects.count()
    notify.application_reviewed(application, actor=operator)
    assert Notification.objects.count() == before

    application = services.application_decide(actor=leader, application=application, approve=True)
    voucher = Voucher.objects.get(application=application)
    for person in (enterprise_user, colleague):
        [granted] = _all(person)
        assert granted.kind == "vouchers.voucher.granted"
        assert (
            application.code in granted.title
            and voucher.code in granted.title
            and "5,000.00 元" in granted.title
        )
        assert granted.url == _url("voucher-detail", voucher.code)
    assert [n.kind for n in _all(leader)] == ["vouchers.application.approve"]  # not told of their own step
    assert _got(leader2, "vouchers.voucher.granted") == []
    assert _all(other_enterprise_user) == []

    before = Notification.objects.count()
    notify.application_decided(application, actor=leader, voucher=voucher)
    assert Notification.objects.count() == before


def test_a_retried_submission_tells_the_operators_once(scheme, enterprise_org, enterprise_user, operator):
    for _attempt in range(2):
        services.application_submit(
            actor=enterprise_user,
            scheme=scheme,
            enterprise=enterprise_org,
            requested_fen=100_000,
            purpose="检测",
            request_key="retry-1",
        )
    assert len(_got(operator, "vouchers.application.review")) == 1


def test_refusals_reach_only_the_enterprise_with_the_reason(
    scheme, enterprise_org, enterprise_user, other_enterprise_org, other_enterprise_user, operator, leader
):
    first = services.application_submit(
        actor=enterprise_user, scheme=scheme, enterprise=enterprise_org, requested_fen=300_000, purpose="检测"
    )
    services.application_review(actor=operator, application=first, approve=False, note="材料不全")
    [rejected] = _all(enterprise_user)
    assert rejected.kind == "vouchers.application.rejected"
    assert first.code in rejected.title and "初审未通过" in rejected.title and "3,000.00 元" in rejected.title
    assert rejected.body == "材料不全" and rejected.url == _url("application-detail", first.code)
    assert _all(leader) == []  # nothing to approve
    assert _all(other_enterprise_user) == []

    second = services.application_submit(
        actor=other_enterprise_user,
        scheme=scheme,
        enterprise=other_enterprise_org,
        requested_fen=200_000,
        purpose="设计",
    )
    services.application_review(actor=operator, application=second, approve=True)
    services.application_decide(actor=leader, application=second, approve=False, note="预算用途不符")
    [refused] = _got(other_enterprise_user, "vouchers.application.rejected")
    assert second.code in refused.title and "未获批准" in refused.title and refused.body == "预算用途不符"
    assert refused.url == _url("application-detail", second.code)
    assert len(_all(enterprise_user)) == 1  # only its own refusal
    assert not Notification.objects.filter(kind="vouchers.voucher.granted").exists()


def test_no_one_is_asked_to_check_their_own_step(scheme, enterprise_org, district_office, operator, leader):
    both = _with_role(user_with_role(Role.ENTERPRISE, enterprise_org, username="ent-op"), Role.OPERATOR)
    application = services.application_submit(
        actor=both, scheme=scheme, enterprise=enterprise_org, requested_fen=100_000, purpose="检测"
    )
    assert len(_got(operator, "vouchers.application.review")) == 1
    assert _got(both, "vouchers.application.review") == []  # the maker is not asked to review

    reviewer = _with_role(user_with_role(Role.OPERATOR, district_office, username="op-lead"), Role.LEADER)
    services.application_review(actor=reviewer, application=application, approve=True)
    assert len(_got(leader, "vouchers.application.approve")) == 1
    assert _got(reviewer, "vouchers.application.approve") == []  # the first reviewer may not approve


# --- orders --------------------------------------------------------------------------------------------


def test_an_order_goes_back_and_forth_between_provider_and_enterprise(
    voucher,
    service,
    provider_org,
    enterprise_user,
    colleague,
    provider_user,
    provider_colleague,
    other_enterprise_user,
):
    seen = {u.pk: len(_all(u)) for u in (enterprise_user, colleague, provider_user, provider_colleague)}
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    for person in (provider_user, provider_colleague):
        [placed] = _got(person, "vouchers.order.placed")
        assert order.code in placed.title and service.name in placed.title
        assert "2,000.00 元" in placed.title and "1,000.00 元" in placed.title
        assert placed.url == _url("order-detail", order.code)
    assert len(_all(enterprise_user)) == seen[enterprise_user.pk]

    services.order_accept(actor=provider_user, order=order)
    for person in (enterprise_user, colleague):
        [accepted] = _got(person, "vouchers.order.accepted")
        assert order.code in accepted.title and provider_org.name in accepted.title
        assert accepted.url == _url("order-detail", order.code)
    assert _got(provider_user, "vouchers.order.accepted") == []

    services.order_deliver(actor=provider_user, order=order, note="报告已出")
    for person in (enterprise_user, colleague):
        [delivered] = _got(person, "vouchers.order.delivered")
        assert (
            order.code in delivered.title and "请确认" in delivered.title and "1,000.00 元" in delivered.title
        )
        assert delivered.body == "报告已出" and delivered.url == _url("order-detail", order.code)

    services.order_confirm(actor=enterprise_user, order=order)
    for person in (provider_user, provider_colleague):
        [confirmed] = _got(person, "vouchers.order.confirmed")
        assert (
            order.code in confirmed.title
            and "可申请结算" in confirmed.title
            and "1,000.00 元" in confirmed.title
        )
        assert confirmed.url == _url("order-detail", order.code)
    assert _got(enterprise_user, "vouchers.order.confirmed") == []
    assert _all(other_enterprise_user) == []

    before = Notification.objects.count()
    notify.order_placed(order, actor=enterprise_user)
    notify.order_confirmed(order, actor=enterprise_user)
    assert Notification.objects.count() == before


def test_a_declined_order_tells_the_enterprise_and_a_cancelled_one_the_provider(
    voucher, service, enterprise_user, provider_user
):
    declined = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_decline(actor=provider_user, order=declined, reason="排期已满")
    [note] = _got(enterprise_user, "vouchers.order.declined")
    assert declined.code in note.title and "1,000.00 元" in note.title and note.body == "排期已满"
    assert _got(provider_user, "vouchers.order.declined") == []

    cancelled = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_cancel(actor=enterprise_user, order=cancelled, reason="需求变更")
    [note] = _got(provider_user, "vouchers.order.cancelled")
    assert cancelled.code in note.title and note.body == "需求变更"
    assert note.url == _url("order-detail", cancelled.code)
    assert _got(enterprise_user, "vouchers.order.cancelled") == []


def test_a_rolled_back_or_refused_step_tells_no_one(voucher, service, enterprise_user, provider_user):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.order_accept(actor=provider_user, order=order)
        assert len(_got(enterprise_user, "vouchers.order.accepted")) == 1
        raise RuntimeError("the caller's transaction fails")
    assert _got(enterprise_user, "vouchers.order.accepted") == []
    with pytest.raises(ValidationError):
        services.order_deliver(actor=provider_user, order=order)  # not accepted: refused
    assert _got(enterprise_user, "vouchers.order.delivered") == []


# --- settlement ----------------------------------------------------------------------------------------


def _confirmed(voucher, service, enterprise_user, provider_actor):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    return factories.deliver_and_confirm(
        order=order, provider_actor=provider_actor, enterprise_actor=enterprise_user
    )


def test_settlement_tells_the_operators_the_leaders_and_each_provider_its_own_share(
    voucher,
    service,
    enterprise_user,
    provider_user,
    provider_colleague,
    operator,
    operator2,
    leader,
    leader2,
    media_root,
):
    claim = factories.submit_claim(
        order=_confirmed(voucher, service, enterprise_user, provider_user), actor=provider_user
    )
    for op in (operator, operator2):
        [ask] = _got(op, "vouchers.claim.review")
        assert (
            claim.code in ask.title
            and "1,000.00 元" in ask.title
            and ask.url == _url("claim-detail", claim.code)
        )
    assert _got(provider_user, "vouchers.claim.review") == []

    services.claim_review(actor=operator, claim=claim, approve=False, note="发票抬头有误")
    for person in (provider_user, provider_colleague):
        [returned] = _got(person, "vouchers.claim.reviewed")
        assert claim.code in returned.title and "退回" in returned.title and returned.body == "发票抬头有误"
        assert returned.url == _url("claim-detail", claim.code)
    assert _got(operator, "vouchers.claim.reviewed") == []

    claim = services.claim_resubmit(
        actor=provider_user,
        claim=claim,
        invoice=factories.minimal_pdf("v2"),
        invoice_name="发票.pdf",
        invoice_number="No.2",
        invoice_amount_fen=200_000,
    )
    assert len(_got(operator2, "vouchers.claim.review")) == 2  # each round once
    claim = services.claim_review(actor=operator2, claim=claim, approve=True)
    notes = _got(provider_user, "vouchers.claim.reviewed")
    assert len(notes) == 2 and "审核通过" in notes[-1].title

    # a second provider, with its own claim, in the same monthly batch
    other_org = OrganizationFactory(kind=OrganizationKind.PROVIDER, name="上海嘉定检测技术服务有限公司")
    other_user = user_with_role(Role.PROVIDER, other_org, username="prov2")
    other = factories.make_provider(organization=other_org, applicant=other_user, reviewer=operator)
    other_service = factories.make_service(
        provider=other, actor=other_user, price_fen=300_000, name="可靠性试验"
    )
    other_claim = factories.submit_claim(
        order=_confirmed(voucher, other_service, enterprise_user, other_user), actor=other_user
    )
    services.claim_review(actor=operator, claim=other_claim, approve=True)

    batch = services.batch_create(actor=operator, period=claim.reviewed_at.date())
    for lead in (leader, leader2):
        [ask] = _got(lead, "vouchers.batch.approve")
        assert batch.code in ask.title and "2 笔" in ask.title and "2,500.00 元" in ask.title
        assert ask.url == _url("batch-detail", batch.code)
    assert _got(operator, "vouchers.batch.approve") == []

    services.batch_approve(actor=leader, batch=batch)
    [pay] = _got(operator2, "vouchers.batch.pay")
    assert batch.code in pay.title and pay.url == _url("batch-detail", batch.code)
    assert _got(leader, "vouchers.batch.pay") == []

    services.batch_pay(actor=operator, batch=batch)
    for person in (provider_user, provider_colleague):
        [paid] = _got(person, "vouchers.batch.paid")
        assert batch.code in paid.title and "1 笔" in paid.title and "1,000.00 元" in paid.title
        assert claim.code in paid.body and other_claim.code not in paid.body
        assert paid.url == _url("claim-detail", claim.code)
    [paid] = _got(other_user, "vouchers.batch.paid")
    assert "1,500.00 元" in paid.title and other_claim.code in paid.body and claim.code not in paid.body
    assert paid.url == _url("claim-detail", other_claim.code)
    assert _got(enterprise_user, "vouchers.batch.paid") == [] == _got(operator, "vouchers.batch.paid")

    before = Notification.objects.count()
    notify.batch_paid(batch, actor=operator)
    notify.batch_created(batch, actor=operator)
    assert Notification.objects.count() == before


def test_the_monthly_job_asks_every_leader(
    voucher, service, enterprise_user, provider_user, operator, leader, media_root
):
    claim = factories.submit_claim(
        order=_confirmed(voucher, service, enterprise_user, provider_user), actor=provider_user
    )
    services.claim_review(actor=operator, claim=claim, approve=True)
    claim.refresh_from_db()
    batch = services.batch_create(actor=None, period=claim.reviewed_at.date())
    [ask] = _got(leader, "vouchers.batch.approve")
    assert batch.code in ask.title


# --- vouchers: revocation and expiry -------------------------------------------------------------------


def test_a_revoked_voucher_tells_its_enterprise(
    voucher, enterprise_user, colleague, other_enterprise_user, operator, operator2
):
    services.voucher_revoke(actor=operator, voucher=voucher, reason="虚报材料")
    for person in (enterprise_user, colleague):
        [revoked] = _got(person, "vouchers.voucher.revoked")
        assert voucher.code in revoked.title and "5,000.00 元" in revoked.title and revoked.body == "虚报材料"
        assert revoked.url == _url("voucher-detail", voucher.code)
    assert _got(operator, "vouchers.voucher.revoked") == [] == _got(operator2, "vouchers.voucher.revoked")
    assert _all(other_enterprise_user) == []


def test_an_expired_voucher_tells_its_enterprise_once(
    voucher, service, enterprise_user, other_enterprise_user
):
    factories.make_order(voucher=voucher, service=service, actor=enterprise_user)  # 1,000 held, then released
    after = voucher.expires_on + dt.timedelta(days=1)
    services.vouchers_expire_due(today=after)
    services.vouchers_expire_due(today=after)  # the daily job again
    [expired] = _got(enterprise_user, "vouchers.voucher.expired")
    assert voucher.code in expired.title and "5,000.00 元" in expired.title
    assert expired.url == _url("voucher-detail", voucher.code)
    assert _all(other_enterprise_user) == []


# --- providers -----------------------------------------------------------------------------------------


def test_a_provider_registration_goes_to_the_operators_and_the_result_back(
    provider_org, provider_user, provider_colleague, operator, operator2
):
    provider = services.provider_register(
        actor=provider_user, organization=provider_org, categories=["testing"]
    )
    for op in (operator, operator2):
        [ask] = _got(op, "vouchers.provider.review")
        assert provider_org.name in ask.title and provider.code in ask.title
        assert ask.url == _url("provider-detail", provider.code)
    assert _all(provider_user) == [] == _all(provider_colleague)

    services.provider_review(actor=operator, provider=provider, approve=False, note="资质证书过期")
    for person in (provider_user, provider_colleague):
        [result] = _got(person, "vouchers.provider.reviewed")
        assert provider.code in result.title and "未通过" in result.title and result.body == "资质证书过期"
        assert result.url == _url("provider-detail", provider.code)
    assert _got(operator, "vouchers.provider.reviewed") == []

    provider = services.provider_register(
        actor=provider_user, organization=provider_org, categories=["testing"]
    )
    assert len(_got(operator2, "vouchers.provider.review")) == 2  # a new round is news again
    services.provider_review(actor=operator2, provider=provider, approve=True)
    notes = _got(provider_user, "vouchers.provider.reviewed")
    assert len(notes) == 2 and "已通过" in notes[-1].title
