"""The voucher API (/api/v1/vouchers/…): the flow by token, idempotent creates, clean errors."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kechuang.ledger.models import Account, JournalEntry
from kechuang.vouchers import factories
from kechuang.vouchers.choices import ApplicationStatus, BatchStatus
from kechuang.vouchers.models import Application, ServiceOrder

pytestmark = pytest.mark.django_db

API = "/api/v1/vouchers"


def as_user(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.mark.slow
def test_the_flow_through_the_api_by_token(
    operator, operator2, leader, enterprise_user, provider_user, scheme, provider, service, media_root
):
    enterprise, operator_api, leader_api = as_user(enterprise_user), as_user(operator), as_user(leader)
    provider_api = as_user(provider_user)

    response = enterprise.post(
        f"{API}/applications/",
        {
            "scheme": scheme.code,
            "requested_fen": 400_000,
            "purpose": "检测",
            "planned_categories": ["testing"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert (
        operator_api.post(f"{API}/applications/{code}/review/", {"approve": True}, format="json").status_code
        == 200
    )
    decided = leader_api.post(f"{API}/applications/{code}/decide/", {"approve": True}, format="json")
    assert decided.status_code == 200 and decided.json()["status"] == ApplicationStatus.GRANTED
    voucher_code = decided.json()["voucher"]

    voucher = enterprise.get(f"{API}/{voucher_code}/").json()
    assert (voucher["balance_fen"], voucher["held_fen"], voucher["available_fen"]) == (400_000, 0, 400_000)

    order = enterprise.post(
        f"{API}/orders/",
        {"voucher": voucher_code, "service": service.code, "quantity": 2},
        format="json",
        HTTP_IDEMPOTENCY_KEY="order-1",
    )
    assert order.status_code == 201
    order_code = order.json()["code"]
    assert order.json()["voucher_fen"] == 200_000
    assert enterprise.get(f"{API}/{voucher_code}/").json()["held_fen"] == 200_000

    assert provider_api.post(f"{API}/orders/{order_code}/accept/").status_code == 200
    assert (
        provider_api.post(
            f"{API}/orders/{order_code}/deliver/", {"note": "已交付"}, format="json"
        ).status_code
        == 200
    )
    confirmed = enterprise.post(f"{API}/orders/{order_code}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["redeemed_fen"] == 200_000
    voucher = enterprise.get(f"{API}/{voucher_code}/").json()
    account = Account.objects.get(code=f"vouchers:{voucher_code}")
    assert (
        (voucher["balance_fen"], voucher["held_fen"])
        == (account.balance_fen, account.held_fen)
        == (200_000, 0)
    )
    lines = enterprise.get(f"{API}/{voucher_code}/ledger/").json()["results"]
    assert [line["balance_after_fen"] for line in lines] == [200_000, 400_000]

    invoice = SimpleUploadedFile("发票.pdf", factories.minimal_pdf(), content_type="application/pdf")
    claim = provider_api.post(
        f"{API}/claims/",
        {"order": order_code, "invoice_number": "No.1", "invoice_amount_fen": 400_000, "invoice": invoice},
        format="multipart",
    )
    assert claim.status_code == 201, claim.content
    claim_code = claim.json()["code"]
    assert provider_api.get(f"{API}/claims/{claim_code}/invoice/").status_code == 200
    assert (
        operator_api.post(f"{API}/claims/{claim_code}/review/", {"approve": True}, format="json").status_code
        == 200
    )
    batch = operator_api.post(f"{API}/batches/", {"period": claim.json()["submitted_at"][:10]}, format="json")
    assert batch.status_code == 201
    batch_code = batch.json()["code"]
    assert operator_api.post(f"{API}/batches/{batch_code}/approve/").status_code == 403  # the creator may not
    assert leader_api.post(f"{API}/batches/{batch_code}/approve/").status_code == 200
    paid = as_user(operator2).post(f"{API}/batches/{batch_code}/pay/")
    assert paid.status_code == 200 and paid.json()["status"] == BatchStatus.PAID
    export = leader_api.get(f"{API}/batches/{batch_code}/export/")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")

    report = leader_api.get(f"{API}/schemes/{scheme.code}/report/").json()
    assert report["figures"]["paid_fen"] == 200_000 and report["by_category"][0]["category"] == "testing"


def test_a_retried_order_with_the_same_idempotency_key_returns_the_first_order(
    voucher, service, enterprise_user
):
    client = as_user(enterprise_user)
    body = {"voucher": voucher.code, "service": service.code, "quantity": 1}
    first = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    entries = JournalEntry.objects.count()
    again = client.post(f"{API}/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert ServiceOrder.objects.count() == 1 and JournalEntry.objects.count() == entries
    conflict = client.post(
        f"{API}/orders/", {**body, "quantity": 2}, format="json", HTTP_IDEMPOTENCY_KEY="retry-1"
    )
    assert conflict.status_code == 409
    assert ServiceOrder.objects.count() == 1


def test_a_retried_application_returns_the_first(scheme, enterprise_user):
    client = as_user(enterprise_user)
    body = {"scheme": scheme.code, "requested_fen": 1_000, "purpose": "x"}
    first = client.post(f"{API}/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="a-1")
    again = client.post(f"{API}/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="a-1")
    assert first.status_code == again.status_code == 201 and first.json()["code"] == again.json()["code"]
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"requested_fen": 0, "purpose": "x"},
        {"requested_fen": -5, "purpose": "x"},
        {"requested_fen": 1.5, "purpose": "x"},
        {"requested_fen": "一百", "purpose": "x"},
        {"requested_fen": 10**20, "purpose": "x"},
        {"requested_fen": 100, "purpose": "\x00"},
        {"requested_fen": 100, "purpose": "😀" * 3000},
        {"requested_fen": 100, "purpose": "x", "planned_categories": ["nonsense"]},
    ],
)
def test_bad_input_gets_a_clean_400_and_writes_nothing(scheme, enterprise_user, body):
    response = as_user(enterprise_user).post(
        f"{API}/applications/", {"scheme": scheme.code, **body}, format="json"
    )
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_a_state_error_is_a_400_with_a_chinese_message(voucher, enterprise_user, service):
    client = as_user(enterprise_user)
    order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    response = client.post(f"{API}/orders/{order.code}/confirm/")
    assert response.status_code == 400
    assert "确认交付" in str(response.json())


def test_the_enterprise_sees_only_its_own_objects_in_lists(
    voucher, service, enterprise_user, other_enterprise_user, operator, leader, scheme, other_enterprise_org
):
    factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.make_voucher(
        scheme=scheme,
        enterprise=other_enterprise_org,
        applicant=other_enterprise_user,
        operator=operator,
        leader=leader,
    )
    mine = as_user(enterprise_user).get(f"{API}/").json()["results"]
    theirs = as_user(other_enterprise_user).get(f"{API}/").json()["results"]
    assert [v["code"] for v in mine] == [voucher.code]
    assert voucher.code not in [v["code"] for v in theirs] and len(theirs) == 1
    assert as_user(other_enterprise_user).get(f"{API}/orders/").json()["count"] == 0
    assert as_user(operator).get(f"{API}/").json()["count"] == 2


def test_the_api_shows_the_caps_headroom_and_the_leader_grants_less_with_a_reason(
    operator, leader, enterprise_user, scheme
):
    """Issue 14 item 1 through the API: the application carries what the caps still allow while it is
    decided; the leader may approve a lower amount (``approved_fen``) with a reason, never a higher one."""
    enterprise, operator_api, leader_api = as_user(enterprise_user), as_user(operator), as_user(leader)
    code = enterprise.post(
        f"{API}/applications/",
        {"scheme": scheme.code, "requested_fen": 400_000, "purpose": "检测"},
        format="json",
    ).json()["code"]
    shown = enterprise.get(f"{API}/applications/{code}/").json()
    assert shown["headroom"]["enterprise_left_fen"] == scheme.enterprise_cap_fen
    assert shown["headroom"]["grantable_fen"] == min(scheme.enterprise_cap_fen, scheme.controller_cap_fen)
    assert "headroom" not in enterprise.get(f"{API}/applications/").json()["results"][0]  # lists stay lean

    too_much = operator_api.post(
        f"{API}/applications/{code}/review/",
        {"approve": True, "recommended_fen": scheme.enterprise_cap_fen + 1},
        format="json",
    )
    assert too_much.status_code == 400 and "recommended_fen" in too_much.json()
    assert (
        operator_api.post(f"{API}/applications/{code}/review/", {"approve": True}, format="json").status_code
        == 200
    )

    no_reason = leader_api.post(
        f"{API}/applications/{code}/decide/", {"approve": True, "approved_fen": 300_000}, format="json"
    )
    assert no_reason.status_code == 400 and "note" in no_reason.json()
    higher = leader_api.post(
        f"{API}/applications/{code}/decide/",
        {"approve": True, "approved_fen": 500_000, "note": "多给"},
        format="json",
    )
    assert higher.status_code == 400 and "approved_fen" in higher.json()
    granted = leader_api.post(
        f"{API}/applications/{code}/decide/",
        {"approve": True, "approved_fen": 300_000, "note": "按预算安排发放 3,000 元"},
        format="json",
    )
    assert granted.status_code == 200, granted.content
    body = granted.json()
    assert (body["status"], body["recommended_fen"], body["granted_fen"], body["headroom"]) == (
        ApplicationStatus.GRANTED,
        400_000,
        300_000,
        None,
    )
    assert Application.objects.get(code=code).voucher.granted_fen == 300_000
