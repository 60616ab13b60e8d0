"""Two app servers as a district runs them (docs/reliability.md M3; docs/adr/0016-shared-state-and-backups.md):
two gunicorn servers with the project's gunicorn configuration on two loopback addresses, one
PostgreSQL database (the test database of this run, its data committed), one Redis (a key prefix of
this test's own) and one file storage folder. What is written through one is seen through the other:
a KPI target at once (the shared cache), a published listing in search within seconds (the matching
index version), an uploaded file downloadable (the shared storage)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.test import Client
from ops_helpers import ROOT, database_url, free_port

from kechuang.insights.kpis import all_kpis
from kechuang.transfer.factories import ensure_fields, make_achievement
from kechuang.transfer.models import Attachment

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\nxref\n0 4\n0000000000 65535 f \n"
    b"0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\n"
    b"startxref\n164\n%%EOF\n"
)
ADDRESSES = ("127.0.0.2", "127.0.0.3")


class Server:
    def __init__(self, address: str, environment: dict[str, str], log: Path) -> None:
        self.address = address
        self.port = free_port(address)
        self.base = f"http://{address}:{self.port}"
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "kechuang.wsgi:application",
                "--config",
                "python:kechuang.gunicorn_conf",
                "--bind",
                f"{address}:{self.port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--timeout",
                "120",
            ],
            env=environment,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.address} stopped:\n{self.log.read_text(errors='replace')[-3000:]}"
                )
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.address} not ready:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Browser:
    """One signed-in person talking to one server (cookies and CSRF as a browser handles them)."""

    def __init__(self, server: Server, session_key: str) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.cookies.set("sessionid", session_key, domain=server.address)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.server.base + path, timeout=60, allow_redirects=False)

    def post_form(
        self, page: str, action: str, data: dict[str, str], files: dict | None = None
    ) -> requests.Response:
        """Open ``page`` (which holds the form and sets the CSRF cookie), then submit to ``action``."""
        opened = self.get(page)
        assert opened.status_code == 200, (page, opened.status_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', opened.text)
        assert token, f"no form on {page}"
        return self.http.post(
            self.server.base + action,
            data={**data, "csrfmiddlewaretoken": token.group(1)},
            files=files,
            headers={"Referer": self.server.base + page},
            timeout=60,
            allow_redirects=False,
        )


def session_of(user) -> str:
    """A server-side session for ``user`` in the shared database, as a sign-in would leave."""
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def servers(tmp_path, redis_cache_url, settings) -> Iterator[tuple[Server, Server]]:
    home = tmp_path / "home"
    (home / "media").mkdir(parents=True)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "S3_"))}
    environment.update(
        DJANGO_SETTINGS_MODULE="kechuang.settings.base",
        DATABASE_URL=database_url(),
        CACHE_URL=redis_cache_url,
        KECHUANG_HOME=str(home),
        MEDIA_ROOT=str(home / "media"),
        FILE_STORAGE="local",
        SECRET_KEY=settings.SECRET_KEY,  # one key for every app server (sessions, CSRF, messages)
        ALLOWED_HOSTS=",".join(ADDRESSES),
        MATCH_EMBEDDER="hashing",
        DEBUG="false",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    )
    started = [Server(address, environment, tmp_path / f"{address}.log") for address in ADDRESSES]
    try:
        deadline = time.monotonic() + 120
        for server in started:
            server.wait_ready(deadline)
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_write_through_one_app_server_is_seen_through_the_other(
    servers, operator, institute_user, institute_org, tmp_path
):
    first, second = servers
    ensure_fields()

    # 1. A KPI target saved through the first server shows on the second at once, although the second
    #    had just cached the KPI table.
    code = all_kpis()[0].code
    operator_first = Browser(first, session_of(operator))
    operator_second = Browser(second, session_of(operator))
    table = "/insights/operator/?year=2026"
    before = operator_second.get(table)
    assert before.status_code == 200 and "98,765" not in before.text
    saved = operator_first.post_form(
        f"/insights/kpi/{code}/target/?year=2026",
        f"/insights/kpi/{code}/target/",
        {"year": "2026", "this_year_target": "98765", "overall_target": "", "note": ""},
    )
    assert saved.status_code == 302, saved.text[:2000]
    assert "98,765" in operator_second.get(table).text

    # 2. A listing published through the first server is found by search on the second within seconds
    #    (the second notices the stored index version; it had built its index before).
    title = "星载量子陀螺仪惯性导航样机"
    achievement = make_achievement(
        institute_org,
        status="submitted",
        title=title,
        summary="星载量子陀螺仪用于卫星惯性导航，零偏稳定性优于千分之一度每小时。",
        keywords="量子陀螺仪 惯性导航",
    )
    search = "/transfer/search/?q=量子陀螺仪"
    assert achievement.code not in operator_second.get(search).text
    approved = operator_first.post_form(
        f"/transfer/achievements/{achievement.code}/",
        f"/transfer/achievements/{achievement.code}/review/",
        {"decision": "approve", "note": ""},
    )
    assert approved.status_code == 302
    published = time.monotonic()
    while achievement.code not in operator_second.get(search).text:
        assert time.monotonic() - published < 10, "the second server did not find the published listing"
        time.sleep(0.2)
    print(f"\nthe second server found the listing {time.monotonic() - published:.2f}s after it was published")

    # 3. A file uploaded through the first server is downloaded through the second.
    owner_first = Browser(first, session_of(institute_user))
    owner_second = Browser(second, session_of(institute_user))
    uploaded = owner_first.post_form(
        f"/transfer/achievements/{achievement.code}/",
        f"/transfer/achievements/{achievement.code}/attachments/",
        {"access": "parties"},
        files={"file": ("样机测试报告.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 302
    attachment = Attachment.objects.get(achievement=achievement)
    downloaded = owner_second.get(f"/transfer/attachments/{attachment.token}/")
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
