"""The IP API: assets by number (claims of an unpublished application only for its holder), open
licences taken up, transactions recorded and their contracts registered by an operator."""

from __future__ import annotations

import datetime as dt

import pytest
from ip_helpers import make_asset, number

from kechuang.ip.models import IpAsset

pytestmark = pytest.mark.django_db


def test_assets_list_and_detail_hide_unpublished_claims(client, holder, tto, operator):
    make_asset(holder, 91)
    secret = make_asset(
        holder, 92, filed_on=dt.date(2026, 9, 1), published_on=None, granted_on=None, legal_status="filed"
    )
    anonymous = client.get("/api/v1/ip-assets/").json()
    assert [a["number"] for a in anonymous["results"]] == [number(91)]
    client.force_login(operator)
    body = client.get(f"/api/v1/ip-assets/{secret.number}/").json()
    assert body["claims"] == "" and body["abstract"] == ""
    client.force_login(tto)
    assert client.get(f"/api/v1/ip-assets/{secret.number}/").json()["claims"].startswith("1.")
    one = client.get(f"/api/v1/ip-assets/{number(91)}/").json()
    assert one["high_value"] and one["high_value_reasons"][0]["code"] == "strategic"


def test_a_tto_registers_an_asset_and_a_duplicate_is_a_400(client, holder, tto):
    client.force_login(tto)
    payload = {
        "kind": "invention",
        "number": "201710601862.3",
        "title": "一种晶圆键合方法",
        "filed_on": "2017-07-10",
    }
    assert client.post("/api/v1/ip-assets/", payload, content_type="application/json").status_code == 201
    again = client.post("/api/v1/ip-assets/", payload, content_type="application/json")
    assert again.status_code == 400 and "已经登记" in again.content.decode()
    wrong = client.post(
        "/api/v1/ip-assets/", {**payload, "number": "201710601862.4"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and "校验位" in wrong.content.decode()
    assert IpAsset.objects.count() == 1


def test_take_up_then_contract_through_the_api(client, holder, tto, licensee_user, operator):
    asset = make_asset(holder, 93)
    client.force_login(tto)
    licence = client.post(
        f"/api/v1/ip-assets/{asset.number}/open-licence/",
        {"fee_fen": 3_000_000},
        content_type="application/json",
    )
    assert licence.status_code == 201
    code = licence.json()["code"]
    client.force_login(licensee_user)
    taken = client.post(f"/api/v1/ip-licences/{code}/take-up/")
    assert taken.status_code == 201 and taken.json()["deal"]
    client.force_login(licensee_user)
    assert client.post(f"/api/v1/ip-transactions/{taken.json()['code']}/contract/").status_code == 403
    client.force_login(operator)
    registered = client.post(f"/api/v1/ip-transactions/{taken.json()['code']}/contract/")
    assert registered.status_code == 200 and registered.json()["contract"]
    pledge = client.post(
        "/api/v1/ip-transactions/",
        {"asset": asset.number, "kind": "pledge", "counterparty_name": "浦发银行嘉定支行", "amount_fen": 5_000_000_00,
         "signed_on": "2026-01-05", "term_start": "2026-01-05", "term_end": "2027-01-04"},
        content_type="application/json",
    )  # fmt: skip
    assert pledge.status_code == 201
