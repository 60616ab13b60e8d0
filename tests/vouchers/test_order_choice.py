"""Issue 14 item 11: ``/vouchers/v/<code>/order/`` without ``?service=`` offers the services the voucher can
buy instead of answering 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from kechuang.vouchers.models import ServiceOrder

pytestmark = pytest.mark.django_db


def test_ordering_without_a_service_offers_a_choice(voucher, service, enterprise_user):
    client = Client()
    client.force_login(enterprise_user)
    page = client.get(reverse("vouchers:order-create", args=[voucher.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="order-choose"' in html and service.name in html
    assert f"?service={service.code}" in html


def test_posting_without_a_service_says_to_choose_one_and_orders_nothing(voucher, service, enterprise_user):
    client = Client()
    client.force_login(enterprise_user)
    response = client.post(reverse("vouchers:order-create", args=[voucher.code]), {"quantity": "1"})
    assert response.status_code == 400
    assert "请先选择要购买的服务" in response.content.decode()
    assert not ServiceOrder.objects.exists()


def test_an_unknown_service_is_still_not_found(voucher, enterprise_user):
    client = Client()
    client.force_login(enterprise_user)
    assert (
        client.get(reverse("vouchers:order-create", args=[voucher.code]), {"service": "FW-NONE"}).status_code
        == 404
    )


def test_another_enterprise_gets_no_choice_of_this_voucher(voucher, other_enterprise_user):
    client = Client(raise_request_exception=False)
    client.force_login(other_enterprise_user)
    assert client.get(reverse("vouchers:order-create", args=[voucher.code])).status_code in (403, 404)
