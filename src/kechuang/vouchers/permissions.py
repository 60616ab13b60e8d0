"""Who may see and do what with vouchers: visibility querysets (one per model) and rules predicates.

Staff who run the scheme (operators), sign it off (leaders) or check it (auditors) read everything.
An enterprise's members see their own applications, vouchers and orders; a provider's members see the
orders and claims of their provider. Maker-checker (docs/reliability.md B4): whoever asked for something —
an application, a settlement claim, a settlement batch, a provider's registration — never approves it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate
from kechuang.directory.permissions import member_organization_ids

from .choices import ApplicationStatus, BatchStatus, ClaimStatus, OrderStatus, ProviderStatus, SchemeStatus
from .models import (
    Application,
    Provider,
    ProviderService,
    Scheme,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)

STAFF_READERS = frozenset({Role.OPERATOR, Role.LEADER, Role.AUDITOR})


def _roles(user: Any) -> frozenset[str]:
    return roles_of(user)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_staff_reader(user: Any) -> bool:
    return bool(_roles(user) & STAFF_READERS)


def _orgs(user: Any) -> set[int]:
    return member_organization_ids(user)


def organizations_of(user: Any) -> set[int]:
    """The organizations the user is a member of (their own enterprise or provider)."""
    return _orgs(user)


def _same_user(user: Any, other_id: int | None) -> bool:
    return other_id is not None and getattr(user, "pk", None) == other_id


# --- visibility ---------------------------------------------------------------------------------------


def scheme_visible_to(user: Any) -> QuerySet[Scheme]:
    if not _signed_in(user):
        return Scheme.objects.none()
    if _roles(user) & {Role.OPERATOR, Role.LEADER, Role.AUDITOR}:
        return Scheme.objects.all()
    return Scheme.objects.exclude(status=SchemeStatus.DRAFT)


def provider_visible_to(user: Any) -> QuerySet[Provider]:
    if not _signed_in(user):
        return Provider.objects.none()
    if is_staff_reader(user):
        return Provider.objects.all()
    return Provider.objects.filter(Q(status=ProviderStatus.APPROVED) | Q(organization_id__in=_orgs(user)))


def service_visible_to(user: Any) -> QuerySet[ProviderService]:
    if not _signed_in(user):
        return ProviderService.objects.none()
    if is_staff_reader(user):
        return ProviderService.objects.all()
    return ProviderService.objects.filter(
        Q(is_active=True, provider__status=ProviderStatus.APPROVED)
        | Q(provider__organization_id__in=_orgs(user))
    )


def application_visible_to(user: Any) -> QuerySet[Application]:
    if not _signed_in(user):
        return Application.objects.none()
    if is_staff_reader(user):
        return Application.objects.all()
    if Role.ENTERPRISE in _roles(user):
        return Application.objects.filter(enterprise_id__in=_orgs(user))
    return Application.objects.none()


def voucher_visible_to(user: Any) -> QuerySet[Voucher]:
    if not _signed_in(user):
        return Voucher.objects.none()
    if is_staff_reader(user):
        return Voucher.objects.all()
    if Role.ENTERPRISE in _roles(user):
        return Voucher.objects.filter(enterprise_id__in=_orgs(user))
    return Voucher.objects.none()


def order_visible_to(user: Any) -> QuerySet[ServiceOrder]:
    if not _signed_in(user):
        return ServiceOrder.objects.none()
    if is_staff_reader(user):
        return ServiceOrder.objects.all()
    roles = _roles(user)
    condition = Q(pk__in=[])
    if Role.ENTERPRISE in roles:
        condition |= Q(enterprise_id__in=_orgs(user))
    if roles & PROVIDER_ROLES:
        condition |= Q(provider__organization_id__in=_orgs(user))
    return ServiceOrder.objects.filter(condition)


def claim_visible_to(user: Any) -> QuerySet[SettlementClaim]:
    if not _signed_in(user):
        return SettlementClaim.objects.none()
    if is_staff_reader(user):
        return SettlementClaim.objects.all()
    if _roles(user) & PROVIDER_ROLES:
        return SettlementClaim.objects.filter(provider__organization_id__in=_orgs(user))
    return SettlementClaim.objects.none()


def batch_visible_to(user: Any) -> QuerySet[SettlementBatch]:
    if is_staff_reader(user):
        return SettlementBatch.objects.all()
    return SettlementBatch.objects.none()


# --- predicates ---------------------------------------------------------------------------------------


@predicate
def is_operator(user: Any) -> bool:
    return Role.OPERATOR in _roles(user)


@predicate
def is_leader(user: Any) -> bool:
    return Role.LEADER in _roles(user)


@predicate
def is_enterprise_user(user: Any) -> bool:
    return Role.ENTERPRISE in _roles(user)


# Who may act for a voucher provider: a service organization's members, and an institute's members, whose
# institute may join as a provider of 仪器共享 alone (docs/adr/0024-instruments.md: the owner of shared
# instruments claims its voucher-paid machine time through the monthly settlement).
PROVIDER_ROLES = frozenset({Role.PROVIDER, Role.INSTITUTE})


@predicate
def is_provider_user(user: Any) -> bool:
    return bool(_roles(user) & PROVIDER_ROLES)


@predicate
def reads_everything(user: Any) -> bool:
    return is_staff_reader(user)


@predicate
def did_not_submit(user: Any, obj: Any) -> bool:
    """Maker-checker: the object was not asked for by this user (no object: nothing to compare yet)."""
    if obj is None:
        return True
    for field in ("submitted_by_id", "created_by_id", "applied_by_id"):
        if hasattr(obj, field):
            return not _same_user(user, getattr(obj, field))
    return True


@predicate
def did_not_review_first(user: Any, application: Application | None) -> bool:
    return application is None or not _same_user(user, application.operator_reviewer_id)


@predicate
def member_of_enterprise(user: Any, obj: Any) -> bool:
    if obj is None:
        return False
    enterprise_id = (
        obj.pk if obj.__class__.__name__ == "Organization" else getattr(obj, "enterprise_id", None)
    )
    return enterprise_id is not None and enterprise_id in _orgs(user)


@predicate
def member_of_provider(user: Any, obj: Any) -> bool:
    if obj is None:
        return False
    if isinstance(obj, Provider):
        organization_id: int | None = obj.organization_id
    elif obj.__class__.__name__ == "Organization":
        organization_id = obj.pk
    else:
        provider = getattr(obj, "provider", None)
        organization_id = provider.organization_id if provider is not None else None
    return organization_id is not None and organization_id in _orgs(user)


@predicate
def provider_is_approved(user: Any, obj: Any) -> bool:
    provider = obj if isinstance(obj, Provider) else getattr(obj, "provider", None)
    return provider is not None and provider.status == ProviderStatus.APPROVED


# Schemes and reports
can_manage_scheme = is_operator
can_view_reports = is_operator | is_leader | reads_everything
# Providers
can_register_provider = is_provider_user & member_of_provider
can_review_provider = is_operator & did_not_submit
can_manage_services = is_provider_user & member_of_provider
# Applications (two-level review)
can_apply = is_enterprise_user & member_of_enterprise
can_review_application = is_operator & did_not_submit
can_approve_application = is_leader & did_not_submit & did_not_review_first
can_withdraw_application = is_enterprise_user & member_of_enterprise
# Vouchers and orders
can_revoke_voucher = is_operator
can_order_with_voucher = is_enterprise_user & member_of_enterprise
can_handle_order = is_provider_user & member_of_provider & provider_is_approved
can_confirm_order = is_enterprise_user & member_of_enterprise
# Settlement
can_claim_settlement = is_provider_user & member_of_provider & provider_is_approved
can_review_claim = is_operator & did_not_submit
can_create_batch = is_operator
can_approve_batch = is_leader & did_not_submit
can_pay_batch = is_operator
can_export_batch = is_operator | is_leader

PERMISSIONS = {
    "vouchers.manage_scheme": can_manage_scheme,
    "vouchers.view_reports": can_view_reports,
    "vouchers.register_provider": can_register_provider,
    "vouchers.review_provider": can_review_provider,
    "vouchers.manage_services": can_manage_services,
    "vouchers.apply": can_apply,
    "vouchers.review_application": can_review_application,
    "vouchers.approve_application": can_approve_application,
    "vouchers.withdraw_application": can_withdraw_application,
    "vouchers.revoke_voucher": can_revoke_voucher,
    "vouchers.order_with_voucher": can_order_with_voucher,
    "vouchers.handle_order": can_handle_order,
    "vouchers.confirm_order": can_confirm_order,
    "vouchers.claim_settlement": can_claim_settlement,
    "vouchers.review_claim": can_review_claim,
    "vouchers.create_batch": can_create_batch,
    "vouchers.approve_batch": can_approve_batch,
    "vouchers.pay_batch": can_pay_batch,
    "vouchers.export_batch": can_export_batch,
}
for _name, _predicate in PERMISSIONS.items():
    add_perm(_name, _predicate)

# Statuses in which each step is possible (shared by services, pages and the API).
REVIEWABLE_APPLICATION = ApplicationStatus.SUBMITTED
APPROVABLE_APPLICATION = ApplicationStatus.REVIEWED
REVIEWABLE_CLAIM = ClaimStatus.SUBMITTED
APPROVABLE_BATCH = BatchStatus.DRAFT
PAYABLE_BATCH = BatchStatus.APPROVED
CANCELLABLE_ORDER = frozenset({OrderStatus.PLACED, OrderStatus.ACCEPTED})
