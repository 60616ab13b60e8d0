"""The pages: who may open what (role matrix, B1/B2), a full web journey, conflicts shown as 409, and the
query budget of every list page (I2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from sd_helpers import at

from kechuang.servicedesk import services
from kechuang.servicedesk.choices import RequestStatus
from kechuang.servicedesk.models import RequestEvent, ServicePreference, ServiceRequest, Visit

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(desk, institute_user, provider_user, expert_user, sysadmin, auditor):
    return {
        **desk,
        "institute": institute_user,
        "provider": provider_user,
        "expert": expert_user,
        "sysadmin": sysadmin,
        "auditor": auditor,
    }


@pytest.fixture
def own_request(file_request):
    return file_request(when=at(2026, 3, 16, 10))


def snapshot(request: ServiceRequest) -> dict:
    return ServiceRequest.objects.filter(pk=request.pk).values().get()


# role → (request list, own request detail, new-request form, workload, figures, calendar, preferences)
PAGE_MATRIX = {
    "operator": (200, 200, 302, 200, 200, 200, 403),
    "commissioner": (200, 200, 302, 403, 200, 200, 403),
    "leader": (200, 200, 302, 200, 200, 200, 403),
    "user": (200, 200, 200, 403, 403, 403, 200),
    "other_user": (200, 404, 200, 403, 403, 403, 200),
    "institute": (403, 403, 403, 403, 403, 403, 403),
    "provider": (403, 403, 403, 403, 403, 403, 403),
    "expert": (403, 403, 403, 403, 403, 403, 403),
    "sysadmin": (403, 403, 403, 403, 403, 403, 403),
    "auditor": (403, 403, 403, 403, 403, 403, 403),
    "anonymous": (302, 302, 302, 302, 302, 302, 302),
}


@pytest.mark.parametrize("role", list(PAGE_MATRIX))
def test_pages_answer_each_role_as_approved(client, people, own_request, role):
    if role != "anonymous":
        client.force_login(people[role])
    urls = [
        reverse("servicedesk:request-list"),
        reverse("servicedesk:request-detail", args=[own_request.code]),
        reverse("servicedesk:request-create"),
        reverse("servicedesk:workload"),
        reverse("servicedesk:figures"),
        reverse("servicedesk:calendar"),
        reverse("servicedesk:preferences"),
    ]
    answers = [client.get(url).status_code for url in urls]
    assert tuple(answers) == PAGE_MATRIX[role], dict(zip(urls, answers, strict=True))
    if role == "anonymous":
        assert client.get(urls[0])["Location"].startswith(reverse("accounts:login"))


def test_other_enterprise_cannot_see_or_act_on_a_request_and_nothing_changes(client, people, own_request):
    services.request_resolve(actor=people["commissioner"], request=own_request, version=1, text="已办结")
    services.request_attach(
        actor=people["user"],
        request=own_request,
        files=[SimpleUploadedFile("材料.pdf", PDF, content_type="application/pdf")],
    )
    attachment = own_request.attachments.get()
    before, events = snapshot(own_request), RequestEvent.objects.filter(request=own_request).count()
    client.force_login(people["other_user"])
    code = own_request.code
    assert client.get(reverse("servicedesk:request-detail", args=[code])).status_code == 404
    for name, data in [
        ("request-close", {"version": 2, "rating": 1}),
        ("request-reopen", {"version": 2, "reason": "x"}),
        ("request-message", {"text": "我来插一句"}),
        ("request-withdraw", {"version": 2}),
        ("request-respond", {"version": 2, "text": "x"}),
        ("request-resolve", {"version": 2, "text": "x"}),
    ]:
        response = client.post(reverse(f"servicedesk:{name}", args=[code]), data)
        assert response.status_code == 404, name
    assert client.get(reverse("servicedesk:attachment-download", args=[attachment.token])).status_code == 404
    assert client.get(reverse("servicedesk:enterprise-detail", args=[people["org"].pk])).status_code == 404
    assert snapshot(own_request) == before
    assert RequestEvent.objects.filter(request=own_request).count() == events
    listing = client.get(reverse("servicedesk:request-list")).content.decode()
    assert code not in listing and own_request.title not in listing


def test_commissioner_of_another_enterprise_cannot_open_this_one(client, people, own_request):
    from kechuang.testing.factories import user_with_role

    stranger = user_with_role("commissioner", None, username="comm-x")
    client.force_login(stranger)
    assert client.get(reverse("servicedesk:request-detail", args=[own_request.code])).status_code == 404
    response = client.post(
        reverse("servicedesk:request-respond", args=[own_request.code]), {"version": 1, "text": "x"}
    )
    assert response.status_code == 404
    assert client.get(reverse("servicedesk:visit-create", args=[people["org"].pk])).status_code == 403
    assert ServiceRequest.objects.get(pk=own_request.pk).status == RequestStatus.SUBMITTED


def test_web_journey_file_answer_close_with_rating(client, people, frozen):
    frozen.set(at(2026, 3, 16, 10))
    client.force_login(people["user"])
    response = client.post(
        reverse("servicedesk:request-create"),
        {
            "category": "talent",
            "title": "引进博士落户办理",
            "text": "新引进两名博士，请协助办理落户。",
            "files": [SimpleUploadedFile("名单.pdf", PDF, content_type="application/pdf")],
        },
    )
    assert response.status_code == 302
    request = ServiceRequest.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert request.code in page and "待响应" in page and "2026-03-17 10:00" in page and "名单.pdf" in page
    client.force_login(people["commissioner"])
    frozen.set(at(2026, 3, 16, 11))
    response = client.post(
        reverse("servicedesk:request-respond", args=[request.code]),
        {"version": 1, "text": "已受理，明天给您材料清单。"},
    )
    assert response.status_code == 302
    client.force_login(people["user"])
    page = client.get(reverse("servicedesk:request-detail", args=[request.code])).content.decode()
    assert "办理中" in page and "按时完成" in page and "已受理，明天给您材料清单。" in page
    response = client.post(
        reverse("servicedesk:request-close", args=[request.code]),
        {"version": 2, "rating": 4, "comment": "满意"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.rating == 4


def test_web_conflict_answers_409_and_says_what_happened(client, people, own_request):
    services.request_respond(actor=people["operator"], request=own_request, version=1, text="运营已受理")
    client.force_login(people["commissioner"])
    response = client.post(
        reverse("servicedesk:request-resolve", args=[own_request.code]), {"version": 1, "text": "我也来办结"}
    )
    assert response.status_code == 409
    assert "刚被他人更新" in response.content.decode()
    assert ServiceRequest.objects.get(pk=own_request.pk).status == RequestStatus.IN_PROGRESS


def test_refused_visit_shows_the_reason_on_the_form(client, people):
    services.preference_set(actor=people["user"], organization=people["org"], do_not_disturb=True)
    client.force_login(people["commissioner"])
    response = client.post(
        reverse("servicedesk:visit-create", args=[people["org"].pk]),
        {"planned_for": "2026-03-20", "purpose": "了解经营情况"},
    )
    assert response.status_code == 400
    assert "无事不扰" in response.content.decode() and not Visit.objects.exists()


def test_enterprise_sets_do_not_disturb_on_its_page(client, people):
    client.force_login(people["user"])
    response = client.post(
        reverse("servicedesk:preferences"),
        {"do_not_disturb": "on", "do_not_disturb_until": "2026-06-30", "max_visits_per_month": "1"},
    )
    assert response.status_code == 302
    preference = ServicePreference.objects.get(organization=people["org"])
    assert preference.do_not_disturb and preference.do_not_disturb_until == dt.date(2026, 6, 30)


def test_operator_edits_the_calendar_on_its_page(client, people):
    client.force_login(people["operator"])
    response = client.post(
        reverse("servicedesk:calendar"), {"date": "2026-07-15", "kind": "holiday", "name": "台风停工"}
    )
    assert response.status_code == 302
    page = client.get(reverse("servicedesk:calendar") + "?year=2026").content.decode()
    assert "台风停工" in page and "国庆节" in page
    client.force_login(people["commissioner"])
    assert (
        client.post(reverse("servicedesk:calendar"), {"date": "2026-07-16", "kind": "holiday"}).status_code
        == 403
    )


@pytest.mark.parametrize(
    "text", ["全角ＡＢＣ１２３", "😀" * 50, "שלום עולם‏", "<script>alert(1)</script>", "长" * 5000]
)
def test_odd_text_is_accepted_or_refused_never_a_500_and_always_escaped(client, people, text):
    client.force_login(people["user"])
    response = client.post(
        reverse("servicedesk:request-create"), {"category": "other", "title": text[:120], "text": text}
    )
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        page = client.get(response["Location"]).content.decode()
        assert "<script>alert(1)</script>" not in page


# --- query budgets -----------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more_requests(people, n: int) -> None:
    for i in range(n):
        services.request_file(
            actor=people["user"], organization=people["org"], category="policy", title=f"诉求{i}", text="内容"
        )


@pytest.mark.parametrize("role", ["user", "commissioner", "leader", "operator"])
def test_request_list_query_count_does_not_grow_with_the_page(
    client, people, own_request, role, django_assert_max_num_queries
):
    client.force_login(people[role])
    url = reverse("servicedesk:request-list")
    small = _count(client, url)
    _more_requests(people, 12)
    with django_assert_max_num_queries(small):
        client.get(url)
    with django_assert_max_num_queries(16):
        client.get(url + "?state=open&category=policy&q=诉求")


@pytest.mark.slow
def test_other_list_pages_have_a_flat_query_budget(
    client, people, own_request, django_assert_max_num_queries
):
    from kechuang.testing.factories import OrganizationFactory

    client.force_login(people["operator"])
    pages = [
        reverse("servicedesk:enterprise-list") + "?scope=all",
        reverse("servicedesk:visit-list"),
        reverse("servicedesk:workload"),
        reverse("servicedesk:figures"),
        reverse("servicedesk:calendar"),
    ]
    services.visit_plan(
        actor=people["operator"], organization=people["org"], planned_for=dt.date(2026, 3, 20), purpose="走访"
    )
    before = {url: _count(client, url) for url in pages}
    for i in range(8):
        org = OrganizationFactory(name=f"预算测试企业{i}")
        services.visit_plan(
            actor=people["operator"], organization=org, planned_for=dt.date(2026, 3, 20), purpose="走访"
        )
    _more_requests(people, 5)
    for url, count in before.items():
        with django_assert_max_num_queries(count, info=url):
            client.get(url)
        assert count <= 20, (url, count)
