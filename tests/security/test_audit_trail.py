"""docs/reliability.md C1: sign-in (ok, failed, locked out), role grant and revoke, organization create and
update each leave an audit record with time, user, address, action, object, result and request id."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from kechuang.accounts import services as account_services
from kechuang.accounts.models import User
from kechuang.core.models import AuditEvent, AuditResult
from kechuang.directory.models import Organization
from kechuang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db

ADDRESS = "10.20.30.40"
PASSWORD = "Audit-Trail-Pass-5"


def last(action: str, **filters) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action, **filters).order_by("-id").first()
    assert event is not None, f"no audit record for {action}"
    return event


def assert_complete(
    event: AuditEvent,
    response,
    *,
    user=None,
    username: str = "",
    result: str = AuditResult.OK,
    object_type: str = "",
    object_id: str = "",
) -> None:
    """Time, user, address, action, object, result and the request id of the response."""
    assert abs((timezone.now() - event.created_at).total_seconds()) < 60
    if user is not None:
        assert event.actor_id == user.pk and event.actor_username == user.username
    if username:
        assert event.actor_username == username
    assert event.ip == ADDRESS
    assert event.result == result
    if object_type:
        assert event.object_type == object_type
    if object_id:
        assert event.object_id == str(object_id)
    assert event.request_id and event.request_id == response["X-Request-ID"]


@pytest.fixture
def member(db):
    return User.objects.create_user(username="zhaolei", password=PASSWORD)


def test_successful_sign_in_is_audited(client, member):
    response = client.post(
        reverse("accounts:login"), {"username": "zhaolei", "password": PASSWORD}, REMOTE_ADDR=ADDRESS
    )
    assert response.status_code == 302
    assert_complete(
        last("auth.login", result=AuditResult.OK),
        response,
        user=member,
        object_type="accounts.user",
        object_id=member.pk,
    )


def test_failed_sign_in_is_audited_without_the_password(client, member):
    response = client.post(
        reverse("accounts:login"), {"username": "zhaolei", "password": "Wrong-Guess-77"}, REMOTE_ADDR=ADDRESS
    )
    event = last("auth.login", result=AuditResult.FAILED)
    assert_complete(event, response, username="zhaolei", result=AuditResult.FAILED)
    assert "Wrong-Guess-77" not in event.canonical()


def test_lockout_is_audited(client, member):
    for i in range(5):
        client.post(
            reverse("accounts:login"), {"username": "zhaolei", "password": f"x{i}"}, REMOTE_ADDR=ADDRESS
        )
    response = client.post(
        reverse("accounts:login"), {"username": "zhaolei", "password": PASSWORD}, REMOTE_ADDR=ADDRESS
    )
    assert_complete(last("auth.lockout"), response, username="zhaolei", result=AuditResult.DENIED)


def test_api_token_issue_is_audited(client, member):
    response = client.post(
        reverse("api-token"),
        {"username": "zhaolei", "password": PASSWORD},
        content_type="application/json",
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 200
    event = last("auth.token")
    assert_complete(event, response, user=member, object_id=member.pk)
    assert response.json()["token"] not in event.canonical()


def test_organization_create_through_the_page_is_audited(client, operator):
    client.force_login(operator)
    uscc = make_uscc(seed=4242)
    response = client.post(
        reverse("directory:organization-create"),
        {"kind": "enterprise", "name": "审计测试新建企业", "uscc": uscc, "researchers": 0},
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organization = Organization.objects.get(uscc=uscc)
    assert_complete(
        last("organization.create"),
        response,
        user=operator,
        object_type="directory.organization",
        object_id=organization.pk,
    )


def test_organization_update_through_the_api_is_audited_with_the_changed_fields(
    client, operator, enterprise_org
):
    client.force_login(operator)
    response = client.patch(
        f"/api/v1/organizations/{enterprise_org.pk}/",
        {"address": "平城路 1 号"},
        content_type="application/json",
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 200
    event = last("organization.update")
    assert_complete(
        event, response, user=operator, object_type="directory.organization", object_id=enterprise_org.pk
    )
    assert event.detail["changed"] == ["address"]


def test_role_grant_and_revoke_through_the_admin_are_audited(client, sysadmin, member):
    client.force_login(sysadmin)
    url = reverse("admin:accounts_user_change", args=[member.pk])
    page = client.get(url)
    assert page.status_code == 200
    enterprise = Group.objects.get(name="enterprise")
    form = {
        "username": member.username,
        "display_name": "",
        "phone": "",
        "email": "",
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "groups": [enterprise.pk],
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, form, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(member.groups.values_list("name", flat=True)) == {"enterprise"}
    grant = last("role.grant")
    assert_complete(grant, response, user=sysadmin, object_type="accounts.user", object_id=member.pk)
    assert grant.detail["role"] == "enterprise"

    form["groups"] = []
    response = client.post(url, form, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302
    revoke = last("role.revoke")
    assert_complete(revoke, response, user=sysadmin, object_type="accounts.user", object_id=member.pk)
    assert revoke.detail["role"] == "enterprise"
    assert last("admin.change").actor_id == sysadmin.pk


def test_role_grant_and_revoke_through_the_service_are_audited(operator, member):
    account_services.role_grant(actor=operator, user=member, role="enterprise")
    account_services.role_revoke(actor=operator, user=member, role="enterprise")
    assert last("role.grant").detail == {"role": "enterprise"}
    assert last("role.revoke").detail == {"role": "enterprise"}
    assert last("role.grant").actor_id == operator.pk


def test_nobody_grants_themselves_a_role(operator, sysadmin):
    with pytest.raises(PermissionDenied):
        account_services.role_grant(actor=operator, user=operator, role="leader")
    with pytest.raises(PermissionDenied):
        account_services.role_grant(actor=sysadmin, user=sysadmin, role="auditor")
    assert not AuditEvent.objects.filter(action="role.grant").exists()


def test_an_operator_cannot_hand_out_system_roles(operator, member):
    for role in ("sysadmin", "auditor"):
        with pytest.raises(PermissionDenied):
            account_services.role_grant(actor=operator, user=member, role=role)
    assert not member.groups.exists()


def test_system_administrator_cannot_make_themselves_superuser_in_the_admin(client, sysadmin):
    client.force_login(sysadmin)
    url = reverse("admin:accounts_user_change", args=[sysadmin.pk])
    form = {
        "username": sysadmin.username,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    client.post(url, form)
    sysadmin.refresh_from_db()
    assert not sysadmin.is_superuser
    assert set(sysadmin.groups.values_list("name", flat=True)) == {"sysadmin"}


def test_revoking_the_last_admin_site_role_closes_the_admin_site(sysadmin, member):
    account_services.role_grant(actor=sysadmin, user=member, role="operator")
    member.refresh_from_db()
    assert member.is_staff
    account_services.role_revoke(actor=sysadmin, user=member, role="operator")
    member.refresh_from_db()
    assert not member.is_staff


def test_organization_change_in_the_admin_is_audited(client, operator, institute_org):
    client.force_login(operator)
    url = reverse("admin:directory_organization_change", args=[institute_org.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": "institute",
            "name": institute_org.name,
            "short_name": "改简称",
            "uscc": "",
            "qualifications": "[]",
            "address": "",
            "size_band": "",
            "description": "",
            "website": "",
            "contact_name": "",
            "contact_phone": "",
            "researchers": "0",
        },
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = last("admin.change")
    assert_complete(
        event, response, user=operator, object_type="directory.organization", object_id=institute_org.pk
    )


def test_admin_bulk_delete_is_switched_off_so_every_admin_deletion_is_audited():
    from django.contrib import admin

    assert "delete_selected" not in dict(admin.site.actions)


@pytest.mark.slow
def test_every_apps_permissions_are_registered_at_start_up(tmp_path):
    """In a fresh process that loads no view (a shell, a command), ``has_perm`` already knows the rules."""
    import os
    import subprocess
    import sys

    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "KECHUANG_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "kechuang.settings.test",
        "LANG": "C.UTF-8",
    }
    code = "import django; django.setup(); import rules; print(sorted(rules.permissions.permissions))"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "directory.change_organization" in result.stdout
