"""Home panels through core.registry (ADR 0019): typed sections, in order, and a failing provider left out
once for all modules."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from kechuang.core import registry
from kechuang.core.registry import HomeAlert, HomePanel, HomeSection

pytestmark = pytest.mark.django_db


@pytest.fixture
def extra_providers():
    added = []

    def add(provider, **kwargs):
        registry.register_home_panel(provider, **kwargs)
        added.append(provider)

    yield add
    registry._home_providers[:] = [e for e in registry._home_providers if e.provider not in added]


def test_a_failing_provider_is_logged_and_the_page_still_shows_the_others(
    client, operator, extra_providers, caplog
):
    def broken(request, role):
        raise RuntimeError("boom")

    def working(request, role):
        return HomeSection(
            panels=[
                HomePanel(
                    title="测试面板",
                    template="core/partials/panel_recent_organizations.html",
                    context={"organizations": []},
                    testid="t-panel",
                )
            ],
            alerts=[HomeAlert(text="测试提醒", testid="t-alert")],
        )

    extra_providers(broken, order=1)
    extra_providers(working, order=2)
    client.force_login(operator)
    with caplog.at_level(logging.ERROR, logger="kechuang.core.registry"):
        page = client.get(reverse("core:home"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="t-panel"' in text and "测试提醒" in text
    assert 'data-testid="recent-organizations"' in text  # the directory's own cards still come, last
    assert text.index('data-testid="t-panel"') < text.index('data-testid="recent-organizations"')
    assert any("home panel" in r.getMessage() and "broken" in r.getMessage() for r in caplog.records)
