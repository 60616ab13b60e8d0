"""The review queue shows the oldest submissions first, thirty per kind with the full totals, and all of
them on request; the operator's home panel counts the whole queue without loading it."""

from __future__ import annotations

from django.urls import reverse

from kechuang.transfer import selectors
from kechuang.transfer.factories import make_achievement


def test_a_long_queue_shows_the_oldest_thirty_and_the_total(client, operator, institute_org, fields):
    made = [make_achievement(institute_org, status="submitted", title=f"待审成果{i:02d}") for i in range(33)]
    client.force_login(operator)
    html = client.get(reverse("transfer:review-queue")).content.decode()
    assert html.count('data-testid="review-item"') == 30
    assert 'data-testid="review-total">33<' in html and 'data-testid="review-more"' in html
    assert "待审成果00" in html and "待审成果29" in html and "待审成果30" not in html  # oldest first
    everything = client.get(reverse("transfer:review-queue"), {"all": "1"}).content.decode()
    assert (
        everything.count('data-testid="review-item"') == 33 and 'data-testid="review-more"' not in everything
    )
    queue = selectors.review_queue(limit=5)
    assert [a.pk for a in queue["achievements"]] == [a.pk for a in made[:5]] and queue[
        "achievement_total"
    ] == 33
