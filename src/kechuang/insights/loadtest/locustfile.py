"""Locust journeys for the load harness (run by ``manage.py load_test``; loopback only).

The command passes, in ``KC_LOAD_PLAN`` (a JSON file path), one entry per role: the session cookie of
a user of that role and the main pages that role walks. Each simulated user takes a role (round
robin) and walks its pages; one "trivial" user fetches /healthz in the same run, so every page's
speed can be compared with the server's floor. With ``--users N`` there are N - 1 role users: give at
least one per role (8 for the seven roles).
"""

from __future__ import annotations

import itertools
import json
import os
from urllib.parse import urlsplit

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["KC_LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
_roles = itertools.cycle(PLAN["roles"])
_HOST = urlsplit(PLAN["host"]).hostname
if _HOST not in ("127.0.0.1", "localhost", "::1"):  # never anything but loopback
    raise SystemExit("load test host must be loopback")


class RoleUser(HttpUser):
    weight = 4
    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.role = next(_roles)
        self.client.cookies.set(PLAN["cookie_name"], self.role["session"], domain=_HOST)
        self.pages = itertools.cycle(self.role["pages"])

    @task
    def walk(self) -> None:
        path = next(self.pages)
        with self.client.get(
            path, name=f"{self.role['role']} {path}", catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class TrivialUser(HttpUser):
    fixed_count = 1  # always exactly one, however few users the run has, so every run has its floor
    wait_time = between(0.05, 0.2)

    @task
    def healthz(self) -> None:
        self.client.get("/healthz", name="trivial /healthz")
