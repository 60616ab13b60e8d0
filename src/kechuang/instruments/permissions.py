"""Who may see and change shared-instrument records: visibility querysets and rules predicates.

Actors:
- anyone (even anonymous) reads the catalogue of instruments that are not retired, with their rate cards;
- an owner is a member, with the institute or provider role, of the organization that owns an
  instrument: it edits the instrument, trains users, blocks time, approves, checks in and out, handles
  sample requests;
- operators run the platform: they register instruments for any owner and may act as an owner;
- any member of a non-government organization books machine time and submits sample requests for it
  (an enterprise the district's rate, another institute or provider the outside rate, the owner's own
  staff the internal rate);
- leaders read everything; a commissioner reads the bookings of the enterprises they serve
  (docs/reliability.md L2).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kechuang.accounts.choices import Role
from kechuang.accounts.roles import roles_of
from kechuang.core.predicates import add_perm, predicate
from kechuang.directory.permissions import STAFF_ORGANIZATION_KINDS

from .choices import InstrumentStatus
from .models import Booking, Instrument, Invoice, SampleRequest

OWNER_ROLES = frozenset({Role.INSTITUTE, Role.PROVIDER})


def signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _memberships(user: Any) -> list[tuple[int, str]]:
    """(organization id, kind) of the user's memberships, read once per user object."""
    if not signed_in(user):
        return []
    cached = getattr(user, "_instrument_memberships", None)
    if cached is None:
        loaded = getattr(user, "_memberships_cache", None)  # the request's principal (accounts.principal)
        if loaded is not None:
            cached = [(m.organization_id, m.organization.kind) for m in loaded]
        else:
            cached = list(user.memberships.values_list("organization_id", "organization__kind"))
        user._instrument_memberships = cached
    return cached


def member_organization_ids(user: Any) -> set[int]:
    """Organizations the user acts for; a government unit grants nothing by itself (L2)."""
    return {org for org, kind in _memberships(user) if kind not in STAFF_ORGANIZATION_KINDS}


def owner_organization_ids(user: Any) -> set[int]:
    """Organizations whose instruments the user manages (institute or provider role and a membership)."""
    if not roles_of(user) & OWNER_ROLES:
        return set()
    return member_organization_ids(user)


def is_operator_user(user: Any) -> bool:
    return Role.OPERATOR in roles_of(user)


def reads_all(user: Any) -> bool:
    return bool(roles_of(user) & {Role.OPERATOR, Role.LEADER})


def served_organization_ids(user: Any) -> set[int]:
    if Role.COMMISSIONER not in roles_of(user):
        return set()
    from kechuang.servicedesk.permissions import assigned_organization_ids

    return assigned_organization_ids(user)


# --- visibility ----------------------------------------------------------------------------------


def instrument_visible_to(user: Any) -> QuerySet[Instrument]:
    """The public catalogue: every instrument not retired; owners and operators also see retired ones."""
    qs = Instrument.objects.all()
    if reads_all(user):
        return qs
    owned = owner_organization_ids(user)
    return qs.filter(~Q(status=InstrumentStatus.RETIRED) | Q(owner__in=owned))


def _scoped(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    if not signed_in(user):
        return qs.none()
    if reads_all(user):
        return qs
    orgs = member_organization_ids(user) | served_organization_ids(user)
    return qs.filter(Q(organization__in=orgs) | Q(instrument__owner__in=owner_organization_ids(user)))


def booking_visible_to(user: Any) -> QuerySet[Booking]:
    """Operators and leaders see every booking; a member those of its organization; an owner those of
    its instruments; a commissioner those of the enterprises they serve."""
    return _scoped(Booking.objects.all(), user)


def sample_request_visible_to(user: Any) -> QuerySet[SampleRequest]:
    return _scoped(SampleRequest.objects.all(), user)


def invoice_visible_to(user: Any) -> QuerySet[Invoice]:
    """Operators and leaders see every invoice; the owner's members those it issued; the payer's members
    those addressed to their organization."""
    if not signed_in(user):
        return Invoice.objects.none()
    if reads_all(user):
        return Invoice.objects.all()
    return Invoice.objects.filter(
        Q(owner__in=owner_organization_ids(user)) | Q(payer__in=member_organization_ids(user))
    )


# --- predicates ----------------------------------------------------------------------------------


@predicate
def is_operator(user: Any) -> bool:
    return is_operator_user(user)


@predicate
def owns_instrument(user: Any, instrument: Instrument | None) -> bool:
    """A member (institute or provider role) of the owner; with no object: an owner of some instruments."""
    owned = owner_organization_ids(user)
    if instrument is None:
        return bool(owned)
    return instrument.owner_id in owned


@predicate
def owns_instrument_of(user: Any, obj: Booking | SampleRequest | None) -> bool:
    if obj is None:
        return bool(owner_organization_ids(user))
    return Instrument.objects.filter(pk=obj.instrument_id, owner__in=owner_organization_ids(user)).exists()


@predicate
def acts_for_some_organization(user: Any) -> bool:
    return bool(member_organization_ids(user))


@predicate
def member_of_requester(user: Any, obj: Booking | SampleRequest | None) -> bool:
    return obj is not None and obj.organization_id in member_organization_ids(user)


can_manage_instrument = is_operator | owns_instrument
can_register_instrument = is_operator | owns_instrument
can_book = acts_for_some_organization
can_handle_booking = is_operator | owns_instrument_of  # approve, reject, check in/out, no-show
can_cancel_booking = member_of_requester | is_operator | owns_instrument_of
can_confirm_sample = member_of_requester
can_issue_invoice = is_operator | owns_instrument_of  # for a booking or a sample request

add_perm("instruments.change_instrument", can_manage_instrument)
add_perm("instruments.add_instrument", can_register_instrument)
add_perm("instruments.book_instrument", can_book)
add_perm("instruments.handle_booking", can_handle_booking)
add_perm("instruments.cancel_booking", can_cancel_booking)
add_perm("instruments.confirm_samplerequest", can_confirm_sample)
add_perm("instruments.issue_invoice", can_issue_invoice)
