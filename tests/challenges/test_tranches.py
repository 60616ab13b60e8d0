"""Tranche payments (docs/reliability.md G7, B4): strictly in order, never twice, never beyond the award, the
approver never the requester; the database itself refuses a second payment row; reconciliation agrees."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from kechuang.challenges import services
from kechuang.challenges.choices import MilestoneStatus
from kechuang.challenges.models import Milestone, TranchePayment
from kechuang.ledger.models import JournalEntry
from kechuang.ledger.reconcile import reconcile

pytestmark = pytest.mark.django_db


def _ready(milestone, institute_user, enterprise_user, operator):
    services.milestone_deliver(actor=institute_user, milestone=milestone, note="完成")
    services.milestone_accept(actor=enterprise_user, milestone=milestone)
    return services.tranche_request(actor=operator, milestone=milestone)


def _tranche_entries() -> int:
    return JournalEntry.objects.filter(kind="challenges.tranche").count()


def test_first_tranche_posts_to_the_ledger_with_the_tranche_reference(
    award, institute_user, enterprise_user, operator, operator2
):
    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    payment = services.tranche_pay(actor=operator2, milestone=first)
    entry = payment.entry
    assert (
        entry.business_reference == f"challenges.tranche:{first.code}" and entry.total_fen == first.amount_fen
    )
    assert Milestone.objects.get(pk=first.pk).status == MilestoneStatus.PAID
    report = reconcile(only=["challenges_tranches_match_ledger", "challenges_awards_match_ledger"])
    assert report.ok, report.as_dict()


def test_requester_cannot_approve_their_own_tranche(award, institute_user, enterprise_user, operator):
    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    with pytest.raises(PermissionDenied):
        services.tranche_pay(actor=operator, milestone=first)
    assert _tranche_entries() == 0 and not TranchePayment.objects.exists()


def test_roles_without_approval_right_cannot_pay(
    award, institute_user, enterprise_user, operator, auditor, commissioner
):
    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    for user in (institute_user, enterprise_user, auditor, commissioner):
        with pytest.raises(PermissionDenied):
            services.tranche_pay(actor=user, milestone=first)
    assert _tranche_entries() == 0


def test_out_of_order_tranche_is_refused_even_when_the_request_is_forced(
    award, institute_user, enterprise_user, operator, operator2
):
    first, second = award.milestones.get(sequence=1), award.milestones.get(sequence=2)
    _ready(first, institute_user, enterprise_user, operator)
    # the second milestone accepted before the first is paid: asking for its tranche is refused
    Milestone.objects.filter(pk=second.pk).update(status=MilestoneStatus.ACCEPTED)
    with pytest.raises(ValidationError, match="顺序"):
        services.tranche_request(actor=operator, milestone=second)
    # and even with the request forced in the database, paying it is refused
    Milestone.objects.filter(pk=second.pk).update(status=MilestoneStatus.REQUESTED, requested_by=operator)
    with pytest.raises(ValidationError, match="顺序"):
        services.tranche_pay(actor=operator2, milestone=second)
    assert _tranche_entries() == 0


def test_a_tranche_is_never_paid_twice(award, institute_user, enterprise_user, operator, operator2, leader):
    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    services.tranche_pay(actor=operator2, milestone=first)
    with pytest.raises(ValidationError, match="重复"):
        services.tranche_pay(actor=leader, milestone=first)
    # forcing the milestone back to "requested" does not help: the payment row is there
    Milestone.objects.filter(pk=first.pk).update(status=MilestoneStatus.REQUESTED)
    with pytest.raises(ValidationError, match="重复"):
        services.tranche_pay(actor=leader, milestone=first)
    assert _tranche_entries() == 1 and TranchePayment.objects.count() == 1


def test_a_tranche_beyond_the_award_total_is_refused(
    award, institute_user, enterprise_user, operator, operator2
):
    first = award.milestones.get(sequence=1)
    Milestone.objects.filter(pk=first.pk).update(amount_fen=award.amount_fen + 1)  # tampered plan
    first.refresh_from_db()
    services.milestone_deliver(actor=institute_user, milestone=first, note="完成")
    services.milestone_accept(actor=enterprise_user, milestone=first)
    with pytest.raises(ValidationError, match="超过"):  # the request refuses it, so no checker meets it
        services.tranche_request(actor=operator, milestone=first)
    assert Milestone.objects.get(pk=first.pk).status == MilestoneStatus.ACCEPTED
    Milestone.objects.filter(pk=first.pk).update(status=MilestoneStatus.REQUESTED, requested_by=operator)
    with pytest.raises(ValidationError, match="超过"):  # a forced request: the payment still refuses
        services.tranche_pay(actor=operator2, milestone=first)
    assert _tranche_entries() == 0 and not TranchePayment.objects.exists()


def test_the_checker_may_send_a_requested_tranche_back_with_a_reason_and_it_can_be_requested_again(
    award, institute_user, enterprise_user, operator, operator2, leader
):
    from kechuang.core.models import AuditEvent
    from kechuang.notifications.models import Notification

    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    with pytest.raises(PermissionDenied):  # maker-checker: never the requester
        services.tranche_return(actor=operator, milestone=first, reason="我自己退回")
    for user in (institute_user, enterprise_user):
        with pytest.raises(PermissionDenied):
            services.tranche_return(actor=user, milestone=first, reason="不同意")
    with pytest.raises(ValidationError):  # a reason is required
        services.tranche_return(actor=leader, milestone=first, reason="  ")
    returned = services.tranche_return(actor=leader, milestone=first, reason="验收报告缺少第三方检测报告")
    assert returned.status == MilestoneStatus.ACCEPTED and returned.requested_by_id is None
    assert _tranche_entries() == 0 and not TranchePayment.objects.exists()
    event = AuditEvent.objects.get(action="challenges.tranche.return")
    assert (
        event.detail["reason"] == "验收报告缺少第三方检测报告" and event.detail["requested_by"] == operator.pk
    )
    told = Notification.objects.get(recipient=operator, title__startswith="拨付申请被退回")
    assert told.body == "验收报告缺少第三方检测报告"
    with pytest.raises(ValidationError):  # nothing left to send back
        services.tranche_return(actor=leader, milestone=first, reason="再退一次")
    services.tranche_request(actor=operator, milestone=first)  # in order again: requested, then paid
    assert Notification.objects.filter(title__startswith="待审批拨付").count() >= 2  # the checkers hear again
    services.tranche_pay(actor=operator2, milestone=first)
    assert Milestone.objects.get(pk=first.pk).status == MilestoneStatus.PAID


def test_the_database_refuses_a_second_payment_row_by_itself(
    award, institute_user, enterprise_user, operator, operator2, leader
):
    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    services.tranche_pay(actor=operator2, milestone=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        TranchePayment.objects.create(
            milestone=first, award=award, amount_fen=1, requested_by=operator, approved_by=leader
        )


def test_the_database_refuses_a_payment_approved_by_its_requester(award, operator):
    first = award.milestones.get(sequence=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TranchePayment.objects.create(
            milestone=first, award=award, amount_fen=1, requested_by=operator, approved_by=operator
        )


def test_the_database_refuses_a_zero_payment(award, operator, leader):
    first = award.milestones.get(sequence=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TranchePayment.objects.create(
            milestone=first, award=award, amount_fen=0, requested_by=operator, approved_by=leader
        )


def test_reconciliation_finds_a_payment_row_without_its_posting(
    award, institute_user, enterprise_user, operator, operator2
):
    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    services.tranche_pay(actor=operator2, milestone=first)
    TranchePayment.objects.filter(milestone=first).update(amount_fen=first.amount_fen + 100)
    report = reconcile(only=["challenges_tranches_match_ledger", "challenges_awards_match_ledger"])
    assert not report.ok
    assert {r.name for r in report.results if not r.ok} == {
        "challenges_tranches_match_ledger",
        "challenges_awards_match_ledger",
    }


def test_the_award_page_offers_the_checker_pay_or_send_back(
    client, award, institute_user, enterprise_user, operator, leader
):
    from django.urls import reverse

    first = award.milestones.get(sequence=1)
    _ready(first, institute_user, enterprise_user, operator)
    page = reverse("challenges:award-detail", args=[award.code])
    client.force_login(operator)  # the requester: neither button
    html = client.get(page).content.decode()
    assert 'data-testid="tranche-pay"' not in html and 'data-testid="tranche-return"' not in html
    client.force_login(leader)
    html = client.get(page).content.decode()
    assert 'data-testid="tranche-pay"' in html and 'data-testid="tranche-return"' in html
    response = client.post(
        reverse("challenges:milestone-return", args=[first.code]), {"reason": "金额与任务书不符"}
    )
    assert response.status_code == 302
    assert Milestone.objects.get(pk=first.pk).status == MilestoneStatus.ACCEPTED
    response = client.post(
        reverse("challenges:milestone-return", args=[first.code]), {"reason": "再退"}, follow=True
    )
    assert "不在待审批状态" in response.content.decode()  # said plainly, nothing changed
