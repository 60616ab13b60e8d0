import pytest
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.directory.models import Organization
from kechuang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db


def test_operator_creating_an_organization_in_admin_goes_through_the_service_and_is_audited(client, operator):
    client.force_login(operator)
    code = make_uscc(seed=424242)
    response = client.post(
        reverse("admin:directory_organization_add"),
        {
            "kind": "enterprise",
            "name": "上海后台新建科技有限公司",
            "uscc": code.lower(),
            "qualifications": "[]",
            "researchers": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    organization = Organization.objects.get(name="上海后台新建科技有限公司")
    assert organization.uscc == code
    assert AuditEvent.objects.filter(action="organization.create", object_id=str(organization.pk)).exists()
