"""docs/reliability.md L1, L2 (issue 14 item 13): membership of the district's own organization grants nothing
by itself. The system administrator and the commissioner are members of the management committee; neither
reads the applications (team, plan, budget) to a challenge the committee posted, nor its drafts; every
visibility queryset of every app is the same for a staff user with and without that membership.
"""

from __future__ import annotations

import importlib
import inspect
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from kechuang.accounts.choices import Role
from kechuang.accounts.models import Membership
from kechuang.challenges import factories
from kechuang.challenges import permissions as challenge_perms
from kechuang.servicedesk.models import Assignment
from kechuang.spaces import permissions as space_perms
from kechuang.testing.factories import user_with_role
from kechuang.transfer import services as transfer_services

pytestmark = pytest.mark.django_db

APPS = ("challenges", "directory", "notifications", "servicedesk", "spaces", "transfer", "vouchers")


def visibility_functions():
    found = []
    for app in APPS:
        module = importlib.import_module(f"kechuang.{app}.permissions")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.endswith("_visible_to") and function.__module__ == module.__name__:
                found.append((f"{app}.{name}", function))
    return found


def fresh(user):
    """The same account, without what earlier calls cached on the object."""
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def district_business(
    district_office, operator, institute_user, institute_org, enterprise_user, enterprise_org
):
    """A challenge the committee posted with an application to it, and a draft of the committee's."""
    operator2 = user_with_role(Role.OPERATOR, district_office, username="op2")
    posted = factories.make_challenge(actor=operator, issuer=district_office, publish_by=operator2)
    application = factories.make_application(
        challenge=posted, actor=institute_user, organization=institute_org, budget_fen=45_000_000
    )
    draft = factories.make_challenge(actor=operator, issuer=district_office, title="街区草稿榜单")
    deal = transfer_services.deal_create(
        actor=operator, title="街区采购意向", supplier=institute_org, buyer=district_office
    )
    return SimpleNamespace(posted=posted, application=application, draft=draft, deal=deal)


@pytest.fixture
def sysadmin_member(sysadmin, district_office):
    Membership.objects.create(user=sysadmin, organization=district_office, is_default=True)
    return fresh(sysadmin)


@pytest.mark.parametrize("who", ["sysadmin", "commissioner"])
def test_committee_members_without_the_duty_read_no_application_nor_draft(
    request, district_business, sysadmin_member, commissioner, who
):
    user = sysadmin_member if who == "sysadmin" else fresh(commissioner)
    assert (
        not challenge_perms.application_visible_to(user).filter(pk=district_business.application.pk).exists()
    )
    assert not challenge_perms.challenge_visible_to(user).filter(pk=district_business.draft.pk).exists()
    assert not challenge_perms.attachment_visible_to(user).exists()
    client = Client(raise_request_exception=False)
    client.force_login(user)
    page = client.get(f"/challenges/applications/{district_business.application.code}/")
    assert page.status_code in (403, 404)
    assert "45" not in page.content.decode() or page.status_code == 404
    assert client.get(f"/challenges/{district_business.draft.code}/").status_code in (403, 404)
    token = Token.objects.create(user=user)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")
    listing = api.get("/api/v1/challenges/applications/")
    if listing.status_code == 200:
        codes = [row["code"] for row in listing.json()["results"]]
        assert district_business.application.code not in codes
    detail = api.get(f"/api/v1/challenges/applications/{district_business.application.code}/")
    assert detail.status_code in (403, 404)


def test_the_operator_still_runs_the_committee_s_challenges(district_business, operator):
    user = fresh(operator)
    assert challenge_perms.application_visible_to(user).filter(pk=district_business.application.pk).exists()
    assert challenge_perms.challenge_visible_to(user).filter(pk=district_business.draft.pk).exists()


def test_a_deal_of_the_committee_is_not_shown_to_its_system_administrator(district_business, sysadmin_member):
    from kechuang.transfer import permissions as transfer_perms

    assert not transfer_perms.deal_visible_to(sysadmin_member).filter(pk=district_business.deal.pk).exists()


@pytest.mark.parametrize("role", [Role.SYSADMIN, Role.AUDITOR, Role.COMMISSIONER, Role.OPERATOR, Role.LEADER])
def test_membership_of_the_committee_adds_nothing_to_any_visibility_rule(
    district_business, district_office, role
):
    without = user_with_role(role, None, username=f"{role}-alone")
    member = user_with_role(role, district_office, username=f"{role}-member")
    for name, visible_to in visibility_functions():
        alone = set(visible_to(fresh(without)).values_list("pk", flat=True))
        joined = set(visible_to(fresh(member)).values_list("pk", flat=True))
        assert joined == alone, (role, name, joined - alone)


def test_a_commissioner_reads_the_space_requests_of_their_own_enterprises_only(
    commissioner, enterprise_user, enterprise_org, other_enterprise_user, other_enterprise_org
):
    from decimal import Decimal

    from kechuang.spaces import services as space_services

    own = space_services.space_request_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="自己服务企业的需求",
        area_min_m2=Decimal(100),
        area_max_m2=Decimal(200),
    )
    other = space_services.space_request_create(
        actor=other_enterprise_user,
        organization=other_enterprise_org,
        title="别人服务企业的需求",
        area_min_m2=Decimal(100),
        area_max_m2=Decimal(200),
    )
    Assignment.objects.create(
        user=commissioner, organization=enterprise_org, role="commissioner", started_at=timezone.now()
    )
    visible = set(space_perms.request_visible_to(fresh(commissioner)).values_list("pk", flat=True))
    assert own.pk in visible and other.pk not in visible
