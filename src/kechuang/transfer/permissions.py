"""Who may see and change transfer records: the visibility querysets and the rules predicates.

Visibility of a listing (achievement or demand):
- the owner organization's members see it in every status;
- operators see everything;
- anyone else sees only published statuses, and then: ``public`` listings (anonymous included),
  ``members`` listings when signed in, ``operators`` (confidential) listings never.
Every list, search, recommendation, export and API result starts from these querysets (docs/design.md §4, B5).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate
from kechuang.directory.permissions import member_organization_ids

from .choices import InterestStatus, Visibility
from .models import Achievement, Attachment, ContractRegistration, Deal, Demand, Interest
from .workflow import (
    ACHIEVEMENT_OPEN_STATUSES,
    ACHIEVEMENT_PUBLIC_STATUSES,
    DEMAND_OPEN_STATUSES,
    DEMAND_PUBLIC_STATUSES,
    EDITABLE_STATUSES,
)

ACHIEVEMENT_AUTHOR_ROLES = frozenset({Role.INSTITUTE, Role.ENTERPRISE})
DEMAND_AUTHOR_ROLES = frozenset({Role.ENTERPRISE})
INTEREST_ROLES = frozenset({Role.INSTITUTE, Role.ENTERPRISE})
DEAL_READER_ROLES = frozenset({Role.OPERATOR, Role.LEADER})


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _is_operator(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


def _listing_visible(model: Any, public_statuses: frozenset[str], user: Any) -> QuerySet[Any]:
    qs: QuerySet[Any] = model.objects.all()
    if _is_operator(user):
        return qs
    published = Q(status__in=public_statuses)
    if not _signed_in(user):
        return qs.filter(published & Q(visibility=Visibility.PUBLIC))
    own = Q(organization_id__in=member_organization_ids(user))
    return qs.filter((published & Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS])) | own)


def achievement_visible_to(user: Any) -> QuerySet[Achievement]:
    return _listing_visible(Achievement, ACHIEVEMENT_PUBLIC_STATUSES, user)


def demand_visible_to(user: Any) -> QuerySet[Demand]:
    return _listing_visible(Demand, DEMAND_PUBLIC_STATUSES, user)


def interest_visible_to(user: Any) -> QuerySet[Interest]:
    """The asking organization, the listing's owner, and operators."""
    qs = Interest.objects.all()
    if _is_operator(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    orgs = member_organization_ids(user)
    return qs.filter(
        Q(organization_id__in=orgs)
        | Q(achievement__organization_id__in=orgs)
        | Q(demand__organization_id__in=orgs)
    )


def deal_visible_to(user: Any) -> QuerySet[Deal]:
    """Both parties, operators and leaders."""
    qs = Deal.objects.all()
    if roles_of(user) & DEAL_READER_ROLES:
        return qs
    if not _signed_in(user):
        return qs.none()
    orgs = member_organization_ids(user)
    return qs.filter(Q(supplier_id__in=orgs) | Q(buyer_id__in=orgs))


def contract_visible_to(user: Any) -> QuerySet[ContractRegistration]:
    qs = ContractRegistration.objects.all()
    if roles_of(user) & DEAL_READER_ROLES:
        return qs
    if not _signed_in(user):
        return qs.none()
    orgs = member_organization_ids(user)
    return qs.filter(Q(seller_id__in=orgs) | Q(buyer_id__in=orgs))


def attachment_visible_to(user: Any) -> QuerySet[Attachment]:
    """Attachments of visible listings; ``parties`` attachments only for the owner, operators and
    organizations whose interest the owner accepted."""
    if _is_operator(user):
        return Attachment.objects.all()
    achievements = achievement_visible_to(user).values("pk")
    demands = demand_visible_to(user).values("pk")
    base = Attachment.objects.filter(Q(achievement_id__in=achievements) | Q(demand_id__in=demands))
    if not _signed_in(user):
        return base.filter(access="listing")
    orgs = member_organization_ids(user)
    accepted = Interest.objects.filter(organization_id__in=orgs, status=InterestStatus.ACCEPTED)
    party = (
        Q(achievement__organization_id__in=orgs)
        | Q(demand__organization_id__in=orgs)
        | Q(achievement_id__in=accepted.filter(achievement__isnull=False).values("achievement_id"))
        | Q(demand_id__in=accepted.filter(demand__isnull=False).values("demand_id"))
    )
    return base.filter(Q(access="listing") | party)


# --- predicates --------------------------------------------------------------------------------------


def is_member_of(user: Any, organization_id: int | None) -> bool:
    return organization_id is not None and organization_id in member_organization_ids(user)


@predicate
def is_operator(user: Any) -> bool:
    return _is_operator(user)


@predicate
def may_author_achievements(user: Any) -> bool:
    return bool(roles_of(user) & ACHIEVEMENT_AUTHOR_ROLES)


@predicate
def may_author_demands(user: Any) -> bool:
    return bool(roles_of(user) & DEMAND_AUTHOR_ROLES)


@predicate
def may_express_interest(user: Any) -> bool:
    return bool(roles_of(user) & INTEREST_ROLES)


@predicate
def may_read_deal_board(user: Any) -> bool:
    return bool(roles_of(user) & DEAL_READER_ROLES)


@predicate
def is_listing_owner(user: Any, listing: Any) -> bool:
    return listing is not None and is_member_of(user, listing.organization_id)


@predicate
def is_editable(user: Any, listing: Any) -> bool:
    return listing is not None and listing.status in EDITABLE_STATUSES


def listing_is_open(listing: Any) -> bool:
    if isinstance(listing, Achievement):
        return listing.status in ACHIEVEMENT_OPEN_STATUSES
    return listing.status in DEMAND_OPEN_STATUSES


@predicate
def is_interest_listing_owner(user: Any, interest: Interest | None) -> bool:
    return interest is not None and is_member_of(user, interest.listing.organization_id)


@predicate
def is_interest_requester(user: Any, interest: Interest | None) -> bool:
    return interest is not None and is_member_of(user, interest.organization_id)


@predicate
def is_deal_party(user: Any, deal: Deal | None) -> bool:
    return deal is not None and (is_member_of(user, deal.supplier_id) or is_member_of(user, deal.buyer_id))


can_create_achievement = may_author_achievements
can_create_demand = may_author_demands
can_change_listing = is_operator | (is_listing_owner & is_editable)
can_review_listing = is_operator
can_express_interest = may_express_interest
can_respond_interest = is_interest_listing_owner
can_withdraw_interest = is_interest_requester
can_create_deal = is_operator
can_advance_deal = is_operator
can_note_deal = is_operator | is_deal_party
can_register_contract = is_operator
can_view_matching_board = is_operator
can_view_review_queue = is_operator
can_view_deal_board = may_read_deal_board | may_express_interest


def can_view_contact(user: Any, listing: Any) -> bool:
    """The owner's contact details: the owner, operators, and organizations whose interest in this
    listing the owner accepted (docs/reliability.md D1)."""
    if listing is None or not _signed_in(user):
        return False
    if _is_operator(user) or is_member_of(user, listing.organization_id):
        return True
    orgs = member_organization_ids(user)
    if not orgs:
        return False
    lookup = {"achievement": listing} if isinstance(listing, Achievement) else {"demand": listing}
    return Interest.objects.filter(
        organization_id__in=orgs, status=InterestStatus.ACCEPTED, **lookup
    ).exists()


add_perm("transfer.create_achievement", can_create_achievement)
add_perm("transfer.create_demand", can_create_demand)
add_perm("transfer.review_listing", can_review_listing)
add_perm("transfer.express_interest", can_express_interest)
add_perm("transfer.open_deal", can_create_deal)
add_perm("transfer.move_deal", can_advance_deal)
add_perm("transfer.register_contract", can_register_contract)
add_perm("transfer.view_matching_board", can_view_matching_board)

# The approved role × action table (docs/reliability.md B3). tests/transfer/test_permissions.py evaluates the
# predicates for every role and compares the result with this table.
PERMISSION_TABLE: dict[str, frozenset[str]] = {
    "transfer.create_achievement": frozenset({Role.INSTITUTE, Role.ENTERPRISE}),
    "transfer.create_demand": frozenset({Role.ENTERPRISE}),
    "transfer.review_listing": frozenset({Role.OPERATOR}),
    "transfer.express_interest": frozenset({Role.INSTITUTE, Role.ENTERPRISE}),
    "transfer.open_deal": frozenset({Role.OPERATOR}),
    "transfer.move_deal": frozenset({Role.OPERATOR}),
    "transfer.register_contract": frozenset({Role.OPERATOR}),
    "transfer.view_matching_board": frozenset({Role.OPERATOR}),
}
