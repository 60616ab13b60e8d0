"""编辑仪器: the owner's members and operators edit a registered instrument and its rate card; refusals
are shown in Chinese on their fields and nothing is half-written; others are refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from payment_helpers import voucher_instrument, voucher_setup

from kechuang.core.models import AuditEvent
from kechuang.instruments import services
from kechuang.instruments.models import Instrument, Rate

pytestmark = pytest.mark.django_db


def form_data(instrument, **changes):
    data = {
        "name": instrument.name,
        "category": instrument.category_id,
        "model_number": "JSM-IT800",
        "maker": "日本电子",
        "original_value": "3500000",
        "purchase_year": "2021",
        "room": "A-105",
        "service_mode": "both",
        "approval_rule": "owner",
        "slot_minutes": "60",
        "min_notice_hours": "24",
        "free_cancel_hours": "24",
        "open_from": "08:30",
        "open_until": "17:30",
        "open_weekdays": ["1", "2", "3", "4", "5"],
        "description": "分辨率 0.5 nm",
        "rate_owner_hour": "150",
        "rate_district_hour": "450",
        "rate_outside_hour": "",
        "rate_owner_sample": "",
        "rate_district_sample": "120",
        "rate_outside_sample": "",
    }
    data.update(changes)
    return data


def rate_card(instrument):
    return {(r.user_class, r.unit): r.price_fen for r in Rate.objects.filter(instrument=instrument)}


def test_the_owner_edits_the_instrument_and_its_rate_card(client, instrument, owner_user):
    client.force_login(owner_user)
    url = reverse("instruments:instrument-update", args=[instrument.code])
    page = client.get(url)
    assert page.status_code == 200 and "编辑仪器" in page.content.decode()
    done = client.post(
        url, form_data(instrument, name="场发射扫描电镜（升级）", open_weekdays=["1", "3", "6"])
    )
    assert done.status_code == 302
    instrument = Instrument.objects.get(pk=instrument.pk)
    assert instrument.name == "场发射扫描电镜（升级）" and instrument.maker == "日本电子"
    assert instrument.open_weekdays == "136" and instrument.original_value_fen == 350_000_000
    assert rate_card(instrument) == {
        ("owner", "hour"): 15_000,
        ("district", "hour"): 45_000,
        ("district", "sample"): 12_000,
    }  # the blank classes are no longer served
    assert AuditEvent.objects.filter(action="instruments.instrument.update").count() == 1


def test_an_operator_may_edit_and_others_are_refused(
    client, instrument, operator, other_institute_user, enterprise_user
):
    url = reverse("instruments:instrument-update", args=[instrument.code])
    for stranger in (other_institute_user, enterprise_user):
        client.force_login(stranger)
        assert client.get(url).status_code == 403
        assert client.post(url, form_data(instrument, name="改名")).status_code == 403
    client.logout()
    assert client.post(url, form_data(instrument, name="改名")).status_code == 302  # to the login page
    assert Instrument.objects.get(pk=instrument.pk).name == instrument.name
    client.force_login(operator)
    assert client.post(url, form_data(instrument, name="运营人员修改")).status_code == 302
    assert Instrument.objects.get(pk=instrument.pk).name == "运营人员修改"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"open_from": "18:00", "open_until": "08:00"}, "开放结束时间须晚于开始时间"),
        ({"purchase_year": "2099"}, "购置年份"),
        ({"rate_district_hour": "abc"}, "请输入金额"),
        ({"name": "  "}, "必填"),
        ({"open_weekdays": []}, "必填"),
    ],
)
def test_a_refused_edit_names_the_field_in_chinese_and_writes_nothing(
    client, instrument, owner_user, changes, message
):
    before = (Instrument.objects.filter(pk=instrument.pk).values().get(), rate_card(instrument))
    client.force_login(owner_user)
    page = client.post(
        reverse("instruments:instrument-update", args=[instrument.code]),
        form_data(instrument, maker="不应写入", **changes),
    )
    assert page.status_code == 400
    text = page.content.decode()
    assert message in text and "有几项需要修改" in text
    assert (Instrument.objects.filter(pk=instrument.pk).values().get(), rate_card(instrument)) == before


def test_every_problem_of_an_edit_is_named_at_once(client, instrument, owner_user):
    client.force_login(owner_user)
    text = client.post(
        reverse("instruments:instrument-update", args=[instrument.code]),
        form_data(instrument, open_from="18:00", open_until="08:00", rate_district_hour="abc"),
    ).content.decode()
    assert "开放结束时间须晚于开始时间" in text and "请输入金额" in text


def test_an_edit_the_voucher_catalogue_refuses_is_not_half_written(
    operator, leader, enterprise_org, enterprise_user
):
    owner, owner_user, _voucher = voucher_setup(
        operator=operator, leader=leader, enterprise_org=enterprise_org, enterprise_user=enterprise_user
    )
    instrument = voucher_instrument(owner, owner_user)
    before = (Instrument.objects.filter(pk=instrument.pk).values().get(), rate_card(instrument))
    with pytest.raises(ValidationError, match="街区企业"):
        services.instrument_update(
            actor=owner_user,
            instrument=instrument,
            name="新名称",
            category=instrument.category,
            rates={("owner", "hour"): 10_000},  # the district's rates gone: vouchers cannot follow
        )
    assert (Instrument.objects.filter(pk=instrument.pk).values().get(), rate_card(instrument)) == before
