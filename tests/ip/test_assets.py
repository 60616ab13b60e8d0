"""IP assets (docs/adr/0028): numbers checked and canonical, duplicates refused by the service and by the
database, IPC codes mapped to the profile's fields, an unpublished application's claims kept from every
other organization, and a lapsed patent leaving the open-licence listings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from ip_helpers import make_asset, number

from kechuang.ip import permissions as perms
from kechuang.ip import selectors, services
from kechuang.ip.models import FamilyMember, IpAsset, OpenLicence
from kechuang.testing.factories import TechnologyFieldFactory

pytestmark = pytest.mark.django_db


def test_a_tto_registers_a_patent_with_its_fields_and_family(holder, tto):
    for code in ("DIG03", "MAT02"):
        TechnologyFieldFactory(code=code)
    asset = services.asset_create(
        actor=tto,
        kind="invention",
        number="ZL 2017 1060 1862.3",
        holder=holder,
        title="一种绝缘体上硅晶圆的制备方法",
        filed_on=dt.date(2017, 7, 10),
        published_on=dt.date(2018, 1, 5),
        granted_on=dt.date(2020, 3, 3),
        legal_status="granted",
        ipc_codes=["h01l 21/02", "H01L 23/00"],
        family=["US10123456B2", "EP3123456A1"],
    )
    assert asset.number == "201710601862.3"
    assert sorted(asset.fields.values_list("code", flat=True)) == ["DIG03", "MAT02"]
    assert FamilyMember.objects.filter(asset=asset).count() == 2
    assert asset.expires_on == dt.date(2037, 7, 10)
    assert asset.annuity_due_on is not None and asset.annuity_due_on.month == 7
    assert asset.high_value_reasons == ["strategic", "foreign"]


def test_a_number_twice_is_refused_by_the_service_and_by_the_database(holder, tto):
    make_asset(holder, 5)
    with pytest.raises(ValidationError, match="已经登记"):
        make_asset(holder, 5)
    first = IpAsset.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        IpAsset.objects.create(
            kind="invention", number=first.number, title="x", holder=holder, filed_on=first.filed_on
        )
    assert IpAsset.objects.count() == 1


def test_a_wrong_check_digit_is_refused_and_nothing_is_written(holder, tto):
    with pytest.raises(ValidationError) as error:
        services.asset_create(
            actor=tto,
            kind="invention",
            number="201710601862.4",
            holder=holder,
            title="一种方法",
            filed_on=dt.date(2017, 7, 10),
        )
    assert "校验位应为 3" in error.value.message_dict["number"][0]
    assert not IpAsset.objects.exists()


def test_another_organization_may_not_register_for_the_holder(holder, other_tto):
    with pytest.raises(PermissionDenied):
        services.asset_create(
            actor=other_tto,
            kind="invention",
            number=number(9),
            holder=holder,
            title="一种方法",
            filed_on=dt.date(2017, 7, 10),
        )
    assert not IpAsset.objects.exists()


def test_an_unpublished_applications_claims_never_reach_another_organization(
    holder, tto, other_tto, operator, client
):
    secret = make_asset(
        holder,
        7,
        filed_on=dt.date(2026, 6, 1),
        published_on=None,
        granted_on=None,
        legal_status="filed",
        claims="1. 一种保密的量子点传感结构，其特征在于……",
    )
    # the holder's office reads it; another institute does not even see it; an operator sees the number
    assert selectors.claims_for(tto, secret)[1].startswith("1. 一种保密")
    assert secret not in perms.asset_visible_to(other_tto)
    assert secret not in perms.asset_visible_to(AnonymousUser())
    assert secret in perms.asset_visible_to(operator)
    assert selectors.claims_for(operator, secret) == ("", "")
    client.force_login(operator)
    page = client.get(reverse("ip:asset-detail", args=[secret.number])).content.decode()
    assert "保密的量子点" not in page and "仅权利人可见" in page
    client.force_login(other_tto)
    assert client.get(reverse("ip:asset-detail", args=[secret.number])).status_code == 404
    client.force_login(tto)
    assert "保密的量子点" in client.get(reverse("ip:asset-detail", args=[secret.number])).content.decode()


def test_a_lapsed_patent_leaves_the_open_licence_listings(holder, tto, licensee_user):
    asset = make_asset(holder, 11)
    licence = services.open_licence_publish(actor=tto, asset=asset, fee_fen=50_000_00, terms="普通许可")
    assert list(selectors.open_licence_list(actor=licensee_user)) == [licence]
    services.asset_update(actor=tto, asset=asset, legal_status="lapsed")
    licence.refresh_from_db()
    assert licence.status == "ended" and licence.ended_at is not None
    assert not selectors.open_licence_list(actor=licensee_user).exists()
    with pytest.raises(ValidationError):
        services.open_licence_publish(actor=tto, asset=asset, fee_fen=1)
    assert OpenLicence.objects.count() == 1


def test_an_asset_attaches_only_to_its_holders_achievement(holder, tto, other_institute, client):
    from kechuang.transfer.factories import make_achievement

    asset = make_asset(holder, 12)
    own = make_achievement(holder, title="硅基MEMS压力传感器")
    foreign = make_achievement(other_institute, title="激光晶体生长")
    with pytest.raises(ValidationError, match="只能关联权利人自己发布的成果"):
        services.asset_update(actor=tto, asset=asset, achievement=foreign)
    client.force_login(tto)
    client.post(reverse("ip:asset-achievement", args=[asset.number]), {"achievement": foreign.code})
    asset.refresh_from_db()
    assert asset.achievement is None
    client.post(reverse("ip:asset-achievement", args=[asset.number]), {"achievement": own.code})
    asset.refresh_from_db()
    assert asset.achievement == own
