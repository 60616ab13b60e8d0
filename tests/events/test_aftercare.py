"""After the prize (issue 17, item 5): a winner is offered, in one step, a commissioner (the service desk's
assignment service), a space request (the spaces' service) and a voucher application (the vouchers'
service); for twelve months the platform tracks whether winners are located in the district, took space
and raised money (roadshow outcomes), and the 科技企业孵化 height's figures equal hand counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from roadshow_helpers import finish, investor, roadshow_world

from kechuang.core.models import AuditEvent
from kechuang.directory.models import Block
from kechuang.events import selectors, services
from kechuang.events.choices import AftercareStatus, OutcomeKind
from kechuang.events.models import Aftercare, RoadshowOutcome
from kechuang.insights.kpis import compute, get_kpi
from kechuang.servicedesk.models import Assignment
from kechuang.spaces.models import SpaceRequest
from kechuang.vouchers import factories as voucher_factories
from kechuang.vouchers.models import Application

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(roadshow):
    data = roadshow
    finish(data["competition"], {data["a"]: 1, data["b"]: 2})
    for key in ("competition", "a", "b"):
        data[key].refresh_from_db()
    return data


def test_a_winner_gets_a_commissioner_then_files_space_and_voucher_in_one_step(
    world, operator, commissioner, enterprise_user, enterprise_org
):
    scheme = voucher_factories.make_scheme(operator=operator)
    aftercare = services.aftercare_offer(actor=operator, entry=world["a"], commissioner=commissioner)
    assignment = Assignment.objects.get(organization=enterprise_org, ended_at__isnull=True)
    assert aftercare.assignment == assignment and assignment.user == commissioner
    with pytest.raises(ValidationError, match="已为该获奖项目"):
        services.aftercare_offer(actor=operator, entry=world["a"], commissioner=commissioner)
    aftercare = services.aftercare_accept(
        actor=enterprise_user,
        aftercare=aftercare,
        space=services.SpaceAsk(title="快检产线用房", area_min_m2=Decimal(300), area_max_m2=Decimal(600)),
        voucher=services.VoucherAsk(scheme=scheme, requested_fen=500_000, purpose="检测认证与知识产权服务"),
    )
    assert aftercare.status == AftercareStatus.ACCEPTED
    request = SpaceRequest.objects.get(organization=enterprise_org)
    application = Application.objects.get(enterprise=enterprise_org)
    assert aftercare.space_request == request and aftercare.voucher_application == application
    # filed by the modules' own services: their audit records, not a copy
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"assignment.set", "spaces.request.create", "vouchers.application.submit"} <= actions
    with pytest.raises(PermissionDenied):  # answered once
        services.aftercare_accept(actor=enterprise_user, aftercare=aftercare)


def test_a_refused_part_files_neither(world, operator, commissioner, enterprise_user):
    scheme = voucher_factories.make_scheme(operator=operator)
    aftercare = services.aftercare_offer(actor=operator, entry=world["a"], commissioner=commissioner)
    with pytest.raises(ValidationError):
        services.aftercare_accept(
            actor=enterprise_user,
            aftercare=aftercare,
            space=services.SpaceAsk(title="用房", area_min_m2=Decimal(300), area_max_m2=Decimal(600)),
            voucher=services.VoucherAsk(scheme=scheme, requested_fen=10**12, purpose="超过单户上限"),
        )
    assert not SpaceRequest.objects.exists() and not Application.objects.exists()
    assert Aftercare.objects.get().status == AftercareStatus.OFFERED


def test_only_operators_offer_and_only_the_winner_answers(
    world, operator, commissioner, enterprise_user, other_enterprise_user, institute_org
):
    with pytest.raises(PermissionDenied):
        services.aftercare_offer(actor=enterprise_user, entry=world["a"], commissioner=commissioner)
    with pytest.raises(ValidationError, match="请选择一位"):  # no commissioner yet, none named
        services.aftercare_offer(actor=operator, entry=world["a"])
    with pytest.raises(ValidationError, match="结果生效后"):
        services.aftercare_offer(actor=operator, entry=world["c"], commissioner=commissioner)
    aftercare = services.aftercare_offer(actor=operator, entry=world["a"], commissioner=commissioner)
    with pytest.raises(PermissionDenied):
        services.aftercare_accept(actor=other_enterprise_user, aftercare=aftercare)
    declined = services.aftercare_accept(actor=enterprise_user, aftercare=aftercare)
    assert declined.status == AftercareStatus.DECLINED and declined.space_request is None


def test_an_institute_winner_is_not_offered_enterprise_services(
    operator, district_office, institute_user, institute_org, enterprise_user, enterprise_org, commissioner
):
    data = roadshow_world(
        operator, district_office, institute_user, institute_org, enterprise_user, enterprise_org
    )
    finish(data["competition"], {data["a"]: 1})
    data["a"].refresh_from_db()
    with pytest.raises(ValidationError, match="面向企业"):
        services.aftercare_offer(actor=operator, entry=data["a"], commissioner=commissioner)


def test_twelve_months_after_the_result_no_offer_is_made(world, operator, commissioner):
    finish(world["competition"], {world["a"]: 1}, final_on=timezone.localdate() - dt.timedelta(days=400))
    world["a"].refresh_from_db()
    with pytest.raises(ValidationError, match="十二个月"):
        services.aftercare_offer(actor=operator, entry=world["a"], commissioner=commissioner)


def test_the_after_prize_pages_and_api(
    client, world, operator, commissioner, enterprise_user, other_enterprise_user
):
    scheme = voucher_factories.make_scheme(operator=operator)
    client.force_login(operator)
    detail = reverse("events:competition-detail", args=[world["competition"].code])
    assert "一键提供赛后服务" in client.get(detail).content.decode()
    client.post(
        reverse("events:competition-action", args=[world["competition"].code, "aftercare"]),
        {"entry": world["a"].code, "commissioner": commissioner.pk},
    )
    assert Aftercare.objects.filter(entry=world["a"]).exists()
    page = reverse("events:aftercare", args=[world["a"].code])
    client.force_login(other_enterprise_user)
    assert client.get(page).status_code == 404
    assert client.post(page, {"decline": "1"}).status_code == 404
    client.force_login(enterprise_user)
    assert commissioner.display_name in client.get(page).content.decode()
    response = client.post(
        page,
        {
            "want_space": "on",
            "space_title": "产线用房",
            "area_min_m2": "200",
            "area_max_m2": "400",
            "want_voucher": "on",
            "scheme": scheme.pk,
            "requested_yuan": "5000",
            "purpose": "检测认证",
        },
    )
    assert response.status_code == 302
    aftercare = Aftercare.objects.get(entry=world["a"])
    assert aftercare.space_request is not None and aftercare.voucher_application.requested_fen == 500_000
    filed = client.get(page).content.decode()
    assert reverse("spaces:request-detail", args=[aftercare.space_request.code]) in filed
    assert reverse("vouchers:application-detail", args=[aftercare.voucher_application.code]) in filed
    api = APIClient()
    api.force_authenticate(enterprise_user)
    assert api.get(f"/api/v1/competitions/aftercare/{world['a'].code}/").json()["status"] == "accepted"
    api.force_authenticate(other_enterprise_user)
    assert api.get(f"/api/v1/competitions/aftercare/{world['a'].code}/").status_code == 404


def test_the_offer_and_the_answer_through_the_api(world, operator, commissioner, enterprise_user):
    api = APIClient()
    api.force_authenticate(enterprise_user)
    url = f"/api/v1/competitions/{world['competition'].code}/aftercare/"
    assert (
        api.post(url, {"entry": world["a"].code, "commissioner": commissioner.pk}, format="json").status_code
        == 403
    )
    api.force_authenticate(operator)
    offered = api.post(url, {"entry": world["a"].code, "commissioner": commissioner.pk}, format="json")
    assert offered.status_code == 201 and offered.json()["commissioner"] == str(commissioner)
    api.force_authenticate(enterprise_user)
    answered = api.post(
        f"/api/v1/competitions/aftercare/{world['a'].code}/answer/",
        {"space": {"title": "用房", "area_min_m2": "100", "area_max_m2": "150"}, "voucher": None},
        format="json",
    )
    assert answered.status_code == 200 and answered.json()["space_request"].startswith("SR")


# --- twelve months of follow-up and the incubation figures ---------------------------------------------


def value(code: str, year: int) -> Decimal | int:
    kpi = get_kpi(code)
    assert kpi is not None, code
    return compute(kpi, year).actual or 0


def test_followup_and_incubation_figures_equal_hand_counts(
    world, operator, enterprise_org, other_enterprise_org, enterprise_user
):
    from kechuang.spaces.models import Lease
    from kechuang.testing.factories import OrganizationFactory

    year = timezone.localdate().year
    block = Block.objects.create(code="juzhong", name="菊中", sort_order=1)
    enterprise_org.block = block
    enterprise_org.save(update_fields=["block"])  # winner a is located in the district, b is not
    fund_org, fund_member = investor("上海天图创业投资管理有限公司", "vc")
    a, b = world["a"], world["b"]
    services.interest_register(actor=fund_member, entry=a, investor=fund_org)
    services.interest_register(actor=fund_member, entry=b, investor=fund_org)
    today = timezone.localdate()
    # counted: two investments in a (3 000 万 + 500 万), one in b (1 000 万); not counted: a term sheet,
    # and an investment in the eliminated entry c
    for entry, kind, fen in (
        (a, OutcomeKind.INVESTED, 3_000 * 1_000_000),
        (a, OutcomeKind.INVESTED, 500 * 1_000_000),
        (b, OutcomeKind.INVESTED, 1_000 * 1_000_000),
        (a, OutcomeKind.TERM_SHEET, 9_000 * 1_000_000),
    ):
        services.outcome_record(
            actor=operator, entry=entry, investor=fund_org, kind=kind, amount_fen=fen, occurred_on=today
        )
    RoadshowOutcome.objects.create(
        code="TR-TEST-1",
        entry=world["c"],
        investor=fund_org,
        kind=OutcomeKind.INVESTED,
        amount_fen=10**8,
        occurred_on=today,
    )
    # one lease for winner a signed today (counted), one of a non-winner (not counted)
    lease_a = _lease(enterprise_org, today)
    _lease(OrganizationFactory(), today)
    hand_raised = sum(
        o.amount_fen
        for o in RoadshowOutcome.objects.filter(
            kind="invested", entry__prize__isnull=False, occurred_on__year=year
        )
    )
    assert hand_raised == 4_500 * 1_000_000
    assert value("incubation.winners_raised", year) == Decimal("4500.00")  # 万元
    assert value("incubation.winners_located", year) == 1
    assert value("incubation.winners_space", year) == 1 and Lease.objects.count() == 2
    rows = {row["entry"].pk: row for row in selectors.winners_followup(world["competition"])}
    assert rows[a.pk]["raised_fen"] == 3_500 * 1_000_000 and rows[b.pk]["raised_fen"] == 1_000 * 1_000_000
    assert rows[a.pk]["in_district"] and not rows[b.pk]["in_district"]
    assert rows[a.pk]["space"] and not rows[b.pk]["space"]
    # after the twelve months nothing more counts
    later = services.followup_end(today) + dt.timedelta(days=1)
    RoadshowOutcome.objects.create(
        code="TR-TEST-2",
        entry=a,
        investor=fund_org,
        kind=OutcomeKind.INVESTED,
        amount_fen=10**9,
        occurred_on=later,
    )
    assert value("incubation.winners_raised", later.year) == 0 or later.year != year
    assert lease_a.pk


def _lease(organization, signed_on):
    """A holding lease signed on the day (the spaces module's own rules are tested there)."""
    from kechuang.directory.models import Building
    from kechuang.spaces.choices import SpaceType, UnitStatus
    from kechuang.spaces.models import Lease, SpaceUnit

    building, _ = Building.objects.get_or_create(
        code="aftercare-hub", defaults={"name": "菊东数字经济产业楼"}
    )
    unit = SpaceUnit.objects.create(
        code=f"aftercare-hub-{organization.pk}",
        building=building,
        unit_code=str(organization.pk),
        floor=1,
        area_m2=Decimal(200),
        space_type=SpaceType.OFFICE,
        rent_fen_per_m2_day=300,
        status=UnitStatus.LEASED,
    )
    return Lease.objects.create(
        code=f"LS-{organization.pk}",
        unit=unit,
        organization=organization,
        start_date=signed_on,
        end_date=signed_on + dt.timedelta(days=365),
        contract_end_date=signed_on + dt.timedelta(days=365),
        rent_fen_per_m2_day=300,
        signed_on=signed_on,
        status="active",
    )
