"""Chinese is the default language; English comes from the compiled catalogue."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_are_in_chinese_by_default(client):
    body = client.get(reverse("directory:organization-list")).content.decode()
    assert "机构名录" in body


def test_english_switch_translates_the_shell_from_the_catalogue(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("directory:organization-list")).content.decode()
    assert 'lang="en"' in body
    assert "Organization directory" in body or "Directory" in body
    assert "机构名录" not in body
