"""Demo data: the voucher generator builds a consistent ledger history at the tiny scale, and a second
run creates nothing."""

from __future__ import annotations

import random

import pytest

from kechuang.directory.demo.generator import generate_directory
from kechuang.directory.profiles.apply import apply_profile
from kechuang.ledger.models import JournalLine
from kechuang.ledger.reconcile import reconcile
from kechuang.vouchers.choices import OrderStatus
from kechuang.vouchers.demo import make_demo_vouchers
from kechuang.vouchers.models import Scheme, ServiceOrder, SettlementClaim, Voucher

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_tiny_demo_ledger_reconciles_and_a_second_run_creates_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    apply_profile(settings.DISTRICT)
    generate_directory(district=settings.DISTRICT, scale="tiny", seed=7)
    counts = make_demo_vouchers(scale="tiny", seed=7, rng=random.Random("7:vouchers.ledger"))
    assert counts["创新券"] > 5 and counts["账本分录"] > 50
    assert Scheme.objects.count() == 2
    statuses = set(ServiceOrder.objects.values_list("status", flat=True))
    assert {OrderStatus.CONFIRMED} <= statuses
    assert SettlementClaim.objects.filter(status="paid").exists()
    assert JournalLine.objects.count() == counts["账本分录"]
    report = reconcile()
    assert report.ok, [(r.name, [v.message for v in r.violations]) for r in report.results if not r.ok]
    vouchers = Voucher.objects.count()
    assert make_demo_vouchers(scale="tiny", seed=7, rng=random.Random("7:vouchers.ledger")) == {}
    assert Voucher.objects.count() == vouchers
