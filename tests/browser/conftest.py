"""Browser test harness: Django's live server, Playwright on Debian's chromium, screenshots, console errors.

- ``page``: a fresh browser context (zh-CN, 1366×900) against the live server. Every console error,
  uncaught exception, failed request and request to any other origin is collected; the test fails if
  any is left at the end (CSP violations show up as console errors, so they fail too, docs/reliability.md D2).
- ``shot(step)``: saves ``test-artifacts/screenshots/<test-name>-<step>.png`` (full page). A final
  screenshot is always saved, and ``<test-name>-failure.png`` when the test fails.
- ``login(page, username, password)``: signs in through the login form.
- ``district_data``: the district profile of ``settings.DISTRICT`` loaded into the database.

No browser is downloaded: chromium is Debian's package (``apt-get install chromium fonts-noto-cjk``).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the same thread
# (fixtures creating data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KECHUANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # D2: no name resolves but the test server's, so a reference to another origin fails at once (and
    # is reported by the page fixture) instead of waiting on the network
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "Kechuang-Test-2026"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test; without chromium they are skipped, saying why."""
    here = Path(__file__).parent
    missing = not Path(CHROMIUM).exists()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(
                    pytest.mark.skip(reason=f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk")
                )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")[:120]


@pytest.fixture(scope="session")
def cjk_font() -> None:
    """Chinese pages screenshot as tofu boxes without a CJK font; say so instead."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return
    fonts = subprocess.run([fc_list], capture_output=True, text=True, check=False).stdout
    if not re.search(r"Noto Sans CJK|Source Han Sans|WenQuanYi", fonts):
        pytest.fail("no CJK font: apt-get install fonts-noto-cjk")


@pytest.fixture(scope="session")
def browser(cjk_font: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class BrowserProblems:
    """Console errors, page errors, failed and foreign requests seen during one test."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        """Tolerate an expected problem (e.g. the console line of a page that answers 403 on purpose)."""
        self.allowed.append(re.compile(pattern))

    def add(self, text: str) -> None:
        self.items.append(text)

    def remaining(self) -> list[str]:
        return [p for p in self.items if not any(a.search(p) for a in self.allowed)]


@pytest.fixture
def browser_problems(live_server: Any) -> BrowserProblems:
    return BrowserProblems(live_server.url)


@pytest.fixture
def page(
    browser: Any, live_server: Any, request: pytest.FixtureRequest, browser_problems: BrowserProblems
) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        device_scale_factor=1,
    )
    # Actions, navigations and web-first assertions wait up to 20 s: on a loaded 2-core machine a search
    # typed into an htmx filter (400 ms debounce, then the request) may take more than expect()'s default
    # 5 s, and a click's navigation to a page that builds the matching index more than 10 s (it happened
    # with the suite's two passes beside other work). A passing test waits no longer for it.
    context._kc_base_url = live_server.url  # login(): the session cookie's site
    context.set_default_timeout(20_000)
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    own = urlsplit(live_server.url)

    def guard(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "blob") and (parts.hostname, parts.port) != (own.hostname, own.port):
            browser_problems.add(f"external request: {request.url}")  # D2: never another origin

    # Every request is watched, not routed: routing a request through Playwright stops it in this process
    # and turns off the browser's cache, so each page load fetched every script, style sheet and font
    # again through the test server (docs/adr/0017-test-suite-speed.md). Another host cannot be reached
    # anyway: chromium resolves no name but the test server's (CHROMIUM_ARGS).
    context.on("request", guard)
    page = context.new_page()
    page.on(
        "console",
        lambda m: (
            browser_problems.add(f"console.{m.type}: {m.text} @ {m.location.get('url', '')}")
            if m.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda e: browser_problems.add(f"page error: {e}"))
    # ERR_ABORTED is the browser dropping what it no longer needs (a navigation started); not a fault.
    page.on(
        "requestfailed",
        lambda r: (
            browser_problems.add(f"request failed: {r.url} {r.failure}")
            if "ERR_ABORTED" not in str(r.failure) and "ERR_FAILED" not in str(r.failure)
            else None
        ),
    )
    yield page

    name = _safe(request.node.name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))
    with contextlib.suppress(Exception):  # a screenshot must not hide the test's own result
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{'failure' if failed else 'final'}.png"), full_page=True
        )
    context.close()
    if not failed:
        problems = browser_problems.remaining()
        assert not problems, "browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot("step")`` saves a full-page screenshot named after the test and the step."""

    def take(step: str, *, full_page: bool = True, locator: Any = None) -> Path:
        """``locator`` narrows the picture to one element (e.g. the map, to look at its labels)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe(request.node.name)}-{_safe(step)}.png"
        page.wait_for_load_state("networkidle")
        if locator is not None:
            locator.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


def login(
    page: Any, username: str, password: str = PASSWORD, *, next_path: str = "/", form: bool = False
) -> None:
    """Sign in and wait until the page at ``next_path`` with the user menu has loaded.

    ``form=True`` (and any other password than the accounts' own, or a browser context the ``page``
    fixture did not make) signs in through the login form, as a person would. Otherwise the session is made on the server, as Django's test client's ``force_login``
    makes it (the same ``user_logged_in`` signal and audit record), and its cookie handed to the browser:
    one page load instead of three, for the tests that are about what comes after signing in
    (docs/adr/0017-test-suite-speed.md)."""
    site = getattr(page.context, "_kc_base_url", None)  # set by the page fixture; a test's own context: form
    if form or password != PASSWORD or site is None:
        page.goto(f"/accounts/login/?next={next_path}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.get_by_role("button", name=re.compile("登录|Sign in|Log in")).last.click()
    else:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client

        user = get_user_model().objects.get(username=username)
        assert user.is_active and user.check_password(password), f"{username} cannot sign in with {password}"
        client = Client()
        client.force_login(user, backend="kechuang.accounts.backends.AccountBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site}])
        page.goto(next_path)
    page.wait_for_selector("[data-testid=user-menu]")
    # The menu's button is parsed before the scripts at the end of the body: a click before the page's
    # "load" would find no dropdown handler yet and open nothing (seen on a loaded CI machine).
    page.wait_for_load_state("load")


@pytest.fixture(name="login")
def login_fixture() -> Callable[..., None]:
    return login


# --- district data -------------------------------------------------------------------------------


@pytest.fixture
def district_data(transactional_db: None, settings: Any) -> dict[str, Any]:
    """Loads the configured district profile (blocks, parks, lines, institutes, fields) into the database."""
    from kechuang.directory.profiles.apply import apply_profile
    from kechuang.directory.selectors import _load_profile

    _load_profile.cache_clear()
    return {"name": settings.DISTRICT, "counts": apply_profile(settings.DISTRICT)}
