"""The high-value rule (高价值发明专利, docs/adr/0028): one case per criterion, their combinations, the
conditions every case needs (an invention patent in force), the boundaries (ten years of maintenance to
the day, the pledge threshold), and the stored flag following the facts through the services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from ip_helpers import make_asset

from kechuang.ip import rules, services
from kechuang.ip.rules import AWARD, FOREIGN_FAMILY, HIGH_PLEDGE_FEN, MAINTAINED, PLEDGED, STRATEGIC, Facts

TODAY = dt.date(2026, 12, 6)
RECENT = dt.date(2020, 5, 1)  # six years in force: not "maintained"
OLD = dt.date(2014, 5, 1)  # more than ten years


def facts(**overrides):
    base = dict(
        kind="invention",
        legal_status="granted",
        filed_on=RECENT,
        strategic=False,
        foreign_members=0,
        largest_pledge_fen=0,
        award="",
    )
    base.update(overrides)
    return Facts(**base)


CRITERIA = {
    STRATEGIC: {"strategic": True},
    FOREIGN_FAMILY: {"foreign_members": 1},
    MAINTAINED: {"filed_on": OLD},
    PLEDGED: {"largest_pledge_fen": HIGH_PLEDGE_FEN},
    AWARD: {"award": "silver"},
}
ORDER = [STRATEGIC, FOREIGN_FAMILY, MAINTAINED, PLEDGED, AWARD]


@pytest.mark.parametrize("criterion", ORDER)
def test_each_criterion_alone_makes_an_invention_patent_high_value(criterion):
    assert rules.high_value_reasons(facts(**CRITERIA[criterion]), TODAY) == [criterion]


def test_no_criterion_no_high_value():
    assert rules.high_value_reasons(facts(), TODAY) == []


@pytest.mark.parametrize(
    "combination",
    [c for n in range(2, 6) for c in itertools.combinations(ORDER, n)],
    ids=lambda c: "+".join(c),
)
def test_combinations_list_every_criterion_met_in_order(combination):
    overrides = {}
    for criterion in combination:
        overrides.update(CRITERIA[criterion])
    assert rules.high_value_reasons(facts(**overrides), TODAY) == list(combination)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("utility", "granted"),
        ("design", "granted"),
        ("software", "granted"),
        ("invention", "published"),
        ("invention", "lapsed"),
        ("invention", "expired"),
        ("invention", "filed"),
    ],
)
def test_only_invention_patents_in_force_qualify(kind, status):
    every = {k: v for c in CRITERIA.values() for k, v in c.items()}
    assert rules.high_value_reasons(facts(kind=kind, legal_status=status, **every), TODAY) == []


def test_ten_years_means_more_than_ten_years_to_the_day():
    filed = dt.date(2016, 12, 6)
    assert MAINTAINED not in rules.high_value_reasons(facts(filed_on=filed), TODAY)
    assert MAINTAINED in rules.high_value_reasons(facts(filed_on=filed), TODAY + dt.timedelta(days=1))


def test_a_pledge_just_below_the_threshold_does_not_count():
    assert rules.high_value_reasons(facts(largest_pledge_fen=HIGH_PLEDGE_FEN - 1), TODAY) == []


def test_the_stored_flag_follows_the_facts(holder):
    asset = make_asset(holder, ipc_codes=["F16B 2/00"], filed_on=dt.date(2021, 3, 1))
    assert not asset.high_value
    services.transaction_record(
        actor=None,
        asset=asset,
        kind="pledge",
        amount_fen=HIGH_PLEDGE_FEN,
        signed_on=dt.date(2025, 1, 10),
        counterparty_name="上海农商银行嘉定支行",
        term_start=dt.date(2025, 1, 10),
        term_end=dt.date(2027, 1, 9),
    )
    asset.refresh_from_db()
    assert asset.high_value and asset.high_value_reasons == [PLEDGED]
    asset = services.asset_update(actor=None, asset=asset, family=["US10123456B2"])
    assert asset.high_value_reasons == [FOREIGN_FAMILY, PLEDGED]
    asset = services.asset_update(actor=None, asset=asset, legal_status="lapsed")
    assert not asset.high_value and asset.high_value_reasons == []
