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
    assert again == {"共享仪器": 0, "机时预约": 0}
