"""docs/reliability.md B1: every URL pattern and every API route, called anonymously.

The resolver is walked, so a new URL is tested the day it is added. Only the reviewed public list
below may answer 200; a new public page fails this test until someone reviews it and adds it here
with the reason it may be public.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from kechuang.directory.models import Organization

pytestmark = pytest.mark.django_db

# The reviewed public list: pattern → why an anonymous visitor may read it.
PUBLIC = {
    "/": "home page for the public: district figures only",
    "/healthz": "load-balancer health check: database status, no data",
    # docs/adr/0021-observability.md, reviewed 2026-12: counts by view name, job name and state, no
    # object, person or organization; answers only METRICS_ALLOWED_IPS (loopback by default, which the
    # test client is) and 404 to everyone else (tests/core/test_metrics.py)
    "/metrics": "Prometheus metrics for the monitoring's addresses only",
    "/accounts/login/": "sign-in form",
    "/admin/login/": "sign-in form of the admin site (same lockout and password rules)",
    "/directory/district/": "the district profile and schematic map (published plan)",
    "/directory/organizations/": "organization list: public kinds only for anonymous visitors",
    "/directory/organizations/<pk>/": "organization detail: public kinds only (enterprises 404)",
    "/directory/fields/": "technology-field taxonomy (published classification)",
    "/jsi18n/": "translation catalogue for scripts",
    "/api/v1/schema/": "OpenAPI schema",
    "/api/v1/docs/": "API documentation (Swagger UI, same-origin assets)",
    "/api/v1/organizations/": "organization list: public kinds only for anonymous callers",
    "/api/v1/organizations/<pk>/": "organization detail: public kinds only (enterprises 404)",
    "/api/v1/fields/": "technology-field taxonomy",
    "/api/v1/fields/<code>/": "technology-field taxonomy",
    "/api/v1/geography/blocks/": "district geography (published plan)",
    "/api/v1/geography/blocks/<code>/": "district geography",
    "/api/v1/geography/parks/": "district geography",
    "/api/v1/geography/parks/<code>/": "district geography",
    "/api/v1/geography/lines/": "district geography",
    "/api/v1/geography/lines/<code>/": "district geography",
    "/api/v1/geography/buildings/": "district geography",
    "/api/v1/geography/buildings/<code>/": "district geography",
    # Transfer platform (docs/design.md §2: the public sees published public listings), reviewed 2026-11:
    # the lists start from transfer.permissions.achievement_visible_to / demand_visible_to.
    "/transfer/achievements/": "published public achievements",
    "/transfer/demands/": "published public demands",
    "/transfer/search/": "search over public listings",
    "/api/v1/achievements/": "published public achievements",
    "/api/v1/demands/": "published public demands",
    # 揭榜挂帅 (docs/design.md §3.4: public notice 公示 and public progress), reviewed 2026-11: everything starts
    # from challenges.permissions.challenge_visible_to (published and later states only for anonymous
    # visitors; drafts, submitted and rejected challenges 404). Also public once a challenge is awarded,
    # though this walk (published, not awarded) sees them 404: /challenges/<code>/progress/ and
    # /challenges/awards/<code>/ (milestones and tranches; the task book text only for the parties).
    # Shared instruments (issue 16: a public catalogue), reviewed 2026-12: instruments.permissions.
    # instrument_visible_to shows every instrument not retired, its rate card and free slots (who booked
    # a slot is never shown); booking needs a sign-in.
    "/instruments/": "the public catalogue of shared instruments",
    "/instruments/<code>/": "an instrument's public page: description, rate card, free slots",
    # Events and competitions (issue 17, docs/adr/0025-events-and-competitions.md), reviewed 2026-12: events
    # start from events.permissions.event_visible_to (published and finished only for anonymous visitors;
    # drafts and events under review 404; sign-ups need a sign-in), competitions from competition_visible_to
    # (every competition past its draft), their entries from entry_visible_to (ranked results from the 公示 on).
    "/events/": "the public list of published events",
    "/events/calendar/": "the public calendar of published events",
    "/events/<code>/": "a published event's public page (drafts 404)",
    "/events/competitions/": "the public list of competitions (drafts hidden)",
    "/events/competitions/<code>/": "a competition's public page: rules, tracks and prizes, the 公示",
    "/api/v1/events/": "published events",
    "/api/v1/events/series/": "the district's event series (brands of the profile)",
    "/api/v1/events/<code>/": "a published event (drafts 404)",
    "/api/v1/competitions/": "competitions past their draft",
    "/api/v1/competitions/<code>/": "a competition past its draft",
    "/api/v1/competitions/<code>/entries/": "the ranked results from the 公示 on (empty before)",
    # Intellectual property (issue 19, docs/adr/0028-intellectual-property.md), reviewed 2026-12: assets start
    # from ip.permissions.asset_visible_to (published and granted only: the patent office published them; an
    # application not yet published 404s), open licences from open_licence_visible_to (published only);
    # taking one up, transactions and the portfolio need a sign-in.
    "/ip/": "the public catalogue of published and granted patents",
    "/ip/licences/": "open licences (专利开放许可) on offer: fee and terms declared by the holder",
    "/ip/assets/<number>/": "a published or granted patent's public page (unpublished applications 404)",
    "/api/v1/ip-assets/": "published and granted patents",
    "/api/v1/ip-assets/<number>/": "a published or granted patent (unpublished applications 404)",
    "/api/v1/ip-licences/": "open licences on offer",
    "/api/v1/ip-licences/<code>/": "an open licence on offer",
    "/challenges/": "the challenge board: public (published and later) challenges",
    "/challenges/<code>/": "public notice of a published challenge (drafts 404)",
    "/api/v1/challenges/": "published challenges, readable anonymously (issue 5)",
    "/api/v1/challenges/<code>/": "published challenge, readable anonymously (drafts 404)",
    "/api/v1/challenges/<code>/progress/": "public progress of a challenge: awards and tranches (empty until awarded)",
}

# Reviewed answers that are neither 200 nor a refusal.
OTHER_REVIEWED = {
    # states of the database, cache, storage, worker and scheduler, no data (docs/adr/0021); 503 here
    # because no worker or scheduler runs beside the tests
    "/readyz": (503, "readiness probe: names the failing parts, no error text"),
    "/i18n/setlang/": (302, "language switch: redirects back, shows nothing"),
    "/favicon.ico": (302, "the site icon: redirects to the vendored static file (issue 14 item 11)"),
    "/api/v1/search/": (400, "search over public listings; without ?q= it asks for one"),
}

REFUSALS = {401, 403, 404, 405}
WRITE_METHODS = ("post", "put", "patch", "delete")


def test_url_walk_finds_the_main_routes(url_patterns):
    patterns = url_patterns
    assert "/directory/organizations/<pk>/edit/" in patterns
    assert "/api/v1/people/" in patterns
    assert len(patterns) > 40


@pytest.mark.slow
def test_only_the_reviewed_public_list_answers_200_to_an_anonymous_get(
    client, url_patterns, fill, login_redirect
):
    answers = {pattern: client.get(fill(pattern, public=True)) for pattern in url_patterns}
    open_patterns = {pattern for pattern, response in answers.items() if response.status_code == 200}
    assert open_patterns == set(PUBLIC), (
        f"answering 200 but not reviewed: {sorted(open_patterns - set(PUBLIC))}; "
        f"reviewed but not answering 200: {sorted(set(PUBLIC) - open_patterns)}"
    )
    unexpected = {}
    for pattern, response in answers.items():
        if pattern in PUBLIC:
            continue
        if pattern in OTHER_REVIEWED:
            if response.status_code != OTHER_REVIEWED[pattern][0]:
                unexpected[pattern] = response.status_code
            continue
        if not (login_redirect(response, client) or response.status_code in REFUSALS):
            unexpected[pattern] = (response.status_code, response.get("Location"))
    assert not unexpected, f"anonymous answers that are neither public nor refusals: {unexpected}"


def test_private_objects_are_not_found_through_public_patterns(client, objects, url_patterns, fill):
    for pattern in url_patterns:
        public_url = fill(pattern, public=True)
        private_url = fill(pattern, public=False)
        if public_url == private_url:
            continue
        response = client.get(private_url)
        assert response.status_code != 200, private_url
        assert objects["enterprise"].name not in response.content.decode(errors="replace")


@pytest.mark.slow
@pytest.mark.parametrize("method", WRITE_METHODS)
def test_no_api_route_accepts_an_anonymous_write(client, url_patterns, fill, method):
    before = list(Organization.objects.order_by("pk").values())
    accepted = {}
    for pattern in url_patterns:
        if not pattern.startswith("/api/") or pattern == "/api/v1/auth/token/":
            continue
        for public in (True, False):
            url = fill(pattern, public=public)
            response = getattr(client, method)(
                url, data={"name": "匿名写入", "kind": "institute"}, content_type="application/json"
            )
            if response.status_code < 400:
                accepted[url] = response.status_code
    assert not accepted
    assert list(Organization.objects.order_by("pk").values()) == before


def test_anonymous_token_request_without_credentials_is_a_clean_400(client):
    response = client.post(reverse("api-token"), data={}, content_type="application/json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_anonymous_web_writes_redirect_to_login_and_change_nothing(client, objects, login_redirect):
    enterprise = objects["enterprise"]
    before = Organization.objects.count()
    create = client.post(reverse("directory:organization-create"), {"kind": "institute", "name": "匿名新建"})
    update = client.post(
        reverse("directory:organization-update", args=[objects["institute"].pk]),
        {"kind": "institute", "name": "匿名修改"},
    )
    assert login_redirect(create) and login_redirect(update)
    assert Organization.objects.count() == before
    enterprise.refresh_from_db()
    objects["institute"].refresh_from_db()
    assert objects["institute"].name != "匿名修改"
