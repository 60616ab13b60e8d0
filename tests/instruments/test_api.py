"""The instruments API: catalogue, week slots, booking with the acting organization, owner actions."""

from __future__ import annotations

import datetime as dt

import pytest
from instruments_helpers import next_weekday_at
from rest_framework.test import APIClient

from kechuang.instruments.choices import BookingStatus
from kechuang.instruments.models import Booking

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_catalogue_searches_and_filters(instrument, owner_approves, enterprise_user):
    client = client_for(enterprise_user)
    codes = {row["code"] for row in client.get("/api/v1/instruments/").json()["results"]}
    assert codes == {instrument.code, owner_approves.code}
    found = client.get("/api/v1/instruments/", {"q": "探针台"}).json()["results"]
    assert [row["code"] for row in found] == [owner_approves.code]
    assert client.get("/api/v1/instruments/", {"category": "01"}).json()["count"] == 2
    assert client.get("/api/v1/instruments/", {"category": "05"}).json()["count"] == 0
    assert APIClient().get("/api/v1/instruments/").status_code in (401, 403)


def test_book_a_free_slot_and_see_it_taken(instrument, enterprise_user, enterprise_org):
    client = client_for(enterprise_user)
    start = next_weekday_at(10)
    week = start.date() - dt.timedelta(days=start.date().weekday())
    slots = client.get(f"/api/v1/instruments/{instrument.code}/slots/", {"week": week.isoformat()}).json()
    assert any(s["state"] == "free" for s in slots)
    answer = client.post(
        f"/api/v1/instruments/{instrument.code}/book/",
        {
            "start_at": start.isoformat(),
            "end_at": (start + dt.timedelta(hours=1)).isoformat(),
            "purpose": "形貌表征",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["status"] == BookingStatus.CONFIRMED
    again = client.post(
        f"/api/v1/instruments/{instrument.code}/book/",
        {"start_at": start.isoformat(), "end_at": (start + dt.timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert again.status_code == 400 and "该时段已被预约" in str(again.json())
    slots = client.get(f"/api/v1/instruments/{instrument.code}/slots/", {"week": week.isoformat()}).json()
    assert {s["state"] for s in slots if s["start"].startswith(start.date().isoformat())} >= {"booked"}


def test_owner_actions_and_idor(
    owner_approves, owner_user, enterprise_user, enterprise_org, other_enterprise_user
):
    start = next_weekday_at(9)
    booking = Booking.objects.create(
        code="YY-API-1",
        instrument=owner_approves,
        organization=enterprise_org,
        user=enterprise_user,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        user_class="district",
        rate_fen=40_000,
    )
    assert (
        client_for(other_enterprise_user).get(f"/api/v1/instrument-bookings/{booking.code}/").status_code
        == 404
    )
    assert (
        client_for(other_enterprise_user)
        .post(f"/api/v1/instrument-bookings/{booking.code}/approve/")
        .status_code
        == 404
    )
    assert (
        client_for(enterprise_user).post(f"/api/v1/instrument-bookings/{booking.code}/approve/").status_code
        == 403
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.REQUESTED
    answer = client_for(owner_user).post(
        f"/api/v1/instrument-bookings/{booking.code}/approve/", {"note": "同意"}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == BookingStatus.CONFIRMED
    listed = client_for(owner_user).get("/api/v1/instrument-bookings/").json()["results"]
    assert [row["code"] for row in listed] == [booking.code]


def test_the_sample_flow_through_the_api(instrument, owner_user, enterprise_user, other_enterprise_user):
    answer = client_for(enterprise_user).post(
        f"/api/v1/instruments/{instrument.code}/samples/",
        {"sample_count": 2, "sample_description": "硅片截面样品 2 片", "requirements": "SEM 形貌"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    code = answer.json()["code"]
    assert client_for(other_enterprise_user).get(f"/api/v1/instrument-samples/{code}/").status_code == 404
    assert client_for(enterprise_user).post(f"/api/v1/instrument-samples/{code}/accept/").status_code == 403
    owner = client_for(owner_user)
    assert owner.post(f"/api/v1/instrument-samples/{code}/accept/").json()["status"] == "accepted"
    assert owner.post(f"/api/v1/instrument-samples/{code}/receive/").json()["status"] == "received"
    assert client_for(enterprise_user).post(f"/api/v1/instrument-samples/{code}/confirm/").status_code == 400
