"""The home panels count what waits for each person in SQL; the counts equal the review queue's lists."""

from __future__ import annotations

import pytest

from kechuang.vouchers import selectors, services

pytestmark = pytest.mark.django_db


def _lengths(queue: dict) -> dict[str, int]:
    return {
        key: len(queue.get(key, []))
        for key in ("applications", "approvals", "providers", "claims", "batches")
    }


def test_counts_equal_the_review_queue_for_operators_and_leaders(
    scheme,
    enterprise_org,
    enterprise_user,
    other_enterprise_org,
    other_enterprise_user,
    operator,
    operator2,
    leader,
):
    first = services.application_submit(
        actor=enterprise_user,
        scheme=scheme,
        enterprise=enterprise_org,
        requested_fen=300_000,
        purpose="委托检测",
        planned_categories=["testing"],
    )
    services.application_submit(
        actor=other_enterprise_user,
        scheme=scheme,
        enterprise=other_enterprise_org,
        requested_fen=200_000,
        purpose="专利检索",
        planned_categories=["testing"],
    )
    services.application_review(actor=operator, application=first, approve=True)
    for person in (operator, operator2, leader):
        counts = selectors.review_counts(actor=person)
        assert counts == _lengths(selectors.review_queue(actor=person)), person.username
    assert selectors.review_counts(actor=operator2)["applications"] == 1  # the second application
    assert selectors.review_counts(actor=leader)["approvals"] == 1  # the first, reviewed by the operator


def test_counts_are_zero_for_people_without_a_review_role(enterprise_user):
    assert set(selectors.review_counts(actor=enterprise_user).values()) == {0}


def test_staff_home_panel_figures_are_cached_for_the_configured_seconds(settings, operator, scheme):
    from kechuang.core.figures import data_changed

    settings.INSIGHTS_CACHE_SECONDS = 60
    data_changed()  # what a committed write does on any app server (docs/adr/0016)
    first = selectors.overall_figures_cached()
    scheme.budget_fen += 100  # a change behind the services' back: the cached figures do not see it
    scheme.save(update_fields=["budget_fen"])
    assert selectors.overall_figures_cached() == first
    data_changed()  # what a committed write does on any app server (docs/adr/0016)
    assert selectors.overall_figures_cached()["budget_fen"] == first["budget_fen"] + 100
    settings.INSIGHTS_CACHE_SECONDS = 0
    assert selectors.overall_figures_cached()["budget_fen"] == first["budget_fen"] + 100
    data_changed()  # what a committed write does on any app server (docs/adr/0016)
