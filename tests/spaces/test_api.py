"""The spaces API: list, matches with reasons, viewing, reserve (clean conflict), lease, release, vacancy."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from spaces_helpers import days

from kechuang.spaces.models import Lease, Reservation

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_enterprise_files_a_request_gets_matches_and_books_a_viewing(enterprise_user, units):
    client = api(enterprise_user)
    response = client.post(
        "/api/v1/space-requests/",
        {
            "title": "洁净厂房",
            "space_type": "cleanroom",
            "area_min_m2": "150",
            "area_max_m2": "250",
            "budget_fen_per_m2_day": 300,
            "fields": ["LIF01"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    code = response.json()["code"]
    matches = client.get(f"/api/v1/space-requests/{code}/matches/").json()
    assert matches[0]["unit"]["code"] == "btit-fab-101"
    assert "园区主题相符：生物芯片" in matches[0]["reasons"]
    booked = client.post(
        f"/api/v1/space-requests/{code}/viewings/",
        {"unit": "btit-fab-101", "scheduled_at": "2099-01-01T10:00:00+08:00"},
        format="json",
    )
    assert booked.status_code == 400  # more than 180 days ahead
    import datetime as dt

    from django.utils import timezone

    when = (timezone.now() + dt.timedelta(days=2)).isoformat()
    booked = client.post(
        f"/api/v1/space-requests/{code}/viewings/",
        {"unit": "btit-fab-101", "scheduled_at": when},
        format="json",
    )
    assert booked.status_code == 201 and booked.json()["status"] == "requested"


def test_operator_reserves_leases_and_releases_and_a_conflict_is_a_clean_400(
    operator, units, enterprise_org, other_enterprise_org
):
    client = api(operator)
    url = "/api/v1/space-units/btit-fab-101/"
    reserved = client.post(
        url + "reserve/",
        {"organization": enterprise_org.pk, "start_date": str(days(1)), "end_date": str(days(365))},
        format="json",
    )
    assert reserved.status_code == 201
    clash = client.post(
        url + "reserve/",
        {"organization": other_enterprise_org.pk, "start_date": str(days(100)), "end_date": str(days(200))},
        format="json",
    )
    assert clash.status_code == 400 and clash.json() == {"non_field_errors": ["该房源在此期间已被预订"]}
    lease = client.post(
        url + "lease/",
        {
            "reservation": reserved.json()["code"],
            "start_date": str(days(1)),
            "end_date": str(days(365)),
            "rent_fen_per_m2_day": 260,
        },
        format="json",
    )
    assert lease.status_code == 201 and lease.json()["rent_fen_per_m2_day"] == 260
    assert Reservation.objects.get().status == "converted"
    released = client.post(
        url + "release/", {"lease": lease.json()["code"], "free_from": str(days(30))}, format="json"
    )
    assert released.status_code == 200 and released.json()["end_date"] == str(days(29))
    assert Lease.objects.get().status == "ended"
    vacancy = client.get("/api/v1/space-units/vacancy/").json()
    assert vacancy["units"] == 3 and vacancy["leases_this_year"] == 1


def test_operator_creates_and_updates_a_unit_and_enterprise_cannot(operator, enterprise_user, geo):
    body = {
        "building": "btit-fab",
        "unit_code": "201",
        "floor": 2,
        "area_m2": "350.5",
        "space_type": "lab",
        "rent_fen_per_m2_day": 330,
    }
    assert api(enterprise_user).post("/api/v1/space-units/", body, format="json").status_code == 403
    created = api(operator).post("/api/v1/space-units/", body, format="json")
    assert created.status_code == 201 and created.json()["code"] == "btit-fab-201"
    again = api(operator).post("/api/v1/space-units/", body, format="json")
    assert again.status_code == 400
    patched = api(operator).patch(
        "/api/v1/space-units/btit-fab-201/", {"rent_fen_per_m2_day": 310}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["rent_fen_per_m2_day"] == 310


def test_unit_list_filters(enterprise_user, units):
    client = api(enterprise_user)
    assert client.get("/api/v1/space-units/?space_type=office").json()["count"] == 1
    assert client.get("/api/v1/space-units/?park=btit-park").json()["count"] == 2
    assert client.get("/api/v1/space-units/?area_min=300").json()["count"] == 1
    assert client.get("/api/v1/space-units/?park=nope").status_code == 400
