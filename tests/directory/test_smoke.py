import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_page_answers_in_chinese_for_anonymous_visitor(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_organization_list_shows_enterprise_to_operator(client, operator, enterprise_org):
    client.force_login(operator)
    response = client.get(reverse("directory:organization-list"))
    assert response.status_code == 200
    assert enterprise_org.name in response.content.decode()
