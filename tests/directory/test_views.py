"""Directory pages: the organization form refuses a bad or duplicate USCC with a Chinese message under
the field and creates nothing; lists answer with a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.core.models import AuditEvent
from kechuang.directory.models import Organization
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, PersonFactory, make_uscc

pytestmark = pytest.mark.django_db

CODE = "91350100M000100Y43"


def form_data(**changes) -> dict:
    data = {
        "kind": "enterprise",
        "name": "上海菊园新建科技有限公司",
        "uscc": CODE,
        "researchers": "0",
        "short_name": "",
        "address": "",
        "description": "",
        "contact_name": "",
        "contact_phone": "",
    }
    data.update(changes)
    return data


def create_page(client, **changes):
    return client.post(reverse("directory:organization-create"), form_data(**changes))


def field_error(response, field: str) -> str:
    return " ".join(response.context["form"].errors.get(field, []))


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M000100Y4Z", "不允许的字符：Z"),
        ("91350100M000100", "应为 18 位"),
    ],
)
def test_invalid_uscc_in_the_form_is_shown_under_the_field_in_chinese_and_nothing_is_created(
    client, operator, code, fragment
):
    client.force_login(operator)
    response = create_page(client, uscc=code)
    assert response.status_code == 400
    message = field_error(response, "uscc")
    assert "统一社会信用代码" in message and fragment in message
    page = response.content.decode()
    assert "id_uscc" in page and fragment in page
    assert not Organization.objects.filter(name="上海菊园新建科技有限公司").exists()
    assert not AuditEvent.objects.filter(action="organization.create").exists()


def test_duplicate_uscc_in_the_form_names_the_holder_and_creates_nothing(client, operator):
    OrganizationFactory(uscc=CODE, name="先登记的企业")
    client.force_login(operator)
    response = create_page(client, uscc="９１３５０１００ｍ０００１００ｙ４３")
    assert response.status_code == 400
    message = field_error(response, "uscc")
    assert "统一社会信用代码" in message and "先登记的企业" in message
    assert not Organization.objects.filter(name="上海菊园新建科技有限公司").exists()


def test_duplicate_name_in_the_form_is_shown_under_the_name(client, operator):
    OrganizationFactory(name="上海菊园新建科技有限公司", uscc=make_uscc(seed=77))
    client.force_login(operator)
    response = create_page(client)
    assert response.status_code == 400
    assert "同名" in field_error(response, "name")
    assert Organization.objects.filter(name="上海菊园新建科技有限公司").count() == 1


def test_valid_form_stores_the_canonical_uscc_and_goes_to_the_detail_page(client, operator):
    client.force_login(operator)
    response = create_page(client, uscc=" 91350100m000100y43 ")
    organization = Organization.objects.get(name="上海菊园新建科技有限公司")
    assert organization.uscc == CODE
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:organization-detail", args=[organization.pk])


def test_enterprise_without_uscc_is_refused_in_the_form(client, operator):
    client.force_login(operator)
    response = create_page(client, uscc="")
    assert response.status_code == 400
    assert "企业必须填写统一社会信用代码" in field_error(response, "uscc")


def test_edit_form_refuses_a_duplicate_uscc_and_changes_nothing(client, operator):
    OrganizationFactory(uscc=CODE, name="持有者企业")
    target = OrganizationFactory(name="被编辑企业")
    before = target.uscc
    client.force_login(operator)
    response = client.post(
        reverse("directory:organization-update", args=[target.pk]),
        form_data(name="被编辑企业", uscc=CODE.lower(), address="新地址"),
    )
    assert response.status_code == 400
    assert "持有者企业" in field_error(response, "uscc")
    target.refresh_from_db()
    assert target.uscc == before and target.address == ""


def test_edit_form_shows_the_current_values(client, operator, enterprise_org):
    client.force_login(operator)
    page = client.get(reverse("directory:organization-update", args=[enterprise_org.pk])).content.decode()
    assert enterprise_org.uscc in page and enterprise_org.name in page


def test_anonymous_organization_list_filters_by_kind(client, institute_org, enterprise_org):
    page = client.get(reverse("directory:organization-list"), {"kind": "institute"}).content.decode()
    assert institute_org.name in page and enterprise_org.name not in page


def test_organization_list_answers_bad_filters_without_error(client, operator):
    client.force_login(operator)
    for params in (
        {"kind": "nonsense"},
        {"block": "nope"},
        {"page": "x"},
        {"page": "99999"},
        {"q": "x" * 5000},
        {"is_key": "maybe"},
        {"field": "☃"},
    ):
        assert client.get(reverse("directory:organization-list"), params).status_code == 200, params
    assert client.get(reverse("directory:organization-list"), {"q": "\x00"}).status_code == 400


def test_htmx_request_gets_the_rows_partial_only(client, operator, enterprise_org):
    client.force_login(operator)
    response = client.get(reverse("directory:organization-list"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert enterprise_org.name in page and "<html" not in page


def test_organization_list_query_count_does_not_grow_with_rows(
    client, operator, django_assert_max_num_queries
):
    for n in range(40):
        OrganizationFactory(name=f"查询计数企业{n}", uscc=make_uscc(seed=1000 + n))
    client.force_login(operator)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("directory:organization-list")).status_code == 200


def test_person_list_query_count_does_not_grow_with_rows(client, operator, django_assert_max_num_queries):
    institute = InstituteFactory()
    for n in range(40):
        PersonFactory(organization=institute, name=f"研究员{n}")
    client.force_login(operator)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("directory:person-list")).status_code == 200


def test_organization_detail_query_count_does_not_grow_with_people(
    client, operator, django_assert_max_num_queries
):
    institute = InstituteFactory()
    for n in range(30):
        PersonFactory(organization=institute, name=f"专家{n}")
    client.force_login(operator)
    with django_assert_max_num_queries(25):
        assert client.get(reverse("directory:organization-detail", args=[institute.pk])).status_code == 200
