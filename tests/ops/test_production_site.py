"""docs/reliability.md M1 and E1: under ``kechuang.settings.production`` (DEBUG off, manifest static
storage, HTTPS behind a proxy), after ``collectstatic``, ``kechuang serve`` answers every main page of
every role with 200, and every static file those pages ask for (and the fonts and source maps those
files ask for) with 200. (``check --deploy`` under the production settings: tests/security/test_deploy_check.py.)

The site is real: gunicorn in a subprocess, a real login through the form with CSRF over "https" (the
proxy's X-Forwarded-Proto), the production static storage on disk (tests/ops/conftest.py).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ops_helpers import Client, Response, file_references, static_references
from ops_site import PASSWORD, ProductionSite

from kechuang.directory.demo.accounts import DEMO_ACCOUNTS

pytestmark = pytest.mark.slow

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "kechuang"

# Each module's main list, board and dashboard pages that the roles' menus (the load harness's list)
# do not link, for the roles whose work they are.
EVERY_SIGNED_IN_ROLE = [
    "/notifications/",
    "/accounts/profile/",
    "/challenges/work/",
    "/transfer/contracts/",
    "/vouchers/schemes/",
    "/vouchers/services/",
    "/vouchers/providers/",
    "/api/v1/docs/",
]
SERVICE_DESK_STAFF = ["/service/enterprises/", "/service/visits/", "/service/figures/", "/service/calendar/"]
MODULE_PAGES: dict[str, list[str]] = {
    "operator": [
        *SERVICE_DESK_STAFF,
        "/service/workload/",
        "/vouchers/queue/",
        "/vouchers/reports/",
        "/vouchers/applications/",
        "/vouchers/orders/",
        "/vouchers/claims/",
        "/vouchers/batches/",
        "/spaces/viewings/",
        "/insights/briefing/",
        "/admin/",
    ],
    "leader": [
        *SERVICE_DESK_STAFF,
        "/service/workload/",
        "/vouchers/queue/",
        "/vouchers/reports/",
        "/vouchers/batches/",
        "/insights/operator/",
    ],
    "commissioner": SERVICE_DESK_STAFF,
    "enterprise": [
        "/service/visits/",
        "/vouchers/applications/",
        "/vouchers/mine/",
        "/vouchers/orders/",
        "/vouchers/claims/",
        "/spaces/viewings/",
    ],
    "provider": ["/vouchers/orders/", "/vouchers/claims/"],
    "institute": ["/spaces/viewings/"],
    "expert": [],
    "sysadmin": ["/admin/"],
    "auditor": ["/admin/", "/vouchers/reports/", "/vouchers/batches/"],
}
ANONYMOUS_PAGES = ["/accounts/login/"]
USERNAMES = [account.username for account in DEMO_ACCOUNTS]


def _pages(site: ProductionSite, username: str) -> list[str]:
    if not username:
        return list(dict.fromkeys([*site.menu_pages[""], *ANONYMOUS_PAGES]))
    extra = [*EVERY_SIGNED_IN_ROLE, *MODULE_PAGES[site.roles[username]]]
    return list(dict.fromkeys([*site.menu_pages[username], *extra]))


@pytest.fixture(scope="module")
def rendered(production_site: ProductionSite) -> dict[str, dict[str, Response]]:
    """Every main page of every role (and of an anonymous visitor), fetched once, four at a time."""
    clients = {"": Client(production_site.server.host)}
    for username in USERNAMES:
        clients[username] = Client(production_site.server.host)
        clients[username].login(username, PASSWORD)
    jobs = [(username, path) for username in clients for path in _pages(production_site, username)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda job: clients[job[0]].get(job[1]), jobs))
    pages: dict[str, dict[str, Response]] = {username: {} for username in clients}
    for (username, path), response in zip(jobs, responses, strict=True):
        pages[username][path] = response
    return pages


@pytest.mark.parametrize("username", ["", *USERNAMES], ids=["anonymous", *USERNAMES])
def test_every_main_page_of_the_role_answers_200_under_the_production_settings(rendered, username):
    pages = rendered[username]
    assert len(pages) >= 5
    failed = {path: r.status for path, r in pages.items() if r.status != 200}
    assert not failed, f"{username or 'anonymous'}: {failed}"
    for path, response in pages.items():
        assert response.header("Content-Type").startswith("text/html"), path
        assert "</html>" in response.text, path
        assert static_references(response.text), f"{path} links no static file"


def test_every_role_is_signed_in_as_itself(rendered, production_site):
    """The pages above are the role's own (a lost session would show the anonymous home instead)."""
    for username in USERNAMES:
        home = rendered[username]["/"].text
        assert "/accounts/logout/" in home, username
    assert "/accounts/logout/" not in rendered[""]["/"].text


