"""Who may see and change IP records (docs/adr/0028-intellectual-property.md, "Who sees what").

- Anyone, even anonymous, reads published and granted assets (the patent office publishes them) with their
  claims and abstracts, and the open licences on offer.
- An application not yet published is seen only by the holder's members and by operators and leaders;
  its claims and abstract reach the holder's members only: never another organization, the platform's
  operators included, never the matching index, the API or an export.
- The holder's technology transfer office (a member with the institute or enterprise role) manages its
  assets: edits, imports its portfolio, publishes open licences, records transactions; operators may do
  the same for any holder.
- Any member of a non-government organization other than the holder may take up an open licence.
- Transactions are seen by the parties (holder and counterparty), operators and leaders.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.core.predicates import add_perm, predicate
from kechuang.core.roles import Role, roles_of
from kechuang.directory.permissions import member_organization_ids as directory_member_organization_ids

from .choices import LegalStatus, OpenLicenceStatus
from .models import IpAsset, IpTransaction, OpenLicence

MANAGER_ROLES = frozenset({Role.INSTITUTE, Role.ENTERPRISE})
# Published or granted: the patent office has made it public.
PUBLIC_ASSET = ~Q(legal_status=LegalStatus.FILED) & (
    Q(published_on__isnull=False) | Q(granted_on__isnull=False)
)


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def member_organization_ids(user: Any) -> set[int]:
    """Organizations the user acts for; a government unit grants nothing by itself (the directory's rule)."""
    return set(directory_member_organization_ids(user))


def managed_organization_ids(user: Any) -> set[int]:
    """Organizations whose IP the user manages (institute or enterprise role and a membership)."""
    if not roles_of(user) & MANAGER_ROLES:
        return set()
    return member_organization_ids(user)


def is_operator_user(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


def reads_all(user: Any) -> bool:
    return bool(roles_of(user) & {Role.OPERATOR, Role.LEADER})


# --- visibility ----------------------------------------------------------------------------------


def asset_visible_to(user: Any) -> QuerySet[IpAsset]:
    """Published and granted assets for everyone; unpublished applications for their holder's members and
    for operators and leaders (who see their number and title, not their claims: :func:`reads_claims`)."""
    qs = IpAsset.objects.all()
    if reads_all(user):
        return qs
    return qs.filter(PUBLIC_ASSET | Q(holder__in=member_organization_ids(user)))


def reads_claims(user: Any, asset: IpAsset) -> bool:
    """Whether the claims and abstract of ``asset`` may be shown to ``user``."""
    return asset.claims_public or asset.holder_id in member_organization_ids(user)


def open_licence_visible_to(user: Any) -> QuerySet[OpenLicence]:
    """Published licences for everyone; the holder and operators also see withdrawn and ended ones."""
    qs = OpenLicence.objects.all()
    if reads_all(user):
        return qs
    return qs.filter(
        Q(status=OpenLicenceStatus.PUBLISHED) | Q(asset__holder__in=member_organization_ids(user))
    )


def transaction_visible_to(user: Any) -> QuerySet[IpTransaction]:
    qs = IpTransaction.objects.all()
    if not signed_in(user):
        return qs.none()
    if reads_all(user):
        return qs
    orgs = member_organization_ids(user)
    return qs.filter(Q(asset__holder__in=orgs) | Q(counterparty__in=orgs))


# --- predicates ----------------------------------------------------------------------------------


@predicate
def is_operator(user: Any) -> bool:
    return is_operator_user(user)


@predicate
def manages_asset(user: Any, asset: IpAsset | None = None) -> bool:
    """A manager of the holder; with no object: a manager of some organization's IP."""
    managed = managed_organization_ids(user)
    if asset is None:
        return bool(managed)
    return asset.holder_id in managed


@predicate
def manages_asset_of(user: Any, obj: OpenLicence | IpTransaction | None = None) -> bool:
    managed = managed_organization_ids(user)
    if obj is None:
        return bool(managed)
    return IpAsset.objects.filter(pk=obj.asset_id, holder__in=managed).exists()


@predicate
def may_take_up(user: Any, licence: OpenLicence | None = None) -> bool:
    """A member of some organization other than the holder."""
    orgs = member_organization_ids(user)
    if licence is None:
        return bool(orgs)
    holder = IpAsset.objects.filter(pk=licence.asset_id).values_list("holder_id", flat=True).first()
    return bool(orgs - {holder})


can_manage_asset = is_operator | manages_asset
can_manage_licence = is_operator | manages_asset_of
can_take_up = may_take_up
can_register_contract = is_operator

add_perm("ip.change_ipasset", can_manage_asset)
add_perm("ip.add_ipasset", can_manage_asset)
add_perm("ip.change_openlicence", can_manage_licence)
add_perm("ip.take_up_openlicence", can_take_up)
add_perm("ip.add_iptransaction", can_manage_asset)
add_perm("ip.register_contract", can_register_contract)
