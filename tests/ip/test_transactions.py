"""Open licences and transactions (docs/adr/0028): an enterprise takes up an open licence, which opens
transfer's deal at 签约; an operator registers the technology contract through transfer's service, the
deal moves to 登记; the IP figures (知识产权交易额, 质押融资额) change; pledges and the refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from ip_helpers import make_asset

from kechuang.insights.kpis import compute, get_kpi
from kechuang.ip import selectors, services
from kechuang.ip.models import IpTransaction
from kechuang.transfer.models import ContractRegistration, Deal

pytestmark = pytest.mark.django_db


def test_taking_up_an_open_licence_opens_a_deal_and_the_contract_follows(
    holder, tto, licensee, licensee_user, operator
):
    asset = make_asset(holder, 21)
    licence = services.open_licence_publish(
        actor=tto, asset=asset, fee_fen=80_000_00, term_years=3, terms="普通许可"
    )
    before = selectors.district_figures()["figures"].trade_fen
    record = services.open_licence_take_up(actor=licensee_user, licence=licence, licensee=licensee)
    assert (
        record.kind == "licence_open" and record.amount_fen == 240_000_00 and record.counterparty == licensee
    )
    deal = Deal.objects.get(pk=record.deal_id)
    assert deal.stage == "signed" and deal.supplier == holder and deal.buyer == licensee
    with pytest.raises(ValidationError, match="已接受过"):
        services.open_licence_take_up(actor=licensee_user, licence=licence, licensee=licensee)
    with pytest.raises(PermissionDenied):
        services.transaction_register_contract(actor=tto, record=record)
    record = services.transaction_register_contract(actor=operator, record=record)
    contract = ContractRegistration.objects.get(pk=record.contract_id)
    assert contract.contract_type == "license" and contract.deal == deal
    assert contract.contract_amount_fen == 240_000_00
    deal.refresh_from_db()
    assert deal.stage == "registered"
    assert selectors.district_figures()["figures"].trade_fen == before + 240_000_00
    kpi = get_kpi("transfer.ip_trade")
    assert compute(kpi, dt.date.today().year).actual == 24  # 万元


def test_the_holder_cannot_take_up_its_own_licence(holder, tto):
    asset = make_asset(holder, 22)
    licence = services.open_licence_publish(actor=tto, asset=asset, fee_fen=1)
    with pytest.raises(PermissionDenied):
        services.open_licence_take_up(actor=tto, licence=licence, licensee=holder)
    assert not IpTransaction.objects.exists()


def test_a_pledge_needs_a_bank_an_amount_and_a_term_and_counts_in_pledge_financing(holder, tto):
    asset = make_asset(holder, 23)
    with pytest.raises(ValidationError) as error:
        services.transaction_record(
            actor=tto,
            asset=asset,
            kind="pledge",
            amount_fen=0,
            signed_on=dt.date(2026, 3, 1),
            counterparty_name="",
        )
    assert {"counterparty_name", "term_end"} <= set(error.value.message_dict)
    services.transaction_record(
        actor=tto, asset=asset, kind="pledge", amount_fen=500_000_000, signed_on=dt.date(2026, 3, 1),
        counterparty_name="浦发银行嘉定支行", term_start=dt.date(2026, 3, 1), term_end=dt.date(2028, 2, 28),
    )  # fmt: skip
    assert selectors.district_figures()["figures"].pledge_fen == 500_000_000
    assert compute(get_kpi("transfer.ip_pledge"), 2026).actual == 500


def test_an_assignment_moves_the_patent_to_the_assignee_and_withdraws_its_licence(holder, tto, licensee):
    asset = make_asset(holder, 24)
    licence = services.open_licence_publish(actor=tto, asset=asset, fee_fen=1)
    services.transaction_record(
        actor=tto, asset=asset, kind="assignment", amount_fen=3_000_000_00, signed_on=dt.date(2026, 5, 1),
        counterparty=licensee, counterparty_name=licensee.name,
    )  # fmt: skip
    asset.refresh_from_db()
    licence.refresh_from_db()
    assert asset.holder == licensee and licence.status == "withdrawn"


def test_another_institute_records_nothing_on_the_holders_patent(holder, other_tto):
    asset = make_asset(holder, 25)
    for call in (
        lambda: services.transaction_record(
            actor=other_tto, asset=asset, kind="licence_ordinary", amount_fen=1, signed_on=dt.date(2026, 1, 1),
            counterparty_name="某公司",
        ),
        lambda: services.open_licence_publish(actor=other_tto, asset=asset, fee_fen=1),
        lambda: services.asset_update(actor=other_tto, asset=asset, legal_status="lapsed"),
        lambda: services.annuity_pay(actor=other_tto, asset=asset),
    ):  # fmt: skip
        with pytest.raises(PermissionDenied):
            call()
    asset.refresh_from_db()
    assert asset.legal_status == "granted" and not IpTransaction.objects.exists()