@pytest.fixture(scope="module")
def static_files(rendered, production_site) -> dict[str, Response]:
    """Every static file the pages ask for, then every file those ask for (fonts, maps), with 200."""
    client = Client(production_site.server.host)
    wanted = {ref for pages in rendered.values() for r in pages.values() for ref in static_references(r.text)}
    fetched: dict[str, Response] = {}
    while wanted:
        with ThreadPoolExecutor(max_workers=4) as pool:
            batch = sorted(wanted)
            responses = pool.map(lambda p: client.get(p, headers={"Accept-Encoding": "identity"}), batch)
            fetched.update(zip(batch, responses, strict=True))
        wanted = set()
        for path, response in fetched.items():
            if response.status == 200 and path.endswith((".css", ".js")):
                wanted |= file_references(path, response.text) - fetched.keys()
    return fetched


def test_every_static_file_the_pages_ask_for_answers_200_from_the_manifest(static_files):
    failed = {path: r.status for path, r in static_files.items() if r.status != 200}
    assert not failed, failed
    for path, response in static_files.items():
        # hashed names only (WHITENOISE_KEEP_ONLY_HASHED_FILES), cached for good
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", path), f"{path} is not a hashed name"
        assert "immutable" in response.header("Cache-Control"), path
        assert response.body, path


def test_the_vendored_fonts_and_source_maps_are_served(static_files):
    names = {re.sub(r"\.[0-9a-f]{12}(?=\.\w+$)", "", path) for path in static_files}
    assert {
        "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
        "/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff",
        "/static/vendor/bootstrap/bootstrap.min.css.map",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js.map",
        "/static/vendor/echarts/echarts.min.js",
        "/static/vendor/tom-select/tom-select.complete.min.js.map",
        "/static/vendor/tom-select/tom-select.bootstrap5.min.css.map",
    } <= names


def test_the_apps_own_scripts_and_styles_are_used_by_main_pages_and_served(static_files):
    """Charts, maps and each module's styles: every .js and .css the apps ship reaches a main page."""
    names = {re.sub(r"\.[0-9a-f]{12}(?=\.\w+$)", "", path) for path in static_files}
    shipped = {
        "/static/" + path.relative_to(path.parents[1]).as_posix()
        for path in PACKAGE.glob("*/static/*/*")
        if path.suffix in (".js", ".css") and "vendor" not in path.parts
    }
    assert shipped, "no app static files found"
    assert shipped <= names, f"not on any main page: {sorted(shipped - names)}"


def test_compressed_copies_are_served_to_browsers_that_accept_them(production_site, static_files):
    client = Client(production_site.server.host)
    script = next(p for p in static_files if "/vendor/echarts/" in p)
    response = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.header("Content-Encoding") == "gzip"
    assert len(response.body) < len(static_files[script].body) / 2


def test_an_unknown_page_shows_the_generic_404_page_with_its_reference_id(production_site):
    response = Client(production_site.server.host).get("/no-such-page/")
    assert response.status == 404
    request_id = response.header("X-Request-ID")
    assert request_id and request_id in response.text
    assert "Traceback" not in response.text and "DEBUG" not in response.text
    assert static_references(response.text)  # drawn with the site's style sheets, through the manifest


def test_plain_http_is_sent_to_https_but_the_health_probe_is_not(production_site):
    client = Client(production_site.server.host, https=False)
    page = client.get("/accounts/login/")
    assert page.status == 301
    assert page.header("Location").startswith("https://")
    assert client.get("/healthz").status == 200
    secure = Client(production_site.server.host).get("/accounts/login/")
    assert "max-age=31536000" in secure.header("Strict-Transport-Security")
    cookies = secure.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies


def test_a_form_sent_without_its_csrf_token_gets_the_sites_own_page_with_a_reference_id(production_site):
    client = Client(production_site.server.host)
    response = client.post_form("/accounts/login/", {"username": "operator", "password": PASSWORD})
    assert response.status == 403
    assert "页面已过期" in response.text
    request_id = response.header("X-Request-ID")
    assert request_id and f"<code>{request_id}</code>" in response.text
    assert "CSRF verification failed" not in response.text and "sessionid" not in client.cookies
