"""The events API end to end: an organizer proposes an event, an operator publishes it, a participant
signs up and sees their code, the door checks it in, the participant rates the event."""

from __future__ import annotations

import pytest
from events_helpers import held, second_operator, soon
from rest_framework.test import APIClient

from kechuang.events.models import Event, Registration

pytestmark = pytest.mark.django_db


def test_from_proposal_to_feedback_through_the_api(
    enterprise_user, enterprise_org, operator, building, series
):
    organizer = APIClient()
    organizer.force_authenticate(enterprise_user)
    body = {
        "organizer": enterprise_org.pk,
        "title": "“邻+科学院”：芯片是怎样炼成的",
        "kind": "outreach",
        "summary": "面向社区居民的芯片科普。",
        "series": series["“邻+科学院”"].pk,
        "venue_kind": "amenity",
        "amenity": "我嘉·邻里中心",
        "starts_at": soon().isoformat(),
        "ends_at": soon(hours=2).isoformat(),
        "capacity": 30,
        "height": "literacy",
        "speakers": [{"guest_name": "李研究员", "topic": "从沙子到芯片"}],
    }
    created = organizer.post("/api/v1/events/", body, format="json")
    assert created.status_code == 201, created.json()
    code = created.json()["code"]
    assert created.json()["venue"] == "我嘉·邻里中心" and created.json()["speakers"][0]["name"] == "李研究员"
    assert organizer.post(f"/api/v1/events/{code}/submit/").status_code == 200
    reviewer = APIClient()
    reviewer.force_authenticate(second_operator(operator))
    assert reviewer.post(f"/api/v1/events/{code}/review/", {"approve": True}, format="json").json()[
        "status"
    ] == ("published")
    assert code in [e["code"] for e in APIClient().get("/api/v1/events/").json()["results"]]
    participant = APIClient()
    participant.force_authenticate(operator)
    signed = participant.post(f"/api/v1/events/{code}/register/")
    assert signed.status_code == 201 and signed.json()["status"] == "confirmed"
    ticket = signed.json()["checkin_code"]
    assert len(ticket) == 8
    door = organizer.post(f"/api/v1/events/{code}/checkin/", {"code": ticket}, format="json")
    assert door.status_code == 200 and door.json()["checked_in_at"]
    again = organizer.post(f"/api/v1/events/{code}/checkin/", {"code": ticket}, format="json")
    assert again.status_code == 409
    held(Event.objects.get(code=code))
    registration = Registration.objects.get(event__code=code)
    rated = participant.post(
        f"/api/v1/events/registrations/{registration.code}/feedback/",
        {"rating": 5, "comment": "孩子很喜欢"},
        format="json",
    )
    assert rated.status_code == 201 and rated.json()["rating"] == 5
