"""The leader's decision on a settlement batch is not "approve or nothing" (issue 14 item 1, second half;
docs/reliability.md, two-step decisions): claims the leader does not accept go back to the operators'
review with a reason, the rest stays for approval; a batch returned whole is removed; the maker of the
batch can never do it (maker-checker kept); nothing is posted to the ledger for a batch not yet paid."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.ledger.models import JournalEntry
from kechuang.ledger.reconcile import reconcile
from kechuang.notifications.models import Notification
from kechuang.vouchers import factories, services
from kechuang.vouchers.choices import BatchStatus, ClaimStatus
from kechuang.vouchers.models import SettlementBatch, SettlementClaim

pytestmark = pytest.mark.django_db


@pytest.fixture
def claims(voucher, service, enterprise_user, provider_user, operator, media_root):
    made = []
    for _ in range(2):
        order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
        order = factories.deliver_and_confirm(
            order=order, provider_actor=provider_user, enterprise_actor=enterprise_user
        )
        claim = factories.submit_claim(order=order, actor=provider_user)
        made.append(services.claim_review(actor=operator, claim=claim, approve=True))
    return made


def test_the_leader_returns_one_claim_with_a_reason_and_approves_the_rest(claims, operator, leader):
    first, second = claims
    batch = services.batch_create(actor=operator, period=second.reviewed_at.date())
    assert batch.claim_count == 2
    with pytest.raises(PermissionDenied):  # the maker of the batch cannot decide on it
        services.batch_return(actor=operator, batch=batch, reason="我自己退回", claims=[first.code])
    with pytest.raises(ValidationError):  # a reason is required
        services.batch_return(actor=leader, batch=batch, reason=" ", claims=[first.code])
    kept = services.batch_return(
        actor=leader, batch=batch, reason="发票抬头与企业名称不符", claims=[first.code]
    )
    assert kept is not None and kept.claim_count == 1 and kept.total_fen == second.amount_fen
    returned = SettlementClaim.objects.get(pk=first.pk)
    assert returned.status == ClaimStatus.SUBMITTED and returned.batch_id is None
    assert "发票抬头与企业名称不符" in returned.review_note and returned.reviewed_by_id is None
    event = AuditEvent.objects.get(action="vouchers.batch.return")
    assert event.detail["claims"] == [first.code] and event.detail["reason"] == "发票抬头与企业名称不符"
    assert Notification.objects.filter(recipient=operator, kind="vouchers.batch.returned").exists()

    services.batch_approve(actor=leader, batch=kept)  # the rest goes on
    services.batch_pay(actor=operator, batch=kept)
    assert JournalEntry.objects.filter(kind="vouchers.settle").count() == 1
    # the returned claim is reviewed again and settles in a later batch
    again = services.claim_review(actor=operator, claim=returned, approve=True)
    later = services.batch_create(actor=operator, period=again.reviewed_at.date())
    assert later is not None and list(later.claims.values_list("code", flat=True)) == [first.code]
    assert reconcile().ok


def test_a_batch_returned_whole_is_removed_and_its_claims_go_back_to_review(claims, operator, leader):
    batch = services.batch_create(actor=operator, period=claims[1].reviewed_at.date())
    assert services.batch_return(actor=leader, batch=batch, reason="本月预算尚未下达") is None
    assert not SettlementBatch.objects.filter(pk=batch.pk).exists()
    assert set(SettlementClaim.objects.values_list("status", flat=True)) == {ClaimStatus.SUBMITTED}
    event = AuditEvent.objects.get(action="vouchers.batch.return")
    assert event.object_repr == batch.code and event.detail["kept"] == 0
    assert JournalEntry.objects.filter(kind="vouchers.settle").count() == 0


def test_an_approved_batch_cannot_be_returned(claims, operator, leader):
    batch = services.batch_create(actor=operator, period=claims[1].reviewed_at.date())
    services.batch_approve(actor=leader, batch=batch)
    with pytest.raises(ValidationError):
        services.batch_return(actor=leader, batch=batch, reason="晚了")
    assert SettlementBatch.objects.get(pk=batch.pk).status == BatchStatus.APPROVED


def test_the_batch_page_lets_the_leader_return_chosen_claims(client, claims, operator, leader):
    first, _second = claims
    batch = services.batch_create(actor=operator, period=claims[1].reviewed_at.date())
    client.force_login(operator)
    assert (
        'data-testid="batch-return"'
        not in client.get(reverse("vouchers:batch-detail", args=[batch.code])).content.decode()
    )
    client.force_login(leader)
    page = client.get(reverse("vouchers:batch-detail", args=[batch.code])).content.decode()
    assert 'data-testid="batch-return"' in page and f'value="{first.code}"' in page
    response = client.post(
        reverse("vouchers:batch-return", args=[batch.code]), {"reason": "重复报销", "claims": [first.code]}
    )
    assert response.status_code == 302
    assert SettlementBatch.objects.get(pk=batch.pk).claim_count == 1
    assert SettlementClaim.objects.get(pk=first.pk).status == ClaimStatus.SUBMITTED


def test_the_api_returns_a_whole_batch(claims, operator, leader):
    from rest_framework.test import APIClient

    batch = services.batch_create(actor=operator, period=claims[1].reviewed_at.date())
    api = APIClient()
    api.force_authenticate(leader)
    url = f"/api/v1/vouchers/batches/{batch.code}/return/"
    assert api.post(url, {"reason": ""}, format="json").status_code == 400
    assert api.post(url, {"reason": "整批退回"}, format="json").status_code == 204
    assert not SettlementBatch.objects.filter(pk=batch.pk).exists()
