"""docs/reliability.md B4: whoever asks for a voucher, a settlement or a settlement batch never approves it —
at either level of review — and the database refuses it even if the code above forgot. A denied call
changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from kechuang.accounts.choices import Role
from kechuang.ledger.models import Account, JournalEntry
from kechuang.testing.factories import user_with_role
from kechuang.vouchers import factories, services
from kechuang.vouchers.choices import ApplicationStatus, BatchStatus, ClaimStatus
from kechuang.vouchers.models import Application, SettlementBatch, SettlementClaim, Voucher

pytestmark = pytest.mark.django_db


def add_role(user, role: str):
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    user.__dict__.pop("_roles_cache", None)
    return user


def ledger_state() -> tuple:
    return (
        JournalEntry.objects.count(),
        list(Account.objects.order_by("pk").values_list("balance_fen", "held_fen")),
    )


@pytest.fixture
def insider(enterprise_org, district_office):
    """A person who works for the enterprise and also holds the operator and leader roles."""
    user = user_with_role(Role.ENTERPRISE, enterprise_org, username="insider")
    add_role(user, Role.OPERATOR)
    add_role(user, Role.LEADER)
    return user


def test_the_operator_who_applied_cannot_review_the_application(scheme, enterprise_org, insider):
    application = services.application_submit(
        actor=insider, scheme=scheme, enterprise=enterprise_org, requested_fen=100_000, purpose="x"
    )
    before = (Application.objects.get(pk=application.pk).status, ledger_state())
    with pytest.raises(PermissionDenied):
        services.application_review(actor=insider, application=application, approve=True)
    assert (Application.objects.get(pk=application.pk).status, ledger_state()) == before


def test_the_leader_who_applied_cannot_approve_it(scheme, enterprise_org, insider, operator):
    application = services.application_submit(
        actor=insider, scheme=scheme, enterprise=enterprise_org, requested_fen=100_000, purpose="x"
    )
    services.application_review(actor=operator, application=application, approve=True)
    before = ledger_state()
    with pytest.raises(PermissionDenied):
        services.application_decide(actor=insider, application=application, approve=True)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REVIEWED
    assert not Voucher.objects.filter(application=application).exists()
    assert ledger_state() == before


def test_the_leader_who_did_the_first_review_cannot_also_approve(
    scheme, enterprise_org, enterprise_user, insider
):
    application = services.application_submit(
        actor=enterprise_user, scheme=scheme, enterprise=enterprise_org, requested_fen=100_000, purpose="x"
    )
    services.application_review(actor=insider, application=application, approve=True)
    with pytest.raises(PermissionDenied):
        services.application_decide(actor=insider, application=application, approve=True)
    assert not Voucher.objects.filter(application=application).exists()


def test_an_operator_cannot_do_the_leaders_approval(
    scheme, enterprise_org, enterprise_user, operator, operator2
):
    application = services.application_submit(
        actor=enterprise_user, scheme=scheme, enterprise=enterprise_org, requested_fen=100_000, purpose="x"
    )
    services.application_review(actor=operator, application=application, approve=True)
    with pytest.raises(PermissionDenied):
        services.application_decide(actor=operator2, application=application, approve=True)


def test_the_provider_who_claims_a_settlement_cannot_review_it(
    voucher, provider, service, enterprise_user, provider_user, media_root
):
    add_role(provider_user, Role.OPERATOR)
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=order, provider_actor=provider_user, enterprise_actor=enterprise_user)
    claim = factories.submit_claim(order=order, actor=provider_user)
    with pytest.raises(PermissionDenied):
        services.claim_review(actor=provider_user, claim=claim, approve=True)
    assert SettlementClaim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_whoever_creates_a_settlement_batch_cannot_approve_it(
    voucher, service, enterprise_user, provider_user, operator, insider, leader, media_root
):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=order, provider_actor=provider_user, enterprise_actor=enterprise_user)
    claim = factories.submit_claim(order=order, actor=provider_user)
    claim = services.claim_review(actor=operator, claim=claim, approve=True)
    batch = services.batch_create(actor=insider, period=claim.reviewed_at.date())
    with pytest.raises(PermissionDenied):
        services.batch_approve(actor=insider, batch=batch)
    with pytest.raises(Exception):  # noqa: B017 - not approved yet: cannot be paid either
        services.batch_pay(actor=operator, batch=batch)
    assert SettlementBatch.objects.get(pk=batch.pk).status == BatchStatus.DRAFT
    services.batch_approve(actor=leader, batch=batch)
    assert SettlementBatch.objects.get(pk=batch.pk).approved_by == leader


def test_the_confirmer_of_a_delivery_is_not_the_person_who_delivered(
    voucher, service, enterprise_user, provider_user, enterprise_org
):
    from kechuang.accounts.models import Membership

    add_role(provider_user, Role.ENTERPRISE)
    Membership.objects.create(user=provider_user, organization=enterprise_org)
    provider_user.__dict__.pop("_member_org_ids", None)
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    services.order_accept(actor=provider_user, order=order)
    services.order_deliver(actor=provider_user, order=order)
    with pytest.raises(PermissionDenied):
        services.order_confirm(actor=provider_user, order=order)


def test_an_operator_cannot_review_the_provider_registration_they_filed(provider_org, provider_user):
    add_role(provider_user, Role.OPERATOR)
    provider = services.provider_register(actor=provider_user, organization=provider_org, categories=["ip"])
    with pytest.raises(PermissionDenied):
        services.provider_review(actor=provider_user, provider=provider, approve=True)


@pytest.mark.parametrize(
    "model, field, other",
    [
        (Application, "operator_reviewer", "submitted_by"),
        (Application, "leader_reviewer", "submitted_by"),
        (Application, "leader_reviewer", "operator_reviewer"),
    ],
)
def test_the_database_refuses_an_application_approved_by_its_requester(
    scheme, enterprise_org, enterprise_user, operator, model, field, other
):
    application = services.application_submit(
        actor=enterprise_user, scheme=scheme, enterprise=enterprise_org, requested_fen=100_000, purpose="x"
    )
    Application.objects.filter(pk=application.pk).update(operator_reviewer=operator)
    person = getattr(Application.objects.get(pk=application.pk), other)
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=application.pk).update(**{field: person})


def test_the_database_refuses_a_batch_approved_by_its_creator(operator):
    batch = SettlementBatch.objects.create(code="JP-T-1", period="2026-01-01", created_by=operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementBatch.objects.filter(pk=batch.pk).update(approved_by=operator)
