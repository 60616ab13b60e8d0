"""The browser harness itself: a page that reaches for another origin is reported (D2, no CDN)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reference_to_another_origin_is_reported_and_goes_nowhere(page, browser_problems):
    page.goto("about:blank")  # no Content-Security-Policy here (every page of ours blocks other origins too)
    page.set_content(
        '<img src="https://cdn.example.com/logo.png"><script src="https://8.8.8.8/x.js"></script>'
    )
    page.wait_for_load_state("load")
    external = [p for p in browser_problems.items if p.startswith("external request:")]
    assert sorted(external) == [
        "external request: https://8.8.8.8/x.js",
        "external request: https://cdn.example.com/logo.png",
    ]
    # neither a name nor an address resolves but the test server's: both fail at once, off the network
    for target in ("cdn.example.com/logo.png", "8.8.8.8/x.js"):
        assert f"request failed: https://{target} net::ERR_NAME_NOT_RESOLVED" in browser_problems.items
    browser_problems.allow(r"example\.com|8\.8\.8\.8")
