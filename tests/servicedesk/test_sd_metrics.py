"""The service desk on ``/metrics`` (docs/adr/0021-observability.md): open SLA breaches by clock, and those
that sla-tick has not escalated yet; numbers only, nothing about the request or the enterprise."""

from __future__ import annotations

import pytest
from metrics_helpers import scrape, value
from sd_helpers import at

from kechuang.servicedesk import services

pytestmark = pytest.mark.django_db

OPEN = "kechuang_servicedesk_sla_breaches_open"
UNESCALATED = "kechuang_servicedesk_sla_breaches_unescalated"


@pytest.mark.slow
def test_breaches_open_and_unescalated_follow_the_clock_and_the_tick(client, file_request, desk, frozen):
    late = file_request(when=at(2026, 3, 16, 10), title="上海菊园智感科技有限公司 研发费用加计扣除")
    file_request(when=at(2026, 3, 17, 9))  # first response due Wed 9:00
    text = scrape(client)
    assert value(text, OPEN, clock="response") == 0 and value(text, OPEN, clock="resolution") == 0

    frozen.set(at(2026, 3, 17, 10, 1))  # the first request's response time ran out a minute ago
    text = scrape(client)
    assert value(text, OPEN, clock="response") == 1
    assert value(text, UNESCALATED, clock="response") == 1
    assert late.code not in text and "智感" not in text and desk["org"].name not in text

    services.sla_tick()  # what the scheduler runs every minute
    text = scrape(client)
    assert value(text, OPEN, clock="response") == 1  # still open and late
    assert value(text, UNESCALATED, clock="response") == 0  # but escalated

    services.request_respond(
        actor=desk["commissioner"], request=late, version=None, text="已联系企业，本周内答复。"
    )
    text = scrape(client)
    assert value(text, OPEN, clock="response") == 0
