"""The asset edit page (docs/adr/0028-intellectual-property.md): the holder's technology transfer office
and operators correct an asset's fields through ``services.asset_update``; every other role gets 403 (or
404 where it may not see the asset); a bad or duplicate number shows its Chinese error on the number field
and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from ip_helpers import make_asset, number

from kechuang.accounts.choices import Role
from kechuang.core.models import AuditEvent
from kechuang.ip import services
from kechuang.ip.models import IpAsset
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

# Who may open and save the edit page of an asset of the institute (a published patent everyone sees).
EDITORS = frozenset({"operator", "institute"})


@pytest.fixture
def world(db, district_office):
    institute = InstituteFactory(name="中国科学院上海微系统与信息技术研究所")
    other_institute = InstituteFactory(name="中国科学院上海硅酸盐研究所")
    enterprise = OrganizationFactory(name="上海菊园传感科技有限公司")
    provider = OrganizationFactory(kind="provider", name="上海菊园知识产权代理有限公司", uscc=None)
    users = {
        "operator": user_with_role(Role.OPERATOR, district_office, username="e-op"),
        "commissioner": user_with_role(Role.COMMISSIONER, district_office, username="e-comm"),
        "leader": user_with_role(Role.LEADER, district_office, username="e-lead"),
        "institute": user_with_role(Role.INSTITUTE, institute, username="e-inst"),
        "enterprise": user_with_role(Role.ENTERPRISE, enterprise, username="e-ent"),
        "provider": user_with_role(Role.PROVIDER, provider, username="e-prov"),
        "expert": user_with_role(Role.EXPERT, None, username="e-exp"),
        "sysadmin": user_with_role(Role.SYSADMIN, None, username="e-sys"),
        "auditor": user_with_role(Role.AUDITOR, None, username="e-aud"),
        "anonymous": AnonymousUser(),
    }
    own = make_asset(institute, 51)
    secret = make_asset(
        other_institute, 52, filed_on=dt.date(2026, 8, 1), published_on=None, granted_on=None, legal_status="filed"
    )  # fmt: skip
    return {"users": users, "own": own, "secret": secret, "institute": institute}


def _post_data(asset, **changes):
    data = {
        "number": asset.number,
        "title": asset.title,
        "publication_number": asset.publication_number,
        "applicant_names": asset.applicant_names,
        "inventor_names": asset.inventor_names,
        "filed_on": asset.filed_on.isoformat(),
        "published_on": asset.published_on.isoformat() if asset.published_on else "",
        "granted_on": asset.granted_on.isoformat() if asset.granted_on else "",
        "legal_status": asset.legal_status,
        "national_award": asset.national_award,
        "ipc_codes": "\n".join(asset.ipc_codes),
        "family": "",
        "abstract": asset.abstract,
        "claims": asset.claims,
    }
    data.update(changes)
    return data


def _login(client, user):
    if user.is_authenticated:
        client.force_login(user)


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_the_edit_page_answers_each_role_as_approved(world, client, role):
    asset = world["own"]
    _login(client, world["users"][role])
    url = reverse("ip:asset-edit", args=[asset.number])
    page = client.get(url)
    saved = client.post(url, _post_data(asset, title="一种硅基MEMS压力传感器（修订）"))
    asset.refresh_from_db()
    if role == "anonymous":
        assert page.status_code == saved.status_code == 302
        assert "/login" in page["Location"] or "login" in page["Location"]
    elif role in EDITORS:
        assert page.status_code == 200
        assert saved.status_code == 302 and saved["Location"] == reverse(
            "ip:asset-detail", args=[asset.number]
        )
        assert asset.title == "一种硅基MEMS压力传感器（修订）"
        event = AuditEvent.objects.get(action="ip.asset.update")
        assert event.detail["changed"] == ["title"]
        return
    else:
        assert page.status_code == saved.status_code == 403
    assert asset.title == "一种硅基MEMS压力传感器及其制备方法"
    assert not AuditEvent.objects.filter(action="ip.asset.update").exists()


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_the_link_shows_only_for_editors(world, client, role):
    _login(client, world["users"][role])
    page = client.get(reverse("ip:asset-detail", args=[world["own"].number]))
    assert page.status_code == 200
    assert (b'data-testid="asset-edit-link"' in page.content) == (role in EDITORS)


def test_another_holders_unpublished_application_answers_404(world, client):
    client.force_login(world["users"]["institute"])
    secret = world["secret"]
    url = reverse("ip:asset-edit", args=[secret.number])
    assert client.get(url).status_code == 404
    assert client.post(url, _post_data(secret, title="改掉")).status_code == 404
    secret.refresh_from_db()
    assert secret.title == "一种硅基MEMS压力传感器及其制备方法"


def test_an_operator_edits_an_unpublished_application_without_seeing_its_claims(world, client):
    client.force_login(world["users"]["operator"])
    secret = world["secret"]
    url = reverse("ip:asset-edit", args=[secret.number])
    page = client.get(url)
    assert page.status_code == 200
    assert b'data-testid="claims-withheld"' in page.content
    assert secret.claims[:20].encode() not in page.content
    data = _post_data(secret, title="一种压力传感器")
    del data["abstract"], data["claims"]
    assert client.post(url, data).status_code == 302
    secret.refresh_from_db()
    assert secret.title == "一种压力传感器"
    assert secret.claims.startswith("1. 一种硅基MEMS压力传感器")


def test_a_bad_check_digit_shows_the_chinese_error_and_changes_nothing(world, client):
    client.force_login(world["users"]["institute"])
    asset = world["own"]
    body = asset.number.split(".")[0]
    wrong = f"{body}.{(int(asset.number[-1]) + 1) % 10 if asset.number[-1] != 'X' else 0}"
    response = client.post(
        reverse("ip:asset-edit", args=[asset.number]),
        _post_data(asset, number=wrong, title="不应保存的名称", ipc_codes="H01L 21/02"),
    )
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [
        f"申请号 {wrong} 的校验位应为 {asset.number[-1]}，请核对。"
    ]
    assert "的校验位应为".encode() in response.content
    assert b'data-testid="error-number"' in response.content
    asset.refresh_from_db()
    assert asset.title == "一种硅基MEMS压力传感器及其制备方法"
    assert asset.ipc_codes == ["G01L 9/00"]
    assert not AuditEvent.objects.filter(action="ip.asset.update").exists()


def test_a_duplicate_number_is_refused(world, client):
    taken = make_asset(world["institute"], 53)
    client.force_login(world["users"]["institute"])
    asset = world["own"]
    response = client.post(
        reverse("ip:asset-edit", args=[asset.number]), _post_data(asset, number=taken.number)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["number"] == [f"{taken.number} 已经登记，不能重复登记。"]
    assert IpAsset.objects.get(pk=asset.pk).number == asset.number


def test_a_corrected_number_is_saved_in_canonical_form_with_an_audit_entry(world, client):
    client.force_login(world["users"]["operator"])
    asset = world["own"]
    corrected = number(54)
    response = client.post(
        reverse("ip:asset-edit", args=[asset.number]),
        _post_data(asset, number=f"ZL {corrected}", family="US10123456B2\nEP3123456A1", ipc_codes="G01L 9/00；H01L 21/02"),
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == reverse("ip:asset-detail", args=[corrected])
    asset.refresh_from_db()
    assert asset.number == corrected
    assert sorted(asset.family.values_list("number", flat=True)) == ["EP3123456A1", "US10123456B2"]
    assert asset.ipc_codes == ["G01L 9/00", "H01L 21/02"]
    event = AuditEvent.objects.get(action="ip.asset.update")
    assert event.detail["number"] == [number(51), corrected]
    assert set(event.detail["changed"]) == {"number", "ipc_codes", "family"}


def test_several_errors_show_together_and_a_bad_family_member_writes_nothing(world, client):
    client.force_login(world["users"]["institute"])
    asset = world["own"]
    response = client.post(
        reverse("ip:asset-edit", args=[asset.number]),
        _post_data(asset, title="新名称", granted_on="2016-01-01", family="不是号码"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["granted_on"] == ["授权公告日不能早于申请日。"]
    assert "family" in errors
    asset.refresh_from_db()
    assert asset.title == "一种硅基MEMS压力传感器及其制备方法"
    assert not asset.family.exists()


def test_the_service_refuses_a_bad_number_directly(world):
    asset = world["own"]
    with pytest.raises(services.ValidationError) as caught:
        services.asset_update(
            actor=world["users"]["institute"], asset=asset, number="20171000000.1", title="x"
        )
    assert "number" in caught.value.message_dict
    asset.refresh_from_db()
    assert asset.title == "一种硅基MEMS压力传感器及其制备方法"
