"""Settlement: claims with an invoice checked by content, review, monthly batches, payment exactly once,
and the settlement file."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from openpyxl import load_workbook

from kechuang.ledger import services as ledger
from kechuang.ledger.errors import DuplicateBusinessReference
from kechuang.ledger.models import JournalEntry
from kechuang.ledger.reconcile import reconcile
from kechuang.vouchers import factories, services
from kechuang.vouchers.choices import BatchStatus, ClaimStatus
from kechuang.vouchers.models import SettlementBatch, SettlementClaim

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed_order(voucher, service, enterprise_user, provider_user):
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    return factories.deliver_and_confirm(
        order=order, provider_actor=provider_user, enterprise_actor=enterprise_user
    )


@pytest.fixture
def approved_claim(confirmed_order, provider_user, operator, media_root):
    claim = factories.submit_claim(order=confirmed_order, actor=provider_user)
    return services.claim_review(actor=operator, claim=claim, approve=True)


@pytest.mark.parametrize(
    "content, name, message",
    [
        (b"<html><script>alert(1)</script></html>", "发票.pdf", "网页"),
        (b"MZ\x90\x00" + b"\x00" * 100, "发票.pdf", "可执行"),
        (factories.minimal_pdf(), "发票.exe", "扩展名"),
    ],
)
def test_an_invoice_is_checked_by_its_content(
    confirmed_order, provider_user, media_root, content, name, message
):
    with pytest.raises(ValidationError) as info:
        services.claim_submit(
            actor=provider_user,
            order=confirmed_order,
            invoice=content,
            invoice_name=name,
            invoice_number="No.1",
            invoice_amount_fen=confirmed_order.price_fen,
        )
    assert message in str(info.value)
    assert not SettlementClaim.objects.exists()


def test_an_invoice_smaller_than_the_claim_is_refused(confirmed_order, provider_user, media_root):
    with pytest.raises(ValidationError, match="发票金额"):
        services.claim_submit(
            actor=provider_user,
            order=confirmed_order,
            invoice=factories.minimal_pdf(),
            invoice_name="发票.pdf",
            invoice_number="No.1",
            invoice_amount_fen=1,
        )


def test_only_a_confirmed_order_can_be_claimed_and_only_once(
    voucher, service, enterprise_user, provider_user, confirmed_order, media_root
):
    pending = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    with pytest.raises(ValidationError, match="确认交付后"):
        factories.submit_claim(order=pending, actor=provider_user)
    factories.submit_claim(order=confirmed_order, actor=provider_user)
    with pytest.raises(ValidationError, match="已申请结算"):
        factories.submit_claim(order=confirmed_order, actor=provider_user)


def test_a_rejected_claim_can_be_resubmitted_with_a_new_invoice(
    confirmed_order, provider_user, operator, media_root
):
    claim = factories.submit_claim(order=confirmed_order, actor=provider_user)
    with pytest.raises(ValidationError):
        services.claim_review(actor=operator, claim=claim, approve=False)  # a reason is required
    claim = services.claim_review(actor=operator, claim=claim, approve=False, note="发票抬头有误")
    assert claim.status == ClaimStatus.REJECTED
    claim = services.claim_resubmit(
        actor=provider_user,
        claim=claim,
        invoice=factories.minimal_pdf("new"),
        invoice_name="新发票.pdf",
        invoice_number="No.2",
        invoice_amount_fen=confirmed_order.price_fen,
    )
    assert claim.status == ClaimStatus.SUBMITTED and claim.invoice_number == "No.2"


def test_the_monthly_batch_takes_the_months_approved_claims_once(approved_claim, operator):
    month = approved_claim.reviewed_at.date()
    earlier = services.batch_create(actor=operator, period=month - dt.timedelta(days=40))
    assert earlier is None  # approved after that month ended
    out = io.StringIO()
    call_command("vouchers_monthly_batch", "--month", f"{month:%Y-%m}", stdout=out)
    call_command("vouchers_monthly_batch", "--month", f"{month:%Y-%m}", stdout=out)
    assert "已生成结算批次" in out.getvalue() and "没有待结算的申请" in out.getvalue()
    batch = SettlementBatch.objects.get()
    assert batch.created_by is None and batch.claim_count == 1


def test_a_batch_is_paid_once_and_each_claim_can_never_be_paid_twice(approved_claim, operator, leader):
    batch = services.batch_create(actor=operator, period=approved_claim.reviewed_at.date())
    services.batch_approve(actor=leader, batch=batch)
    services.batch_pay(actor=operator, batch=batch)
    with pytest.raises(ValidationError):
        services.batch_pay(actor=operator, batch=batch)
    claim = SettlementClaim.objects.get(pk=approved_claim.pk)
    assert JournalEntry.objects.filter(kind="vouchers.settle").count() == 1
    # even a direct second posting with another key is refused by the unique business reference
    with pytest.raises(DuplicateBusinessReference):
        ledger.post(
            actor=operator,
            idempotency_key="another-key",
            kind="vouchers.settle",
            memo="再付一次",
            business_reference=f"vouchers.claim:{claim.code}",
            lines=[
                ledger.debit(f"vouchers:{claim.scheme.code}:fund", 1),
                ledger.credit(f"vouchers:{claim.scheme.code}:budget", 1),
            ],
        )
    assert reconcile().ok


def test_the_settlement_file_lists_each_claim_with_formula_safe_cells(
    approved_claim, operator, leader, provider_org
):
    provider_org.name = '=HYPERLINK("http://evil")公司'
    provider_org.save()
    batch = services.batch_create(actor=operator, period=approved_claim.reviewed_at.date())
    services.batch_approve(actor=leader, batch=batch)
    services.batch_pay(actor=operator, batch=batch)
    workbook = load_workbook(io.BytesIO(services.batch_export(actor=leader, batch=batch)))
    rows = list(workbook["结算明细"].iter_rows(values_only=True))
    assert rows[0][0] == "结算申请编号"
    assert rows[1][0] == approved_claim.code and rows[1][7] == approved_claim.amount_fen / 100
    assert rows[1][2].startswith("'=")
    summary = dict(workbook["汇总"].iter_rows(values_only=True))
    assert summary["结算批次"] == batch.code and summary["状态"] == "已支付"
    assert SettlementBatch.objects.get(pk=batch.pk).status == BatchStatus.PAID
