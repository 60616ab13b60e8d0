"""The owner registers an instrument with its rate card from the page, trains a user, blocks time for
maintenance and changes the status; another institute may not; the voucher switch needs a provider."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from instruments_helpers import next_weekday_at

from kechuang.instruments.models import Instrument, InstrumentCategory, MaintenanceBlock, Qualification

pytestmark = pytest.mark.django_db


def test_the_owner_registers_an_instrument_with_its_rate_card(client, owner_user, owner_org):
    client.force_login(owner_user)
    assert client.get(reverse("instruments:instrument-create")).status_code == 200
    answer = client.post(
        reverse("instruments:instrument-create"),
        {
            "owner": owner_org.pk,
            "name": "原子力显微镜",
            "category": InstrumentCategory.objects.get(code="0108").pk,
            "model_number": "Dimension Icon",
            "maker": "布鲁克",
            "original_value": "3000000",
            "purchase_year": 2020,
            "service_mode": "both",
            "approval_rule": "trained",
            "slot_minutes": 60,
            "min_notice_hours": 24,
            "free_cancel_hours": 24,
            "rate_district_hour": "280",
            "rate_outside_sample": "300.50",
        },
    )
    instrument = Instrument.objects.get(name="原子力显微镜")
    assert answer.status_code == 302 and answer["Location"].endswith(f"/instruments/{instrument.code}/")
    assert instrument.original_value_fen == 300_000_000 and instrument.owner == owner_org
    assert {(r.user_class, r.unit, r.price_fen) for r in instrument.rates.all()} == {
        ("district", "hour", 28_000),
        ("outside", "sample", 30_050),
    }


def test_an_enterprise_may_not_register_and_an_owner_only_for_itself(
    client, enterprise_user, owner_user, other_institute_user
):
    client.force_login(enterprise_user)
    assert client.get(reverse("instruments:instrument-create")).status_code == 403
    client.force_login(other_institute_user)
    page = client.get(reverse("instruments:instrument-create")).content.decode()
    assert "中国科学院上海微系统与信息技术研究所" not in page  # another institute is not offered


def test_the_owner_trains_a_user_blocks_maintenance_and_retires(
    client, instrument, owner_user, enterprise_user, other_institute_user
):
    client.force_login(owner_user)
    today = timezone.localdate()
    client.post(
        reverse("instruments:qualification-grant", args=[instrument.code]),
        {"username": enterprise_user.username, "trained_on": today.isoformat(), "expires_on": ""},
    )
    assert Qualification.objects.get().user == enterprise_user
    start = next_weekday_at(9)
    client.post(
        reverse("instruments:maintenance-block", args=[instrument.code]),
        {
            "start_at": start.strftime("%Y-%m-%dT%H:%M"),
            "end_at": (start + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "年度校准",
        },
    )
    assert MaintenanceBlock.objects.get().reason == "年度校准"
    answer = client.post(reverse("instruments:enable-vouchers", args=[instrument.code]), follow=True)
    assert "尚未入驻创新券服务机构" in answer.content.decode()
    client.force_login(other_institute_user)
    assert (
        client.post(
            reverse("instruments:instrument-status", args=[instrument.code]), {"status": "retired"}
        ).status_code
        == 403
    )
    client.force_login(owner_user)
    client.post(reverse("instruments:instrument-status", args=[instrument.code]), {"status": "retired"})
    instrument.refresh_from_db()
    assert instrument.status == "retired"
