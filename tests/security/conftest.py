"""Fixtures for the security baseline tests (docs/reliability.md A–E, K): a fresh cache, and the URL walker
shared by the anonymous-access test (B1) and the header and origin test (D2/E2)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.contrib.admindocs.views import simplify_regex
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver

from kechuang.directory.models import Building, Line
from kechuang.testing.factories import (
    BlockFactory,
    InstituteFactory,
    OrganizationFactory,
    ParkFactory,
    PersonFactory,
    TechnologyFieldFactory,
)

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


def _walk(patterns, prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        regex = prefix + entry.pattern.regex.pattern
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, regex)
        elif isinstance(entry, URLPattern):
            yield re.sub(r"\\(.)", r"\1", simplify_regex(regex))


@pytest.fixture
def url_patterns() -> list[str]:
    """Every URL pattern of the site, as ``/directory/organizations/<pk>/``."""
    return sorted(set(_walk(get_resolver().url_patterns)))


@pytest.fixture
def objects(db):
    """One object of every kind a URL can name: public ones and private ones."""
    enterprise = OrganizationFactory(name="匿名访问测试企业")
    return {
        "institute": InstituteFactory(),
        "enterprise": enterprise,
        "person": PersonFactory(organization=enterprise),
        "field": TechnologyFieldFactory(code="F-ANON"),
        "block": BlockFactory(code="B-ANON"),
        "park": ParkFactory(code="P-ANON"),
        "line": Line.objects.create(code="L-ANON", name="测试线"),
        "building": Building.objects.create(code="D-ANON", name="测试楼"),
        **_challenges(enterprise),
        **_instruments(),
        **_events(),
        **_ip(),
    }


def _ip() -> dict:
    """A granted patent with an open licence (public) and an application not yet published (private)."""
    import datetime as dt

    from kechuang.ip import services
    from kechuang.ip.numbers import check_character

    holder = InstituteFactory(name="匿名访问测试专利院所")

    def asset(serial: int, **dates):
        body = f"20171{serial:07d}"
        return services.asset_create(
            actor=None, kind="invention", number=f"{body}.{check_character(body)}", holder=holder,
            title="匿名访问测试专利", filed_on=dt.date(2017, 3, 1), claims="1. 一种测试结构。", **dates,
        )  # fmt: skip

    granted = asset(
        1, published_on=dt.date(2018, 9, 1), granted_on=dt.date(2020, 1, 2), legal_status="granted"
    )
    return {
        "patent": granted,
        "unpublished_patent": asset(2),
        "open_licence": services.open_licence_publish(actor=None, asset=granted, fee_fen=100),
    }


def _events() -> dict:
    """A published event and a draft one; a competition open for entries and a draft one."""
    import datetime as dt

    from django.utils import timezone

    from kechuang.accounts.choices import Role
    from kechuang.directory.choices import OrganizationKind
    from kechuang.events import services
    from kechuang.events.choices import EventKind, Height, VenueKind
    from kechuang.testing.factories import user_with_role

    office = OrganizationFactory(kind=OrganizationKind.GOVERNMENT, name="匿名访问测试活动主办方", uscc=None)
    maker = user_with_role(Role.OPERATOR, office, username="anon-walk-event-maker")
    checker = user_with_role(Role.OPERATOR, office, username="anon-walk-event-checker")
    start = timezone.now() + dt.timedelta(days=3)

    def event(title: str):
        return services.event_create(
            actor=maker,
            organization=office,
            details=services.EventDetails(
                title=title,
                kind=EventKind.FORUM,
                summary="匿名访问测试",
                venue_kind=VenueKind.ONLINE,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                capacity=10,
                height=Height.TRANSFER,
            ),
        )

    published = event("匿名访问测试论坛")
    services.event_submit(actor=maker, event=published)
    services.event_review(actor=checker, event=published, approve=True)

    def competition(title: str):
        return services.competition_create(
            actor=maker,
            title=title,
            rules="匿名访问测试",
            organizer=office,
            entry_deadline=timezone.localdate() + dt.timedelta(days=10),
            tracks=[services.TrackInput("赛道")],
        )

    open_competition = services.competition_open(actor=maker, competition=competition("匿名访问测试大赛"))
    return {
        "event": published,
        "draft_event": event("草稿活动"),
        "competition": open_competition,
        "draft_competition": competition("草稿大赛"),
    }


def _instruments() -> dict:
    """An instrument in service (public catalogue) and a retired one (private) of an institute."""
    from kechuang.instruments.models import Instrument, InstrumentCategory, new_code

    owner = InstituteFactory(name="匿名访问测试仪器院所")
    category = InstrumentCategory.objects.get(code="01")

    def instrument(name: str, status: str) -> Instrument:
        return Instrument.objects.create(
            code=new_code("YQ"), name=name, owner=owner, category=category, status=status
        )

    return {
        "instrument": instrument("匿名访问测试仪器", "in_service"),
        "retired_instrument": instrument("已报废仪器", "retired"),
    }


def _challenges(enterprise) -> dict:
    """A published challenge (public notice) and a draft (private) of the same enterprise."""
    from kechuang.accounts.choices import Role
    from kechuang.challenges import factories as challenge_factories
    from kechuang.directory.choices import OrganizationKind
    from kechuang.testing.factories import user_with_role

    office = OrganizationFactory(kind=OrganizationKind.GOVERNMENT, name="匿名访问测试科创办", uscc=None)
    issuer = user_with_role(Role.ENTERPRISE, enterprise, username="anon-walk-issuer")
    reviewer = user_with_role(Role.OPERATOR, office, username="anon-walk-operator")
    return {
        "challenge": challenge_factories.make_challenge(actor=issuer, issuer=enterprise, publish_by=reviewer),
        "draft_challenge": challenge_factories.make_challenge(
            actor=issuer, issuer=enterprise, title="草稿榜单"
        ),
    }


@pytest.fixture
def fill(objects) -> Callable[..., str]:
    """A concrete URL for a pattern: public objects where ``public``, else private ones. Parameters
    the walker does not know get a dummy value (those detail routes then answer 404)."""

    def fill_pattern(pattern: str, *, public: bool) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "pk":
                if "/organizations/" in pattern:
                    return str(objects["institute" if public else "enterprise"].pk)
                if "/people/" in pattern:
                    return str(objects["person"].pk)
                return "1"
            if name == "code" and pattern.startswith(("/instruments/", "/api/v1/instruments/")):
                return objects["instrument" if public else "retired_instrument"].code
            if name == "code" and pattern.startswith(("/events/competitions/", "/api/v1/competitions/")):
                return objects["competition" if public else "draft_competition"].code
            if name == "code" and pattern.startswith(("/events/", "/api/v1/events/")):
                return objects["event" if public else "draft_event"].code
            if name == "number" and pattern.startswith(("/ip/assets/", "/api/v1/ip-assets/")):
                return objects["patent" if public else "unpublished_patent"].number
            if name == "code" and pattern.startswith(("/ip/licences/", "/api/v1/ip-licences/")):
                return objects["open_licence"].code if public else "KF-0000-00000"
            if name == "code" and pattern.startswith(("/challenges/", "/api/v1/challenges/")):
                return objects["challenge" if public else "draft_challenge"].code
            if name == "code":
                for key in ("field", "block", "park", "line", "building"):
                    if f"/{key}s/" in pattern:
                        return objects[key].code
                return "x"
            return {"app_label": "directory", "kind": "organization", "url": "no-such-page/"}.get(name, "1")

        return re.sub(r"<(\w+)>", value, pattern)

    return fill_pattern


def is_login_redirect(response, client=None, hops: int = 3) -> bool:
    """A redirect that ends, within a few same-site hops, on a sign-in page."""
    while response.status_code in (301, 302) and hops:
        location = urlsplit(response["Location"])
        if location.path in LOGIN_PATHS:
            return True
        if client is None or location.netloc:
            return False
        response = client.get(response["Location"])
        hops -= 1
    return False


@pytest.fixture
def login_redirect() -> Callable[..., bool]:
    return is_login_redirect
