"""The directory's organization kind 投资机构 (investor, the "金" of 政产学研金服用; issue 17): the form, the
import spec and the API accept it; its profile is public; an investor's member gains no role and is not
taken for an enterprise by the modules that serve enterprises."""

from __future__ import annotations

import import_files as files  # tests/directory is on sys.path (no __init__.py, rootdir import mode)
import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_files import ORG_HEADER
from rest_framework.test import APIClient

from kechuang.directory import importing
from kechuang.directory.choices import PUBLIC_KINDS, OrganizationKind
from kechuang.directory.forms import OrganizationForm
from kechuang.directory.models import Organization
from kechuang.directory.permissions import (
    investor_organization_ids,
    member_organization_ids,
    organization_visible_to,
)
from kechuang.testing.factories import OrganizationFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(db):
    organization = OrganizationFactory(kind=OrganizationKind.INVESTOR, name="上海天图创业投资管理有限公司")
    return organization, user_with_role(None, organization, username="vc")


def test_the_import_spec_reads_the_investor_kind_by_label_code_and_common_words():
    for raw in ("投资机构", "investor", "创投", "投资基金", " 投 资 机 构 "):
        assert importing.parse_kind(raw, None) == OrganizationKind.INVESTOR, raw


def test_an_investor_row_is_imported_without_a_credit_code(client, operator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    data = files.xlsx_bytes(
        {
            "机构": [
                ORG_HEADER,
                files.org_row(1, 类型="投资机构", 名称="上海某科创投资基金（有限合伙）", 统一社会信用代码=""),
            ]
        }
    )
    client.force_login(operator)
    upload = SimpleUploadedFile("机构名录.xlsx", data, content_type="application/octet-stream")
    response = client.post(reverse("directory:import-start"), {"file": upload, "kind": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    result = importing.load_result(importing.load_upload(token, actor=operator))
    assert result is not None and result.problem_count == 0, result and result.problems
    client.post(reverse("directory:import-review", args=[token]))
    assert Organization.objects.get(name="上海某科创投资基金（有限合伙）").kind == OrganizationKind.INVESTOR


def test_the_organization_form_and_api_accept_the_investor_kind(operator):
    form = OrganizationForm(data={"kind": "investor", "name": "上海某天使投资有限公司", "researchers": 0})
    assert form.is_valid(), form.errors
    api = APIClient()
    api.force_authenticate(operator)
    response = api.post(
        "/api/v1/organizations/", {"kind": "investor", "name": "上海某资本管理有限公司"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Organization.objects.get(name="上海某资本管理有限公司").kind == OrganizationKind.INVESTOR


def test_an_investor_profile_is_public(client, fund):
    organization, _member = fund
    assert OrganizationKind.INVESTOR in PUBLIC_KINDS and organization.is_public
    assert organization_visible_to(AnonymousUser()).filter(pk=organization.pk).exists()
    assert client.get(reverse("directory:organization-detail", args=[organization.pk])).status_code == 200


def test_an_investor_member_has_no_role_and_is_not_an_enterprise(fund, enterprise_org):
    from kechuang.spaces import services as spaces
    from kechuang.vouchers.permissions import can_apply

    organization, member = fund
    assert member.roles == frozenset()
    assert investor_organization_ids(member) == {organization.pk}
    assert member_organization_ids(member) == {organization.pk}
    assert not can_apply(member, organization)
    with pytest.raises(PermissionDenied):
        spaces.space_request_create(
            actor=member, organization=organization, title="用房", area_min_m2=100, area_max_m2=200
        )
