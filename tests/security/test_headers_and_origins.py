"""docs/reliability.md D2 and E2: every page carries the security headers, and no page loads anything from
another origin (no CDN, font or analytics host): its HTML and its style sheets are parsed."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from kechuang.testing.factories import InstituteFactory, OrganizationFactory, PersonFactory

# What the headers and the pages' references prove does not depend on the database (the middleware sets the
# headers; the templates and static files name the origins): SQLite pass only (docs/adr/0017-test-suite-speed.md)
pytestmark = [pytest.mark.django_db, pytest.mark.any_database]

URL_ATTRIBUTES = {
    "src",
    "href",
    "action",
    "formaction",
    "srcset",
    "data",
    "poster",
    "background",
    "manifest",
    "xlink:href",
    "ping",
}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")\s]+)|@import\s+['\"]([^'\"]+)")
SAME_ORIGIN_HOSTS = {"", "testserver"}


class PageScan(HTMLParser):
    """Collects every URL a page refers to, inline scripts and inline event handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str, dict]] = []
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.stylesheets: list[str] = []
        self._script: dict | None = None
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name in URL_ATTRIBUTES:
                for part in value.split(",") if name == "srcset" else [value]:
                    self.urls.append((tag, name, part.strip().split(" ")[0], values))
            elif name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            elif name == "style":
                self.urls.extend(
                    (tag, "style", m.group(1) or m.group(2), values) for m in CSS_URL.finditer(value)
                )
            elif tag == "meta" and name == "content" and values.get("http-equiv", "").lower() == "refresh":
                self.urls.append((tag, "refresh", value.split("url=")[-1], values))
        if tag == "link" and "stylesheet" in values.get("rel", ""):
            self.stylesheets.append(values.get("href", ""))
        if tag == "script":
            self._script = values
        if tag == "style":
            self._style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None
        if tag == "style":
            self._style = False

    def handle_data(self, data: str) -> None:
        executable = self._script is not None and self._script.get("type", "") not in (
            "application/json",
            "application/ld+json",
        )
        if executable and not self._script.get("src") and data.strip():
            self.inline_scripts.append(data.strip()[:80])
        if self._style:
            self.urls.extend(("style", "css", m.group(1) or m.group(2), {}) for m in CSS_URL.finditer(data))


def external(url: str) -> bool:
    url = url.strip()
    if url.lower().startswith("javascript:"):
        return True
    parts = urlsplit(url)
    if parts.scheme in ("data", "mailto", "tel", "blob") or url.startswith("#"):
        return False
    return parts.netloc not in SAME_ORIGIN_HOSTS


def assert_security_headers(response, url: str) -> None:
    csp = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, url
    assert "frame-ancestors 'none'" in csp, url
    assert "http:" not in csp and "https:" not in csp and "*" not in csp, url
    assert response.get("X-Frame-Options") == "DENY", url
    assert response.get("X-Content-Type-Options") == "nosniff", url
    assert response.get("Referrer-Policy") in (
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    ), url
    assert "no-store" in response.get("Cache-Control", ""), url


@pytest.fixture
def rich_directory(objects, operator):
    """Pages with data in them, including text that looks like links."""
    OrganizationFactory(
        name="外链测试企业", description="见 https://cdn.example.com/a.js 与 //evil.example/x"
    )
    PersonFactory(organization=objects["institute"], bio="<script src='https://evil.example/x.js'></script>")
    InstituteFactory(name="光机所")
    return objects


def crawl(client, url_patterns, fill) -> dict[str, object]:
    """GET every URL pattern (public fill) and return the answers."""
    return {fill(p, public=True): client.get(fill(p, public=True)) for p in url_patterns}


def check_pages(client, answers) -> int:
    html_pages = 0
    problems: list[str] = []
    sheets: set[str] = set()
    for url, response in answers.items():
        if url.startswith("/static/"):
            continue
        assert_security_headers(response, url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html_pages += 1
        scan = PageScan()
        scan.feed(response.content.decode())
        for tag, attribute, value, attrs in scan.urls:
            if not external(value):
                continue
            rel = attrs.get("rel", "")
            if tag == "a" and attribute == "href" and "noopener" in rel and "noreferrer" in rel:
                continue  # a link the visitor may follow, not a load; it sends no referrer
            problems.append(f"{url}: <{tag} {attribute}={value}>")
        problems.extend(f"{url}: inline script {s!r}" for s in scan.inline_scripts)
        problems.extend(f"{url}: inline handler {h}" for h in scan.handlers)
        sheets.update(scan.stylesheets)
    for sheet in sorted(sheets):
        if external(sheet):
            continue
        response = client.get(sheet)
        assert response.status_code == 200, sheet
        text = (
            b"".join(response.streaming_content).decode(errors="replace")
            if response.streaming
            else response.content.decode(errors="replace")
        )
        for match in CSS_URL.finditer(text):
            if external(match.group(1) or match.group(2)):
                problems.append(f"{sheet}: {match.group(0)}")
    assert not problems, "\n".join(problems)
    return html_pages


@pytest.mark.slow
def test_anonymous_pages_have_security_headers_and_no_external_origin(
    client, rich_directory, url_patterns, fill
):
    pages = check_pages(client, crawl(client, url_patterns, fill))
    assert pages >= 8


@pytest.mark.slow
def test_operator_pages_have_security_headers_and_no_external_origin(
    client, rich_directory, operator, url_patterns, fill
):
    client.force_login(operator)
    pages = check_pages(client, crawl(client, url_patterns, fill))
    assert pages >= 15


@pytest.mark.slow
def test_enterprise_pages_have_security_headers_and_no_external_origin(
    client, rich_directory, enterprise_user, url_patterns, fill
):
    client.force_login(enterprise_user)
    assert check_pages(client, crawl(client, url_patterns, fill)) >= 10


@pytest.mark.slow
def test_api_answers_and_errors_carry_the_headers_too(client):
    for url in ("/api/v1/organizations/", "/api/v1/people/", "/api/v1/schema/", "/healthz", "/no-such-page/"):
        assert_security_headers(client.get(url), url)


def test_api_docs_load_only_same_origin_assets_and_no_inline_script(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    scan = PageScan()
    scan.feed(response.content.decode())
    scripts = [value for tag, attribute, value, _ in scan.urls if tag == "script"]
    assert scripts and not any(external(s) for s in scripts)
    assert not scan.inline_scripts
    assert not [u for _t, _a, u, _ in scan.urls if external(u)]
    for src in scripts:
        asset = client.get(src)
        assert asset.status_code == 200, src
        assert "javascript" in asset["Content-Type"], src


def test_static_files_are_served_without_no_store_but_with_nosniff(client):
    response = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response.get("X-Content-Type-Options") == "nosniff"


def test_the_page_scan_itself_flags_external_loads_inline_scripts_and_handlers():
    scan = PageScan()
    scan.feed(
        '<link rel="stylesheet" href="https://cdn.example.com/x.css"><script>alert(1)</script>'
        '<img src="//img.example.com/a.png" onerror="x()"><a href="/ok">ok</a>'
        '<div style="background:url(https://fonts.example.com/f.woff)"></div>'
        '<script type="application/json">{"a": 1}</script>'
    )
    flagged = [u for _t, _a, u, _ in scan.urls if external(u)]
    assert flagged == [
        "https://cdn.example.com/x.css",
        "//img.example.com/a.png",
        "https://fonts.example.com/f.woff",
    ]
    assert scan.inline_scripts == ["alert(1)"]
    assert scan.handlers == ["<img onerror>"]
