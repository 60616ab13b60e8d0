"""The work queue behind the desk and the home panel: a limit returns the first items of the full queue."""

from __future__ import annotations

import pytest

from kechuang.challenges import factories, selectors, services

pytestmark = pytest.mark.django_db


def test_a_limited_queue_is_the_start_of_the_full_one(operator2, enterprise_user, enterprise_org):
    for i in range(4):
        challenge = factories.make_challenge(
            actor=enterprise_user, issuer=enterprise_org, title=f"待审榜单{i}"
        )
        services.challenge_submit(actor=enterprise_user, challenge=challenge)
    full = selectors.work_queue(actor=operator2)
    assert len(full) == 4 and {t.kind for t in full} == {"review"}
    limited = selectors.work_queue(actor=operator2, limit=2)
    assert [t.code for t in limited] == [t.code for t in full[:2]]
    assert selectors.work_queue(actor=operator2, limit=10) == full


def test_panels_under_review_are_read_with_their_challenge(operator, panel, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        todo = selectors.work_queue(actor=operator)
    assert any(t.kind == "panel" for t in todo)
