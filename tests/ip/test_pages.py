"""The IP pages for each audience: the public catalogue and open licences, a TTO's portfolio, an asset,
transactions, the operator's overview; list pages keep their query count as rows grow."""

from __future__ import annotations

import pytest
from django.urls import reverse
from ip_helpers import make_asset

from kechuang.ip import services

pytestmark = pytest.mark.django_db


def test_public_pages_for_an_anonymous_visitor(client, holder):
    asset = make_asset(holder, 51)
    services.open_licence_publish(actor=None, asset=asset, fee_fen=50_000_00, terms="普通许可，可续期")
    assert asset.title in client.get(reverse("ip:asset-list")).content.decode()
    page = client.get(reverse("ip:licence-list")).content.decode()
    assert (
        asset.title in page
        and "可续期" in page
        and "登录后接受" in page
        and 'data-testid="take-up"' not in page
    )
    detail = client.get(reverse("ip:asset-detail", args=[asset.number])).content.decode()
    assert "年漂移小于" in detail and "发布开放许可" not in detail
    assert client.get(reverse("ip:portfolio")).status_code == 302
    assert client.get(reverse("ip:overview")).status_code == 302


def test_a_tto_manages_its_portfolio(client, holder, tto):
    asset = make_asset(holder, 52)
    client.force_login(tto)
    page = client.get(reverse("ip:portfolio")).content.decode()
    assert asset.title in page and "导入专利清单" in page
    detail = client.get(reverse("ip:asset-detail", args=[asset.number])).content.decode()
    assert "发布开放许可" in detail and "高价值发明专利" in detail and "属于战略性新兴产业" in detail
    response = client.post(
        reverse("ip:asset-licence", args=[asset.number]),
        {"fee_yuan": "50000", "royalty_permille": "10", "term_years": "3", "terms": "普通许可"},
    )
    assert response.status_code == 302
    assert asset.open_licences.get().fee_fen == 50_000_00
    assert client.get(reverse("ip:import-start")).status_code == 200


def test_an_enterprise_takes_up_a_licence_and_the_operator_registers_the_contract(
    client, holder, licensee, licensee_user, operator
):
    asset = make_asset(holder, 53)
    licence = services.open_licence_publish(actor=None, asset=asset, fee_fen=50_000_00)
    client.force_login(licensee_user)
    response = client.post(reverse("ip:licence-take-up", args=[licence.code]), {"confirm": "on"})
    assert response.status_code == 302
    record = asset.transactions.get()
    assert record.deal.stage == "signed"
    client.force_login(operator)
    assert record.code in client.get(reverse("ip:transaction-list")).content.decode()
    client.post(reverse("ip:transaction-contract", args=[record.code]))
    record.refresh_from_db()
    assert record.contract is not None
    page = client.get(reverse("ip:overview")).content.decode()
    assert "知识产权交易额" in page and holder.name in page


def test_the_portfolio_keeps_its_query_count(client, holder, tto, django_assert_max_num_queries):
    for serial in range(3):
        make_asset(holder, 60 + serial)
    client.force_login(tto)
    client.get(reverse("ip:portfolio"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("ip:portfolio"))
    for serial in range(12):
        make_asset(holder, 70 + serial)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("ip:portfolio"))


def test_home_panels(client, holder, tto, operator):
    make_asset(holder, 81)
    client.force_login(tto)
    assert 'data-testid="ip-home"' in client.get("/").content.decode()
    client.force_login(operator)
    assert 'data-testid="ip-home"' in client.get("/").content.decode()
