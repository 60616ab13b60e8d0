"""docs/reliability.md D1: phone numbers are masked (138****1234) for roles that do not need them (another
enterprise, an institute, an expert, the system administrator and auditor, the public) and shown in
full to district staff and to the organization's own members, in the pages and in the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from kechuang.core.masking import mask_phone
from kechuang.testing.factories import PersonFactory

pytestmark = pytest.mark.django_db

PERSON_PHONE = "13912345678"
CONTACT_PHONE = "13687654321"
FULL_VIEWERS = ["operator", "commissioner", "leader", "enterprise_user"]  # staff and own members
MASKED_VIEWERS = [
    "other_enterprise_user",
    "institute_user",
    "expert_user",
    "provider_user",
    "sysadmin",
    "auditor",
]


@pytest.fixture
def listed(enterprise_org):
    enterprise_org.contact_phone = CONTACT_PHONE
    enterprise_org.save()
    return PersonFactory(organization=enterprise_org, phone=PERSON_PHONE, name="黄工程师")


def pages(listed):
    return [
        reverse("directory:person-list"),
        reverse("directory:person-list") + "?q=黄工程师",
        reverse("directory:person-detail", args=[listed.pk]),
        reverse("directory:organization-detail", args=[listed.organization_id]),
    ]


def api_bodies(client, user, listed) -> str:
    token = Token.objects.create(user=user)
    headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
    bodies = []
    for url in (
        "/api/v1/people/",
        f"/api/v1/people/{listed.pk}/",
        "/api/v1/organizations/",
        f"/api/v1/organizations/{listed.organization_id}/",
        "/api/v1/people/?q=黄工程师",
    ):
        response = client.get(url, **headers)
        assert response.status_code == 200, url
        bodies.append(response.content.decode())
    return "\n".join(bodies)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("008613812341234", "138****1234"),
        ("021-59991234", "021****1234"),
        ("5999123", "59***23"),
        ("12345", "****"),
        ("", ""),
    ],
)
def test_mask_keeps_only_the_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize("viewer", FULL_VIEWERS)
def test_staff_and_own_members_see_full_numbers_in_pages(client, request, viewer, listed):
    client.force_login(request.getfixturevalue(viewer))
    person_pages = [u for u in pages(listed) if "/people/" in u]
    for url in person_pages:
        assert PERSON_PHONE in client.get(url).content.decode(), url
    detail = client.get(pages(listed)[-1]).content.decode()
    assert PERSON_PHONE in detail and CONTACT_PHONE in detail


@pytest.mark.parametrize("viewer", MASKED_VIEWERS)
def test_other_roles_see_masked_numbers_in_pages(client, request, viewer, listed):
    client.force_login(request.getfixturevalue(viewer))
    for url in pages(listed):
        page = client.get(url).content.decode()
        assert PERSON_PHONE not in page and CONTACT_PHONE not in page, url
    assert mask_phone(PERSON_PHONE) in client.get(pages(listed)[2]).content.decode()
    assert mask_phone(CONTACT_PHONE) in client.get(pages(listed)[3]).content.decode()


@pytest.mark.parametrize("viewer", FULL_VIEWERS)
def test_staff_and_own_members_see_full_numbers_in_the_api(client, request, viewer, listed):
    body = api_bodies(client, request.getfixturevalue(viewer), listed)
    assert PERSON_PHONE in body and CONTACT_PHONE in body


@pytest.mark.parametrize("viewer", MASKED_VIEWERS)
def test_other_roles_see_masked_numbers_in_the_api(client, request, viewer, listed):
    body = api_bodies(client, request.getfixturevalue(viewer), listed)
    assert PERSON_PHONE not in body and CONTACT_PHONE not in body
    assert mask_phone(PERSON_PHONE) in body and mask_phone(CONTACT_PHONE) in body


def test_public_sees_masked_contact_numbers_of_public_organizations(client, institute_org):
    institute_org.contact_phone = CONTACT_PHONE
    institute_org.save()
    page = client.get(reverse("directory:organization-detail", args=[institute_org.pk])).content.decode()
    body = client.get(f"/api/v1/organizations/{institute_org.pk}/").content.decode()
    listing = client.get("/api/v1/organizations/").content.decode()
    for text in (page, body, listing):
        assert CONTACT_PHONE not in text
    assert mask_phone(CONTACT_PHONE) in page and mask_phone(CONTACT_PHONE) in body


def test_a_masked_phone_number_cannot_be_confirmed_by_searching_for_it(client, other_enterprise_user, listed):
    client.force_login(other_enterprise_user)
    assert client.get("/api/v1/people/", {"q": PERSON_PHONE}).json()["count"] == 0
    assert client.get("/api/v1/organizations/", {"q": CONTACT_PHONE}).json()["count"] == 0
    page = client.get(reverse("directory:person-list"), {"q": PERSON_PHONE}).content.decode()
    assert "黄工程师" not in page


def test_own_profile_shows_the_users_phone_masked(client, enterprise_user):
    enterprise_user.phone = PERSON_PHONE
    enterprise_user.save()
    client.force_login(enterprise_user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert mask_phone(PERSON_PHONE) in page
