"""docs/reliability.md B2/B3 for IP: the role × action matrix, generated from the code (every ``ip.*``
rule, for one user per role, on an object of the user's own organization and of another's) compared
with the approved one; IDOR: another organization's transactions and unpublished applications are not
visible, and its pages answer 404 or 403 with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from ip_helpers import make_asset

from kechuang.accounts.choices import Role
from kechuang.ip import permissions as perms
from kechuang.ip import services
from kechuang.ip.models import IpTransaction, OpenLicence
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = MATRIX_ROLES
MANAGERS = ("operator", "institute", "enterprise")
MEMBERS = ("institute", "enterprise", "provider")


def cells(dash=(), own=(), other=()):
    return {"-": frozenset(dash), "own": frozenset(own), "other": frozenset(other)}


APPROVED = {
    "ip.add_ipasset": cells(MANAGERS, ("operator", "institute"), ("operator",)),
    "ip.change_ipasset": cells(MANAGERS, ("operator", "institute"), ("operator",)),
    "ip.add_iptransaction": cells(MANAGERS, ("operator", "institute"), ("operator",)),
    "ip.change_openlicence": cells(MANAGERS, ("operator", "institute"), ("operator",)),
    # anyone acting for an organization may take up a licence, except the holder's own members
    "ip.take_up_openlicence": cells(MEMBERS, ("enterprise", "provider"), MEMBERS),
    "ip.register_contract": cells(("operator",), ("operator",), ("operator",)),
}


@pytest.fixture
def world(db, district_office):
    institute = InstituteFactory(name="中国科学院上海微系统与信息技术研究所")
    other_institute = InstituteFactory(name="中国科学院上海硅酸盐研究所")
    enterprise = OrganizationFactory(name="上海菊园传感科技有限公司")
    provider = OrganizationFactory(kind="provider", name="上海菊园知识产权代理有限公司", uscc=None)
    users = {
        "operator": user_with_role(Role.OPERATOR, district_office, username="m-op"),
        "commissioner": user_with_role(Role.COMMISSIONER, district_office, username="m-comm"),
        "leader": user_with_role(Role.LEADER, district_office, username="m-lead"),
        "institute": user_with_role(Role.INSTITUTE, institute, username="m-inst"),
        "enterprise": user_with_role(Role.ENTERPRISE, enterprise, username="m-ent"),
        "provider": user_with_role(Role.PROVIDER, provider, username="m-prov"),
        "expert": user_with_role(Role.EXPERT, None, username="m-exp"),
        "sysadmin": user_with_role(Role.SYSADMIN, None, username="m-sys"),
        "auditor": user_with_role(Role.AUDITOR, None, username="m-aud"),
        "anonymous": AnonymousUser(),
    }
    own = make_asset(institute, 41)
    other = make_asset(other_institute, 42)
    own_licence = services.open_licence_publish(actor=None, asset=own, fee_fen=10_000_00)
    other_licence = services.open_licence_publish(actor=None, asset=other, fee_fen=10_000_00)
    other_tx = services.transaction_record(
        actor=None, asset=other, kind="licence_ordinary", amount_fen=50_000_00, signed_on=dt.date(2026, 2, 1),
        counterparty_name="上海某公司",
    )  # fmt: skip
    secret = make_asset(
        other_institute,
        43,
        filed_on=dt.date(2026, 8, 1),
        published_on=None,
        granted_on=None,
        legal_status="filed",
    )
    return {
        "users": users, "own": own, "other": other, "own_licence": own_licence, "other_licence": other_licence,
        "other_tx": other_tx, "secret": secret, "institute": institute, "enterprise": enterprise,
    }  # fmt: skip


def _objects(world, permission):
    if permission in ("ip.change_openlicence", "ip.take_up_openlicence"):
        return world["own_licence"], world["other_licence"]
    return world["own"], world["other"]


def test_the_role_matrix_matches_the_approved_one(world):
    found = {}
    for permission in sorted(name for name in rules.permissions.permissions if name.startswith("ip.")):
        own, other = _objects(world, permission)
        found[permission] = {
            scope: frozenset(role for role in ROLES if rules.has_perm(permission, world["users"][role], obj))
            for scope, obj in (("-", None), ("own", own), ("other", other))
        }
    assert found == APPROVED


def test_visibility_of_transactions_and_unpublished_applications(world):
    users = world["users"]
    assert not perms.transaction_visible_to(users["institute"]).exists()
    assert not perms.transaction_visible_to(AnonymousUser()).exists()
    assert list(perms.transaction_visible_to(users["leader"])) == [world["other_tx"]]
    for role in ("institute", "enterprise", "provider", "expert", "commissioner", "anonymous"):
        assert world["secret"] not in perms.asset_visible_to(users[role]), role
    assert world["secret"] in perms.asset_visible_to(users["operator"])
    assert not perms.reads_claims(users["operator"], world["secret"])


def test_another_organizations_objects_answer_404_or_403_and_change_nothing(world, client):
    client.force_login(world["users"]["institute"])
    other, secret = world["other"], world["secret"]
    assert client.get(reverse("ip:asset-detail", args=[secret.number])).status_code == 404
    for name in ("ip:asset-licence", "ip:asset-status", "ip:asset-annuity", "ip:asset-transaction"):
        assert client.post(reverse(name, args=[other.number]), {"legal_status": "lapsed"}).status_code == 403
        assert client.post(reverse(name, args=[secret.number])).status_code == 404
    assert client.post(reverse("ip:licence-withdraw", args=[world["other_licence"].code])).status_code == 403
    assert client.post(reverse("ip:transaction-contract", args=[world["other_tx"].code])).status_code == 404
    assert (
        client.post(
            reverse("ip:licence-take-up", args=[world["own_licence"].code]), {"confirm": "on"}
        ).status_code
        == 403
    )
    other.refresh_from_db()
    assert other.legal_status == "granted"
    assert OpenLicence.objects.filter(status="published").count() == 2
    assert IpTransaction.objects.count() == 1
    # the API: the same
    assert client.get(f"/api/v1/ip-assets/{secret.number}/").status_code == 404
    assert client.get(f"/api/v1/ip-transactions/{world['other_tx'].code}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/ip-assets/{other.number}/open-licence/", {"fee_fen": 1}, content_type="application/json"
        ).status_code
        == 403
    )
