"""The demo generator: each institute of the profile gets the instruments of its field (about 80 in all)
with rate cards and a year of bookings; a second run creates nothing."""

from __future__ import annotations

import random

import pytest

from kechuang.instruments.choices import BookingStatus
from kechuang.instruments.demo import CATALOGUE, generate
from kechuang.instruments.models import Booking, Instrument
from kechuang.testing.factories import InstituteFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_each_institute_gets_its_instruments_and_a_year_of_bookings():
    for name in [
        "中国科学院上海微系统与信息技术研究所",
        "上海微技术工业研究院",
        "中国科学院上海光学精密机械研究所",
        "中国电子科技集团公司第三十二研究所",
    ]:
        InstituteFactory(name=name)
    for n in range(5):
        OrganizationFactory(name=f"演示企业{n}")
    counts = generate(scale="tiny", seed=1, rng=random.Random(1))
    assert counts["共享仪器"] == sum(len(rows) for rows in CATALOGUE.values()) == 80
    assert Instrument.objects.filter(owner__name__contains="光学精密机械", name__contains="干涉仪").exists()
    assert Instrument.objects.filter(owner__name__contains="微系统", name__contains="透射电子显微镜").exists()
    assert counts["机时预约"] == Booking.objects.count() > 0
    completed = Booking.objects.filter(status=BookingStatus.COMPLETED)
    assert completed.exists() and all(
        b.charge_fen == -(-b.rate_fen * b.actual_minutes // 60) for b in completed
    )
    again = generate(scale="tiny", seed=1, rng=random.Random(1))
    assert set(again.values()) == {0}


def test_the_demo_pays_some_bookings_and_sample_tests_by_voucher_held_captured_and_released(
    operator, leader, enterprise_org, enterprise_user, media_root
):
    from kechuang.instruments.models import SampleRequest
    from kechuang.ledger.reconcile import violations
    from kechuang.vouchers.choices import OrderStatus
    from kechuang.vouchers.factories import make_scheme, make_voucher

    InstituteFactory(name="中国科学院上海微系统与信息技术研究所")
    scheme = make_scheme(operator=operator)
    make_voucher(
        scheme=scheme,
        enterprise=enterprise_org,
        applicant=enterprise_user,
        operator=operator,
        leader=leader,
        amount_fen=1_000_000,
    )
    counts = generate(scale="tiny", seed=1, rng=random.Random(1))
    assert counts["创新券支付的机时预约"] >= 3 and counts["委托测试"] == 1
    paid = Booking.objects.filter(voucher_order__isnull=False).select_related("voucher_order")
    assert {b.voucher_order.status for b in paid} == {
        OrderStatus.PLACED,  # upcoming: held
        OrderStatus.CONFIRMED,  # used: captured at the actual minutes
        OrderStatus.CANCELLED,  # cancelled in time: released
    }
    captured = next(b for b in paid if b.voucher_order.status == OrderStatus.CONFIRMED)
    assert captured.voucher_order.redeemed_fen == captured.charge_fen // 2
    from kechuang.instruments.models import Invoice

    invoice = Invoice.objects.get()  # the captured booking's directly paid half
    assert counts["收费发票"] == 1 and invoice.booking == captured
    assert invoice.amount_fen == captured.charge_fen - captured.voucher_order.redeemed_fen
    sample = SampleRequest.objects.select_related("voucher_order").get()
    assert sample.voucher_order.status == OrderStatus.ACCEPTED  # the first enterprise's: held
    assert violations() == []
    again = generate(scale="tiny", seed=1, rng=random.Random(1))
    assert set(again.values()) == {0}
