"""Events from proposal to feedback: review before publication, sign-up with a quota and a waiting
list, cancellation promoting the next in line (told at once), check-in by code at the door, feedback
after the event; the profile's brand series loaded as series."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from events_helpers import details, held, make_event, participants

from kechuang.events import services
from kechuang.events.choices import EventStatus, RegistrationStatus, VenueKind
from kechuang.events.models import Event, EventSeries, Registration
from kechuang.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_the_profile_brand_events_are_loaded_as_series_once():
    assert services.series_load_from_profile(actor=None) == 6
    names = list(EventSeries.objects.values_list("name", flat=True))
    assert "菊园科研院所创新创业大赛" in names and "“邻+科学院”" in names and "科技创新论坛" in names
    assert "知识产权商业化运营大会" in names and "高价值专利运营大赛" in names
    assert "科学家精神进校园、进企业" in names
    assert services.series_load_from_profile(actor=None) == 0
    assert EventSeries.objects.count() == 6


def test_an_event_is_public_only_after_an_operator_other_than_its_creator_publishes_it(
    client, enterprise_user, enterprise_org, operator, building
):
    event = services.event_create(
        actor=enterprise_user, organization=enterprise_org, details=details(building)
    )
    assert event.code.startswith("HD-") and event.status == EventStatus.DRAFT
    assert client.get(f"/events/{event.code}/").status_code == 404  # not public yet
    services.event_submit(actor=enterprise_user, event=event)
    with pytest.raises(PermissionDenied):
        services.event_review(actor=enterprise_user, event=event, approve=True)
    services.event_review(actor=operator, event=event, approve=False, reason="请补充议程")
    event.refresh_from_db()
    assert event.status == EventStatus.DRAFT and event.status_reason == "请补充议程"
    services.event_submit(actor=enterprise_user, event=event)
    services.event_review(actor=operator, event=event, approve=True)
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED and event.reviewed_by == operator
    page = client.get(f"/events/{event.code}/")
    assert page.status_code == 200 and event.title in page.content.decode()
    # the operator who created an event cannot publish it alone
    own = services.event_create(actor=operator, organization=enterprise_org, details=details(building))
    services.event_submit(actor=operator, event=own)
    with pytest.raises(PermissionDenied):
        services.event_review(actor=operator, event=own, approve=True)


def test_venue_must_be_a_building_an_amenity_of_the_profile_or_online(operator, enterprise_org, building):
    with pytest.raises(ValidationError) as error:
        services.event_create(
            actor=operator,
            organization=enterprise_org,
            details=details(building, venue_kind=VenueKind.AMENITY, building=None, amenity="月球基地"),
        )
    assert "amenity" in error.value.message_dict
    event = services.event_create(
        actor=operator,
        organization=enterprise_org,
        details=details(building, venue_kind=VenueKind.AMENITY, building=None, amenity="科学家精神教育基地"),
    )
    assert event.venue_text == "科学家精神教育基地"
    with pytest.raises(ValidationError) as error:
        services.event_create(
            actor=operator,
            organization=enterprise_org,
            details=details(building, ends_at=details(building).starts_at.replace(year=2000)),
        )
    assert "ends_at" in error.value.message_dict


def test_sign_ups_beyond_the_quota_join_the_waiting_list_and_a_cancellation_promotes_the_first(
    forum, enterprise_org
):
    people = participants(5, enterprise_org)
    regs = [services.registration_create(actor=p, event=forum, organization=enterprise_org) for p in people]
    assert [r.status for r in regs] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert len({r.checkin_code for r in regs}) == 5
    with pytest.raises(ValidationError, match="已报名"):
        services.registration_create(actor=people[0], event=forum)
    # the fourth (first in line) is promoted, not the fifth; told at once
    promoted = services.registration_cancel(actor=people[1], registration=regs[1])
    assert promoted is not None and promoted.pk == regs[3].pk
    statuses = dict(Registration.objects.filter(event=forum).values_list("pk", "status"))
    assert statuses[regs[1].pk] == "cancelled" and statuses[regs[3].pk] == "confirmed"
    assert statuses[regs[4].pk] == "waitlisted"
    note = Notification.objects.get(recipient=people[3], kind="events.promoted")
    assert regs[3].checkin_code in note.body
    assert not Notification.objects.filter(recipient=people[4], kind="events.promoted").exists()
    # cancelling a waiting place promotes nobody
    assert services.registration_cancel(actor=people[4], registration=regs[4]) is None
    assert Registration.objects.filter(event=forum, status=RegistrationStatus.CONFIRMED).count() == 3
    # and someone else cannot cancel another's place
    with pytest.raises(PermissionDenied):
        services.registration_cancel(actor=people[0], registration=regs[2])


def test_check_in_by_the_code_typed_at_the_door(
    forum, enterprise_org, enterprise_user, other_enterprise_user
):
    people = participants(4, enterprise_org)
    regs = [services.registration_create(actor=p, event=forum) for p in people]
    typed = " " + regs[0].checkin_code.lower()[:4] + "-" + regs[0].checkin_code.lower()[4:] + " "
    checked = services.registration_check_in(actor=enterprise_user, event=forum, code=typed)
    assert checked.pk == regs[0].pk and checked.checked_in_at is not None
    with pytest.raises(ValidationError, match="不能重复签到"):
        services.registration_check_in(actor=enterprise_user, event=forum, code=regs[0].checkin_code)
    with pytest.raises(ValidationError, match="候补"):
        services.registration_check_in(actor=enterprise_user, event=forum, code=regs[3].checkin_code)
    with pytest.raises(ValidationError, match="签到码无效"):
        services.registration_check_in(actor=enterprise_user, event=forum, code="ABCDEFGH")
    # another enterprise's member is not at this door
    with pytest.raises(PermissionDenied):
        services.registration_check_in(actor=other_enterprise_user, event=forum, code=regs[1].checkin_code)
    with pytest.raises(ValidationError, match="名额已满"):
        services.registration_walk_in(actor=enterprise_user, event=forum, name="王小明")
    services.registration_cancel(actor=people[3], registration=regs[3])  # the waiting one leaves
    assert services.registration_cancel(actor=people[2], registration=regs[2]) is None  # nobody waits
    walk_in = services.registration_walk_in(actor=enterprise_user, event=forum, name="王小明")
    assert walk_in.user is None and walk_in.checked_in_at is not None
    with pytest.raises(ValidationError, match="名额已满"):
        services.registration_walk_in(actor=enterprise_user, event=forum, name="李小红")


def test_feedback_after_the_event_from_those_who_attended(forum, enterprise_org, enterprise_user):
    people = participants(2, enterprise_org)
    came, absent = (services.registration_create(actor=p, event=forum) for p in people)
    services.registration_check_in(actor=enterprise_user, event=forum, code=came.checkin_code)
    with pytest.raises(PermissionDenied):  # not over yet
        services.feedback_submit(actor=people[0], registration=came, rating=5)
    held(forum)
    services.event_finish(actor=enterprise_user, event=forum)
    assert Event.objects.get(pk=forum.pk).status == EventStatus.FINISHED
    feedback = services.feedback_submit(actor=people[0], registration=came, rating=4, comment="很有收获")
    assert feedback.rating == 4
    with pytest.raises(ValidationError, match="已提交过"):
        services.feedback_submit(actor=people[0], registration=came, rating=5)
    with pytest.raises(PermissionDenied):
        services.feedback_submit(actor=people[1], registration=absent, rating=1)
    with pytest.raises(ValidationError):
        services.feedback_submit(actor=people[0], registration=came, rating=9)


def test_cancelling_an_event_cancels_every_place_and_tells_the_people(forum, enterprise_org, enterprise_user):
    people = participants(4, enterprise_org)
    for p in people:
        services.registration_create(actor=p, event=forum)
    services.event_cancel(actor=enterprise_user, event=forum, reason="场地检修")
    assert not Registration.objects.filter(event=forum).exclude(status=RegistrationStatus.CANCELLED).exists()
    assert Notification.objects.filter(kind="events.cancelled").count() == 4
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=people[0], event=forum)


def test_no_sign_up_for_a_draft_or_past_event(operator, enterprise_org, building, enterprise_user):
    draft = make_event(operator, enterprise_org, building, status=EventStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=enterprise_user, event=draft)
    past = held(make_event(operator, enterprise_org, building))
    with pytest.raises(PermissionDenied):
        services.registration_create(actor=enterprise_user, event=past)
