"""The event pages: public list, calendar and event page (anonymous too); sign-up and my registrations
with the check-in code; the door; the organizer's list; the review queue; list pages' query counts."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse
from django.utils import timezone
from events_helpers import make_event, participants

from kechuang.events import services
from kechuang.events.choices import EventStatus, RegistrationStatus
from kechuang.events.models import Event, Registration

pytestmark = pytest.mark.django_db


def test_public_pages_need_no_sign_in(client, forum):
    listing = client.get(reverse("events:event-list")).content.decode()
    assert forum.title in listing
    month = timezone.localtime(forum.starts_at).strftime("%Y-%m")
    calendar = client.get(reverse("events:calendar") + f"?month={month}").content.decode()
    assert forum.title in calendar
    page = client.get(reverse("events:event-detail", args=[forum.code])).content.decode()
    assert "登录后报名" in page and forum.organizer.name in page
    assert client.get(reverse("events:calendar") + "?month=99999-1").status_code == 200


def test_sign_up_on_the_web_shows_the_code_and_the_door_checks_it_in(
    client, forum, enterprise_user, enterprise_org
):
    client.force_login(enterprise_user)
    response = client.post(reverse("events:event-action", args=[forum.code, "register"]))
    assert response.status_code == 302
    registration = Registration.objects.get(event=forum, user=enterprise_user)
    assert registration.organization == enterprise_org
    mine = client.get(reverse("events:my-registrations")).content.decode()
    assert registration.checkin_code in mine
    # the organizer's member (the same enterprise) runs the door
    door = client.post(reverse("events:checkin", args=[forum.code]), {"code": registration.checkin_code})
    assert door.status_code == 200 and "签到成功" in door.content.decode()
    again = client.post(reverse("events:checkin", args=[forum.code]), {"code": registration.checkin_code})
    assert again.status_code == 400 and "不能重复签到" in again.content.decode()
    names = client.get(reverse("events:registration-list", args=[forum.code])).content.decode()
    assert registration.code in names


def test_a_full_event_puts_the_next_sign_up_on_the_waiting_list(client, forum, enterprise_org):
    for person in participants(3, enterprise_org):
        services.registration_create(actor=person, event=forum)
    late = participants(1, enterprise_org, prefix="late")[0]
    client.force_login(late)
    page = client.get(reverse("events:event-detail", args=[forum.code])).content.decode()
    assert "名额已满，加入候补" in page
    client.post(reverse("events:event-action", args=[forum.code, "register"]))
    assert Registration.objects.get(user=late).status == RegistrationStatus.WAITLISTED
    assert "候补名单第 1 位" in client.get(reverse("events:event-detail", args=[forum.code])).content.decode()


def test_an_organizer_proposes_an_event_and_an_operator_publishes_it(
    client, enterprise_user, enterprise_org, operator, building, series
):
    client.force_login(enterprise_user)
    start = timezone.localtime(timezone.now() + timezone.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(timezone.now() + timezone.timedelta(days=10, hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("events:event-create"),
        {
            "title": "科学家精神进企业：激光与光学",
            "kind": "outreach",
            "series": series["科学家精神进校园、进企业"].pk,
            "height": "literacy",
            "audience": "enterprises",
            "summary": "院所科学家走进企业，讲述科研故事。",
            "venue_kind": "building",
            "building": building.code,
            "starts_at": start,
            "ends_at": end,
            "capacity": "50",
            "guests": "张研究员｜上海光机所 研究员｜强激光的故事",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="科学家精神进企业：激光与光学")
    assert event.organizer == enterprise_org and event.speakers.get().guest_name == "张研究员"
    client.post(reverse("events:event-action", args=[event.code, "submit"]))
    client.force_login(operator)
    assert event.title in client.get(reverse("events:review-list")).content.decode()
    client.post(reverse("events:event-action", args=[event.code, "publish"]))
    assert Event.objects.get(pk=event.pk).status == EventStatus.PUBLISHED


def test_list_page_queries_do_not_grow_with_events(
    client, operator, enterprise_org, building, series, django_assert_max_num_queries
):
    for _ in range(3):
        make_event(operator, enterprise_org, building)
    client.get(reverse("events:event-list"))
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("events:event-list"))
    for _ in range(6):
        make_event(operator, enterprise_org, building)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("events:event-list"))


def test_the_management_list_counts_places_and_waiting_list_per_event_in_constant_queries(
    client, operator, forum, enterprise_org, building, django_assert_max_num_queries
):
    from kechuang.events import selectors

    people = participants(5, enterprise_org)
    regs = [services.registration_create(actor=p, event=forum, organization=enterprise_org) for p in people]
    services.registration_cancel(actor=people[0], registration=regs[0])  # the first waiting is promoted
    empty = make_event(operator, enterprise_org, building)
    counts = {e.code: (e.confirmed, e.waiting) for e in selectors.managed_events(actor=operator)}
    assert counts[forum.code] == (3, 1) and counts[empty.code] == (0, 0)
    client.force_login(operator)
    client.get(reverse("events:manage-list"))
    with django_assert_max_num_queries(12) as small:
        page = client.get(reverse("events:manage-list")).content.decode()
    queries = len(small.captured_queries)  # now: the next request clears the connection's query log
    assert "3 / 3 (+1)" in page and f"0 / {empty.capacity}<" in page
    for i in range(4):  # more events, each with a registration: the page reads no more rows one by one
        more = make_event(operator, enterprise_org, building)
        services.registration_create(actor=participants(1, enterprise_org, prefix=f"m{i}-")[0], event=more)
    client.get(reverse("events:manage-list"))  # the shared caches the new accounts invalidated, read again
    with django_assert_max_num_queries(queries):
        client.get(reverse("events:manage-list"))


def test_demo_generator_makes_two_years_of_the_series_and_is_idempotent(operator):
    from kechuang.events.demo import generate

    made = generate(scale="tiny", seed=1, rng=random.Random(1))
    assert made["活动系列"] == 6 and made["活动"] > 6 and made["活动签到"] > 0
    assert Registration.objects.filter(checked_in_at__isnull=False).count() == made["活动签到"]
    again = generate(scale="tiny", seed=1, rng=random.Random(1))
    assert again["活动"] == 0 and again["活动报名"] == 0


def test_the_demo_never_confirms_more_people_than_an_event_has_places(operator):
    """The small demo once showed "88 / 86": its no-shows were added on top of a full house."""
    from django.db.models import Count, F, Q

    from kechuang.events.demo import generate

    generate(scale="small", seed=2026, rng=random.Random(2026))
    events = Event.objects.annotate(n=Count("registrations", filter=Q(registrations__status="confirmed")))
    assert events.filter(n__gt=0).exists()
    assert not events.filter(n__gt=F("capacity")).exists()


def test_the_calendar_names_its_month_in_each_language(client):
    from django.utils import translation

    page = client.get(reverse("events:calendar") + "?month=2026-12").content.decode()
    assert "2026 年 12 月" in page
    with translation.override("en"):
        english = client.get(reverse("events:calendar") + "?month=2026-12", HTTP_ACCEPT_LANGUAGE="en").content
    assert "December 2026" in english.decode() and "Year" not in english.decode()
