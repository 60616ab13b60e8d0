"""docs/reliability.md B3: the voucher and ledger role × action matrix, generated from the code (every
``vouchers.*`` and ``ledger.*`` rule, evaluated for one user per role on objects of three scopes) and
compared with the approved matrix below. A new permission, or a change of who holds one, fails here
until the matrix is reviewed.

Scopes: "-" no object; "own" an object of the user's own organization — or, for a review or approval,
the user's own request (maker-checker, B4); "other" another organization's object or someone else's
request.
"""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser

from kechuang.testing.factories import OrganizationFactory
from kechuang.vouchers.choices import ProviderStatus
from kechuang.vouchers.models import (
    Application,
    Provider,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = MATRIX_ROLES
NOBODY: frozenset[str] = frozenset()


def everywhere(*roles: str) -> dict[str, frozenset[str]]:
    return {"-": frozenset(roles), "own": frozenset(roles), "other": frozenset(roles)}


def own_only(*roles: str) -> dict[str, frozenset[str]]:
    return {"-": NOBODY, "own": frozenset(roles), "other": NOBODY}


def never_own(*roles: str) -> dict[str, frozenset[str]]:
    """Maker-checker: allowed with no object and on others' requests, never on one's own."""
    return {"-": frozenset(roles), "own": NOBODY, "other": frozenset(roles)}


# An institute acts as a voucher provider for its shared instruments (仪器共享 alone, checked by
# provider_register): it registers, keeps its catalogue, handles and claims its own orders
# (docs/adr/0024-instruments.md).
APPROVED = {
    "ledger.view_ledger": everywhere("operator", "leader", "auditor"),
    "vouchers.manage_scheme": everywhere("operator"),
    "vouchers.view_reports": everywhere("operator", "leader", "auditor"),
    "vouchers.register_provider": own_only("provider", "institute"),
    "vouchers.review_provider": never_own("operator"),
    "vouchers.manage_services": own_only("provider", "institute"),
    "vouchers.apply": own_only("enterprise"),
    "vouchers.review_application": never_own("operator"),
    "vouchers.approve_application": never_own("leader"),
    "vouchers.withdraw_application": own_only("enterprise"),
    "vouchers.revoke_voucher": everywhere("operator"),
    "vouchers.order_with_voucher": own_only("enterprise"),
    "vouchers.handle_order": own_only("provider", "institute"),
    "vouchers.confirm_order": own_only("enterprise"),
    "vouchers.claim_settlement": own_only("provider", "institute"),
    "vouchers.review_claim": never_own("operator"),
    "vouchers.create_batch": everywhere("operator"),
    "vouchers.approve_batch": never_own("leader"),
    "vouchers.pay_batch": everywhere("operator"),
    "vouchers.export_batch": everywhere("operator", "leader"),
}
SCOPED = ("vouchers.", "ledger.")


@pytest.fixture
def people(
    operator,
    commissioner,
    leader,
    institute_user,
    enterprise_user,
    provider_user,
    expert_user,
    sysadmin,
    auditor,
    district_office,
    institute_org,
    enterprise_org,
    provider_org,
):
    users = {
        "operator": operator,
        "commissioner": commissioner,
        "leader": leader,
        "institute": institute_user,
        "enterprise": enterprise_user,
        "provider": provider_user,
        "expert": expert_user,
        "sysadmin": sysadmin,
        "auditor": auditor,
        "anonymous": AnonymousUser(),
    }
    own = {
        "operator": district_office,
        "commissioner": district_office,
        "leader": district_office,
        "institute": institute_org,
        "enterprise": enterprise_org,
        "provider": provider_org,
    }
    return users, own


def subject(perm: str, user, own_org, stranger):
    """The object a permission is checked against in the "own" (``own_org`` given) or "other" scope."""
    mine = own_org is not None
    org = own_org if mine else stranger
    user_id = getattr(user, "pk", None) if mine else -1
    action = perm.split(".", 1)[1]
    provider = Provider(
        organization_id=org.pk if org else -1, status=ProviderStatus.APPROVED, applied_by_id=user_id
    )
    if action in ("register_provider", "apply"):
        return org
    if action in ("review_provider", "manage_services"):
        if action == "manage_services":
            provider.applied_by_id = None
        return provider
    if action in ("review_application", "approve_application"):
        return Application(enterprise_id=stranger.pk, submitted_by_id=user_id)
    if action == "withdraw_application":
        return Application(enterprise_id=org.pk if org else -1)
    if action == "order_with_voucher":
        return Voucher(enterprise_id=org.pk if org else -1)
    if action in ("handle_order", "claim_settlement"):
        return ServiceOrder(enterprise_id=stranger.pk, provider=provider)
    if action == "confirm_order":
        return ServiceOrder(
            enterprise_id=org.pk if org else -1,
            provider=Provider(organization_id=stranger.pk, status=ProviderStatus.APPROVED),
        )
    if action == "review_claim":
        return SettlementClaim(submitted_by_id=user_id, provider=Provider(organization_id=stranger.pk))
    if action == "approve_batch":
        return SettlementBatch(created_by_id=user_id)
    return org


def generated_matrix(users, own, check) -> dict:
    stranger = OrganizationFactory(name="矩阵测试第三方机构")
    matrix: dict = {}
    for perm in sorted(p for p in rules.permissions.permissions if p.startswith(SCOPED)):
        matrix[perm] = {"-": set(), "own": set(), "other": set()}
        for role in ROLES:
            user = users[role]
            objects = {
                "-": None,
                "own": subject(perm, user, own.get(role), stranger),
                "other": subject(perm, user, None, stranger),
            }
            if (
                own.get(role) is None
                and objects["own"] is not None
                and perm.split(".")[1]
                in (
                    "register_provider",
                    "apply",
                    "manage_services",
                    "withdraw_application",
                    "order_with_voucher",
                    "handle_order",
                    "claim_settlement",
                    "confirm_order",
                )
            ):
                objects["own"] = subject(perm, user, None, stranger)  # no organization: nothing is "own"
            for scope, obj in objects.items():
                if check(user, perm, obj):
                    matrix[perm][scope].add(role)
    return matrix


def test_every_registered_voucher_and_ledger_permission_is_in_the_approved_matrix():
    registered = {p for p in rules.permissions.permissions if p.startswith(SCOPED)}
    assert registered == set(APPROVED)


def test_rules_matrix_matches_the_approved_matrix(people):
    users, own = people
    matrix = generated_matrix(users, own, lambda user, perm, obj: rules.has_perm(perm, user, obj))
    assert matrix == APPROVED


def test_user_has_perm_through_every_backend_matches_the_approved_matrix(people):
    users, own = people
    matrix = generated_matrix(users, own, lambda user, perm, obj: user.has_perm(perm, obj))
    assert matrix == APPROVED
