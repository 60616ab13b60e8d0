"""docs/reliability.md K2 for the transfer forms and API: full-width, emoji, very long, NUL and RTL text is
accepted or refused with 4xx — never a 500 — and always shown escaped."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

NASTY = [
    "ＡＢＣ１２３激光焊接需求",
    "🔥激光焊接🚗需求🔥",
    "激" * 5000,
    "含空字符\x00的标题",
    "\u202eأنظمة الليزر\u202c需求",
    "<script>alert(1)</script>需求",
]


@pytest.mark.parametrize("text", NASTY)
def test_demand_form_never_fails(client, enterprise_user, fields, text):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("transfer:demand-create"),
        {
            "title": text[:200],
            "summary": text + "这是一段足够长的需求描述文字，用于测试。",
            "fields": [fields["OPT"].pk],
            "cooperation_modes": ["license"],
            "visibility": "public",
            "budget_min_wan": "１０",
        },
    )
    assert response.status_code in (302, 400)
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("text", NASTY)
def test_api_and_search_never_fail(client, enterprise_user, fields, achievement, text):
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.get_or_create(user=enterprise_user)[0].key}"}
    response = client.post(
        "/api/v1/demands/",
        {"title": text[:120], "summary": text[:4000] + "描述"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code in (201, 400)
    for url in ("/transfer/search/", "/api/v1/search/", "/transfer/achievements/", "/api/v1/achievements/"):
        response = client.get(url, {"q": text})
        assert response.status_code in (200, 400), url
        if response["Content-Type"].startswith("text/html"):  # JSON is data, served with nosniff
            assert "<script>alert(1)</script>" not in response.content.decode()
