"""docs/reliability.md B2: a user of enterprise A asks for enterprise B's objects by id: refused (403/404)
every time, and nothing changes. Anonymous visitors cannot read an enterprise or people."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from kechuang.accounts.middleware import SESSION_KEY
from kechuang.core.models import AuditEvent
from kechuang.directory.models import Organization
from kechuang.testing.factories import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def snapshot(organization: Organization) -> dict:
    return Organization.objects.filter(pk=organization.pk).values().get()


def form_data(organization: Organization, **changes) -> dict:
    data = {
        "kind": organization.kind,
        "name": organization.name,
        "short_name": organization.short_name,
        "uscc": organization.uscc or "",
        "contact_name": organization.contact_name,
        "contact_phone": organization.contact_phone,
        "description": organization.description,
        "researchers": organization.researchers,
    }
    data.update(changes)
    return data


def api(client, user):
    token = Token.objects.create(user=user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


# --- web form -------------------------------------------------------------------------------------


def test_enterprise_cannot_open_another_enterprises_edit_form(client, enterprise_user, other_enterprise_org):
    client.force_login(enterprise_user)
    response = client.get(reverse("directory:organization-update", args=[other_enterprise_org.pk]))
    assert response.status_code in (403, 404)
    assert other_enterprise_org.contact_phone not in response.content.decode()


def test_enterprise_cannot_post_an_edit_of_another_enterprise(client, enterprise_user, other_enterprise_org):
    before = snapshot(other_enterprise_org)
    audit_before = AuditEvent.objects.filter(action="organization.update").count()
    client.force_login(enterprise_user)
    response = client.post(
        reverse("directory:organization-update", args=[other_enterprise_org.pk]),
        form_data(other_enterprise_org, name="被篡改的名称", contact_phone="13000000000"),
    )
    assert response.status_code in (403, 404)
    assert snapshot(other_enterprise_org) == before
    assert AuditEvent.objects.filter(action="organization.update").count() == audit_before


def test_enterprise_admin_can_edit_its_own_organization(client, enterprise_user, enterprise_org):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("directory:organization-update", args=[enterprise_org.pk]),
        form_data(enterprise_org, description="本企业自己修改的简介"),
    )
    assert response.status_code == 302
    enterprise_org.refresh_from_db()
    assert enterprise_org.description == "本企业自己修改的简介"


def test_member_without_admin_right_cannot_edit_its_own_organization(client, enterprise_org):
    plain = user_with_role("enterprise", enterprise_org, admin=False, username="plain")
    before = snapshot(enterprise_org)
    client.force_login(plain)
    response = client.post(
        reverse("directory:organization-update", args=[enterprise_org.pk]),
        form_data(enterprise_org, name="普通成员改名"),
    )
    assert response.status_code == 403
    assert snapshot(enterprise_org) == before


@pytest.mark.parametrize(
    "who", ["institute_user", "provider_user", "expert_user", "auditor", "sysadmin", "commissioner", "leader"]
)
def test_other_roles_cannot_edit_an_enterprise(client, request, who, enterprise_org):
    user = request.getfixturevalue(who)
    before = snapshot(enterprise_org)
    client.force_login(user)
    response = client.post(
        reverse("directory:organization-update", args=[enterprise_org.pk]),
        form_data(enterprise_org, name="他人改名"),
    )
    assert response.status_code == 403
    assert snapshot(enterprise_org) == before


def test_enterprise_cannot_create_organizations(client, enterprise_user):
    client.force_login(enterprise_user)
    count = Organization.objects.count()
    assert client.get(reverse("directory:organization-create")).status_code == 403
    response = client.post(
        reverse("directory:organization-create"), {"kind": "institute", "name": "企业新建院所"}
    )
    assert response.status_code == 403
    assert Organization.objects.count() == count


def test_enterprise_cannot_switch_to_act_for_another_enterprise(
    client, enterprise_user, other_enterprise_org
):
    client.force_login(enterprise_user)
    client.post(reverse("accounts:organization-switch"), {"organization": other_enterprise_org.pk})
    assert client.session.get(SESSION_KEY) != other_enterprise_org.pk


# --- API ------------------------------------------------------------------------------------------


def test_api_patch_of_another_enterprise_is_refused_and_changes_nothing(
    client, enterprise_user, other_enterprise_org
):
    before = snapshot(other_enterprise_org)
    response = api(client, enterprise_user).patch(
        f"/api/v1/organizations/{other_enterprise_org.pk}/",
        {"name": "被篡改的名称"},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert snapshot(other_enterprise_org) == before


def test_api_patch_of_own_organization_kind_is_refused(client, enterprise_user, enterprise_org):
    before = snapshot(enterprise_org)
    response = api(client, enterprise_user).patch(
        f"/api/v1/organizations/{enterprise_org.pk}/", {"kind": "government"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert snapshot(enterprise_org) == before


def test_api_patch_cannot_take_another_enterprises_uscc(
    client, enterprise_user, enterprise_org, other_enterprise_org
):
    before = snapshot(enterprise_org)
    response = api(client, enterprise_user).patch(
        f"/api/v1/organizations/{enterprise_org.pk}/",
        {"uscc": other_enterprise_org.uscc},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "统一社会信用代码" in response.json()["uscc"][0]
    assert snapshot(enterprise_org) == before


def test_api_create_by_an_enterprise_is_refused(client, enterprise_user):
    count = Organization.objects.count()
    response = api(client, enterprise_user).post(
        "/api/v1/organizations/", {"kind": "institute", "name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert Organization.objects.count() == count


# --- anonymous ------------------------------------------------------------------------------------


def test_anonymous_cannot_read_an_enterprise_page_or_api_detail(client, enterprise_org):
    page = client.get(reverse("directory:organization-detail", args=[enterprise_org.pk]))
    detail = client.get(f"/api/v1/organizations/{enterprise_org.pk}/")
    assert page.status_code == 404 and detail.status_code == 404
    assert enterprise_org.name not in page.content.decode()


def test_anonymous_lists_do_not_include_enterprises(client, enterprise_org, institute_org):
    page = client.get(reverse("directory:organization-list")).content.decode()
    listing = client.get("/api/v1/organizations/").json()
    assert institute_org.name in page and enterprise_org.name not in page
    names = {row["name"] for row in listing["results"]}
    assert institute_org.name in names and enterprise_org.name not in names
    filtered = client.get("/api/v1/organizations/", {"kind": "enterprise"}).json()
    assert filtered["count"] == 0
    searched = client.get("/api/v1/organizations/", {"q": enterprise_org.uscc}).json()
    assert searched["count"] == 0


def test_anonymous_cannot_read_people(client, institute_org):
    person = PersonFactory(organization=institute_org)
    assert client.get(reverse("directory:person-list")).status_code == 302
    assert client.get(reverse("directory:person-detail", args=[person.pk])).status_code == 302
    assert client.get("/api/v1/people/").status_code == 401
    assert client.get(f"/api/v1/people/{person.pk}/").status_code == 401
    page = client.get(reverse("directory:organization-detail", args=[institute_org.pk])).content.decode()
    assert person.name not in page and person.phone not in page
