"""docs/reliability.md B1 and B2 for vouchers: every voucher page and API route refuses an anonymous caller, and
an enterprise or provider asking for another organization's applications, vouchers, orders, claims,
invoices, batches or exports gets 403/404 every time — and nothing changes."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from kechuang.accounts.choices import Role
from kechuang.ledger.models import Account, Hold, JournalEntry
from kechuang.testing.factories import OrganizationFactory, user_with_role
from kechuang.vouchers import factories, services
from kechuang.vouchers.models import Application, ServiceOrder, SettlementBatch, SettlementClaim, Voucher

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
REFUSED = {401, 403, 404, 405}


def state() -> tuple:
    return (
        list(Application.objects.order_by("pk").values_list("status", flat=True)),
        list(Voucher.objects.order_by("pk").values_list("status", "returned_fen")),
        list(ServiceOrder.objects.order_by("pk").values_list("status", "redeemed_fen")),
        list(SettlementClaim.objects.order_by("pk").values_list("status", flat=True)),
        list(SettlementBatch.objects.order_by("pk").values_list("status", flat=True)),
        JournalEntry.objects.count(),
        list(Hold.objects.order_by("pk").values_list("status", flat=True)),
        list(Account.objects.order_by("pk").values_list("balance_fen", "held_fen")),
    )


@pytest.fixture
def world(voucher, service, enterprise_user, provider_user, operator, leader, media_root):
    """Enterprise A's voucher with a confirmed (claimed, batched) order and an open one."""
    done = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    factories.deliver_and_confirm(order=done, provider_actor=provider_user, enterprise_actor=enterprise_user)
    claim = services.claim_review(
        actor=operator, claim=factories.submit_claim(order=done, actor=provider_user), approve=True
    )
    batch = services.batch_create(actor=operator, period=claim.reviewed_at.date())
    open_order = factories.make_order(voucher=voucher, service=service, actor=enterprise_user)
    return {
        "voucher": voucher,
        "application": voucher.application,
        "done": done,
        "open": open_order,
        "claim": claim,
        "batch": batch,
        "service": service,
    }


@pytest.fixture
def other_provider_user(operator, db):
    organization = OrganizationFactory(kind="provider", name="另一家检测服务机构", uscc=None)
    user = user_with_role(Role.PROVIDER, organization, username="prov2")
    factories.make_provider(organization=organization, applicant=user, reviewer=operator)
    return user


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        regex = prefix + entry.pattern.regex.pattern
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, regex)
        elif isinstance(entry, URLPattern):
            yield regex


def voucher_urls(world, scheme, provider) -> list[str]:
    """Every voucher page and API route with real codes filled in."""
    from django.contrib.admindocs.views import simplify_regex

    codes = {
        "application": world["application"].code,
        "voucher": world["voucher"].code,
        "order": world["done"].code,
        "claim": world["claim"].code,
        "batch": world["batch"].code,
        "scheme": scheme.code,
        "provider": provider.code,
        "service": world["service"].code,
    }
    urls = set()
    for regex in _walk(get_resolver().url_patterns):
        path = re.sub(r"\\(.)", r"\1", simplify_regex(regex))
        if not (path.startswith("/vouchers/") or path.startswith("/api/v1/vouchers")):
            continue

        def fill(match: re.Match[str], path: str = path) -> str:
            name = match.group(1)
            if name == "account":
                return f"vouchers:{codes['voucher']}"
            if name == "format":
                return "json"
            for key, prefix in (
                ("application", "applications"),
                ("order", "orders"),
                ("claim", "claims"),
                ("batch", "batches"),
                ("scheme", "schemes"),
                ("provider", "providers"),
                ("service", "services"),
            ):
                if f"/{prefix}/" in path:
                    return codes[key]
            return codes["voucher"]

        urls.add(re.sub(r"<(\w+)>", fill, path))
    return sorted(urls)


def test_every_voucher_url_refuses_an_anonymous_caller_and_changes_nothing(client, world, scheme, provider):
    urls = voucher_urls(world, scheme, provider)
    assert len(urls) > 60
    before = state()
    for url in urls:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            redirected = response.status_code == 302 and response["Location"].startswith(LOGIN)
            assert redirected or response.status_code in REFUSED, (method, url, response.status_code)
    assert state() == before


