"""docs/reliability.md B2/B3: the instruments role × action matrix, generated from the code (every
``instruments.*`` rule, evaluated for one user per role on an object of its own organization and of
another's), compared with the approved matrix below; and IDOR: another organization's bookings and
sample requests are neither visible nor changeable, and a refused call changes nothing.

Scopes: "-" no object; "own" the user's own organization's instrument or booking; "other" another's."""

from __future__ import annotations

import datetime as dt

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from instruments_helpers import make_instrument, next_weekday_at

from kechuang.accounts.choices import Role
from kechuang.instruments import permissions as perms
from kechuang.instruments import services
from kechuang.instruments.choices import BookingStatus, SampleStatus
from kechuang.instruments.models import Booking, Instrument, SampleRequest
from kechuang.testing.factories import InstituteFactory, OrganizationFactory, user_with_role
from matrix_roles import MATRIX_ROLES

pytestmark = pytest.mark.django_db

ROLES = MATRIX_ROLES
NOBODY: frozenset[str] = frozenset()


def cells(dash=(), own=(), other=()):
    return {"-": frozenset(dash), "own": frozenset(own), "other": frozenset(other)}


MEMBERS = ("institute", "enterprise", "provider")
APPROVED = {
    "instruments.add_instrument": cells(
        ("operator", "institute", "provider"), ("operator", "institute"), ("operator",)
    ),
    "instruments.change_instrument": cells(
        ("operator", "institute", "provider"), ("operator", "institute"), ("operator",)
    ),
    "instruments.book_instrument": cells(MEMBERS, MEMBERS, MEMBERS),
    "instruments.handle_booking": cells(
        ("operator", "institute", "provider"), ("operator", "institute"), ("operator",)
    ),
    "instruments.cancel_booking": cells(
        ("operator", "institute", "provider"), ("operator", "institute", "enterprise"), ("operator",)
    ),
    "instruments.confirm_samplerequest": cells((), ("enterprise",), ()),
    # the invoice of a directly paid charge: issued and marked paid by the owner (or an operator)
    "instruments.issue_invoice": cells(
        ("operator", "institute", "provider"), ("operator", "institute"), ("operator",)
    ),
}


@pytest.fixture
def world(db, district_office):
    institute = InstituteFactory(name="中国科学院上海光学精密机械研究所")
    other_institute = InstituteFactory(name="中国科学院上海硅酸盐研究所")
    enterprise = OrganizationFactory(name="上海菊园光电科技有限公司")
    other_enterprise = OrganizationFactory(name="上海嘉定微纳科技有限公司")
    provider = OrganizationFactory(kind="provider", name="上海菊园检测服务有限公司", uscc=None)
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
    own_instrument = make_instrument(institute, name="飞秒激光器")
    other_instrument = make_instrument(other_institute, name="X射线衍射仪")
    start = next_weekday_at(9)

    def booking(instrument, org, user, hours):
        return Booking.objects.create(
            code=f"YY-T-{instrument.pk}-{hours}",
            instrument=instrument,
            organization=org,
            user=user,
            start_at=start + dt.timedelta(hours=hours),
            end_at=start + dt.timedelta(hours=hours + 1),
            status=BookingStatus.CONFIRMED,
            user_class="district",
        )

    other_user = user_with_role(Role.ENTERPRISE, other_enterprise, username="m-ent2")
    return {
        "users": users,
        "own_instrument": own_instrument,
        "other_instrument": other_instrument,
        # the enterprise's booking on the institute's instrument: "own" for both of them
        "own_booking": booking(own_instrument, enterprise, users["enterprise"], 0),
        "other_booking": booking(other_instrument, other_enterprise, other_user, 2),
        "own_sample": SampleRequest.objects.create(
            code="WT-T-1",
            instrument=own_instrument,
            organization=enterprise,
            sample_count=1,
            sample_description="样品",
            user_class="district",
        ),
        "other_sample": SampleRequest.objects.create(
            code="WT-T-2",
            instrument=other_instrument,
            organization=other_enterprise,
            sample_count=1,
            sample_description="样品",
            user_class="district",
        ),
        "other_user": other_user,
        "enterprise": enterprise,
    }


def _objects(world, permission):
    if permission in (
        "instruments.add_instrument",
        "instruments.change_instrument",
        "instruments.book_instrument",
    ):
        return world["own_instrument"], world["other_instrument"]
    if permission == "instruments.confirm_samplerequest":
        return world["own_sample"], world["other_sample"]
    return world["own_booking"], world["other_booking"]


def test_the_role_matrix_matches_the_approved_one(world):
    found = {}
    for permission in sorted(
        name for name in rules.permissions.permissions if name.startswith("instruments.")
    ):
        own, other = _objects(world, permission)
        found[permission] = {
            scope: frozenset(role for role in ROLES if rules.has_perm(permission, world["users"][role], obj))
            for scope, obj in (("-", None), ("own", own), ("other", other))
        }
    assert found == APPROVED


def test_another_enterprise_sees_none_of_the_bookings_and_samples(world):
    other_user = world["other_user"]
    assert list(perms.booking_visible_to(other_user)) == [world["other_booking"]]
    assert list(perms.sample_request_visible_to(other_user)) == [world["other_sample"]]
    assert not perms.booking_visible_to(AnonymousUser()).exists()
    owner = world["users"]["institute"]
    assert list(perms.booking_visible_to(owner)) == [world["own_booking"]]
    assert set(perms.booking_visible_to(world["users"]["leader"])) == {
        world["own_booking"],
        world["other_booking"],
    }
    assert not perms.booking_visible_to(world["users"]["sysadmin"]).exists()


def test_refused_calls_on_another_organizations_objects_change_nothing(world):
    other_user = world["other_user"]
    owner = world["users"]["institute"]
    booking = world["own_booking"]
    for call in (
        lambda: services.booking_cancel(actor=other_user, booking=booking),
        lambda: services.booking_check_in(actor=other_user, booking=booking, now=booking.start_at),
        lambda: services.booking_no_show(actor=owner, booking=world["other_booking"], now=booking.end_at),
        lambda: services.booking_confirm_charge(actor=other_user, booking=booking),
        lambda: services.sample_request_accept(actor=owner, sample_request=world["other_sample"]),
        lambda: services.sample_request_cancel(actor=other_user, sample_request=world["own_sample"]),
        lambda: services.rate_set(
            actor=owner, instrument=world["other_instrument"], user_class="district", unit="hour", price_fen=1
        ),
        lambda: services.instrument_set_status(
            actor=world["users"]["enterprise"], instrument=world["own_instrument"], status="retired"
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 2
    assert SampleRequest.objects.filter(status=SampleStatus.SUBMITTED).count() == 2
    assert Instrument.objects.filter(status="in_service").count() == 2


def test_the_catalogue_is_public_but_hides_retired_instruments(world):
    retired = make_instrument(world["other_instrument"].owner, name="旧光谱仪", status="retired")
    public = set(perms.instrument_visible_to(AnonymousUser()))
    assert world["own_instrument"] in public and retired not in public
    assert retired in set(perms.instrument_visible_to(world["users"]["operator"]))
