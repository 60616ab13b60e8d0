"""Issue 14 item 11: every page names a vendored favicon, and /favicon.ico leads to it (served offline)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_pages_link_the_vendored_favicon_and_favicon_ico_leads_to_it():
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    assert 'rel="icon"' in page and "kechuang/favicon.svg" in page
    assert finders.find("kechuang/favicon.svg") and finders.find("kechuang/favicon.ico")
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and "kechuang/favicon" in response["Location"]
    with open(finders.find("kechuang/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO header