def test_another_enterprise_cannot_see_or_touch_our_objects_on_the_pages(
    client, world, other_enterprise_user
):
    client.force_login(other_enterprise_user)
    v, a, o, done = world["voucher"], world["application"], world["open"], world["done"]
    before = state()
    for url in (
        f"/vouchers/applications/{a.code}/",
        f"/vouchers/v/{v.code}/",
        f"/vouchers/orders/{o.code}/",
        f"/vouchers/v/{v.code}/order/?service={world['service'].code}",
        f"/vouchers/claims/{world['claim'].code}/",
        f"/vouchers/claims/{world['claim'].code}/invoice/",
        f"/vouchers/batches/{world['batch'].code}/",
        f"/vouchers/batches/{world['batch'].code}/export.xlsx",
        f"/vouchers/ledger/{v.account.code}/",
    ):
        assert client.get(url).status_code in (403, 404), url
    for url, data in (
        (f"/vouchers/applications/{a.code}/withdraw/", {}),
        (f"/vouchers/orders/{o.code}/cancel/", {"reason": "x"}),
        (f"/vouchers/orders/{done.code}/rate/", {"score": "1"}),
        (f"/vouchers/orders/{o.code}/confirm/", {}),
        (f"/vouchers/v/{v.code}/order/", {"service": world["service"].code, "quantity": "1"}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert state() == before
    page = client.get("/vouchers/orders/").content.decode()
    assert o.code not in page and done.code not in page


def test_another_enterprise_gets_404_from_the_api_and_nothing_changes(world, other_enterprise_user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=other_enterprise_user).key}")
    v, a, o = world["voucher"], world["application"], world["open"]
    before = state()
    for url in (
        f"/api/v1/vouchers/{v.code}/",
        f"/api/v1/vouchers/{v.code}/ledger/",
        f"/api/v1/vouchers/applications/{a.code}/",
        f"/api/v1/vouchers/orders/{o.code}/",
        f"/api/v1/vouchers/claims/{world['claim'].code}/",
        f"/api/v1/vouchers/claims/{world['claim'].code}/invoice/",
        f"/api/v1/vouchers/batches/{world['batch'].code}/",
        f"/api/v1/vouchers/batches/{world['batch'].code}/export/",
    ):
        assert api.get(url).status_code == 404, url
    for url in (
        f"/api/v1/vouchers/applications/{a.code}/withdraw/",
        f"/api/v1/vouchers/orders/{o.code}/cancel/",
        f"/api/v1/vouchers/orders/{o.code}/confirm/",
        f"/api/v1/vouchers/{v.code}/revoke/",
    ):
        assert api.post(url, {"reason": "x"}, format="json").status_code == 404, url
    response = api.post(
        "/api/v1/vouchers/orders/", {"voucher": v.code, "service": world["service"].code}, format="json"
    )
    assert response.status_code == 404
    assert state() == before


def test_another_provider_cannot_see_or_handle_our_orders_claims_or_invoices(
    client, world, other_provider_user
):
    client.force_login(other_provider_user)
    o, claim = world["open"], world["claim"]
    before = state()
    assert client.get(f"/vouchers/orders/{o.code}/").status_code == 404
    assert client.post(f"/vouchers/orders/{o.code}/accept/").status_code == 404
    assert client.post(f"/vouchers/orders/{world['done'].code}/claim/").status_code == 404
    assert client.get(f"/vouchers/claims/{claim.code}/").status_code == 404
    assert client.get(f"/vouchers/claims/{claim.code}/invoice/").status_code == 404
    api = APIClient()
    api.force_authenticate(other_provider_user)
    assert api.post(f"/api/v1/vouchers/orders/{o.code}/accept/").status_code == 404
    assert api.get(f"/api/v1/vouchers/claims/{claim.code}/invoice/").status_code == 404
    assert state() == before


def test_an_enterprise_never_sees_claims_batches_or_the_ledger(client, world, enterprise_user):
    client.force_login(enterprise_user)
    assert client.get(f"/vouchers/claims/{world['claim'].code}/").status_code == 404
    assert client.get("/vouchers/batches/").status_code == 403
    assert client.get(f"/vouchers/batches/{world['batch'].code}/export.xlsx").status_code == 404
    assert client.get(f"/vouchers/ledger/{world['voucher'].account.code}/").status_code == 403
    assert client.get("/vouchers/reports/").status_code == 403


def test_staff_without_the_permission_are_refused_and_nothing_changes(
    client, world, commissioner, leader, operator
):
    before = state()
    client.force_login(commissioner)
    assert client.get(f"/vouchers/v/{world['voucher'].code}/").status_code == 404
    assert client.post(f"/vouchers/v/{world['voucher'].code}/revoke/", {"reason": "x"}).status_code == 404
    client.force_login(leader)  # a leader reads everything but may not revoke or pay
    assert client.post(f"/vouchers/v/{world['voucher'].code}/revoke/", {"reason": "x"}).status_code == 403
    services.batch_approve(actor=leader, batch=world["batch"])
    before = state()
    assert client.post(f"/vouchers/batches/{world['batch'].code}/pay/").status_code == 403
    assert state() == before
    client.force_login(operator)  # the operator who created the batch may not approve it (it is approved now)
    assert client.post(f"/vouchers/orders/{world['open'].code}/confirm/").status_code == 403
    assert state() == before
