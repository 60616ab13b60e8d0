"""Leads: duplicates, owners, stages with their evidence, landing at 注册 in one transaction, lost and
withdrawn (issue 18 items 1–4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from inv_helpers import advance, lead_input

from kechuang.core.audit import AuditEvent
from kechuang.core.errors import Conflict
from kechuang.directory.models import Organization
from kechuang.investment import services
from kechuang.investment.choices import LeadStage
from kechuang.investment.models import Lead, StageEvidence
from kechuang.servicedesk.choices import AssignmentRole
from kechuang.servicedesk.models import Assignment, Plan
from kechuang.spaces import services as space_services
from kechuang.spaces.choices import ReservationStatus, SpaceType, UnitStatus
from kechuang.spaces.models import SpaceUnit
from kechuang.testing.factories import make_uscc

pytestmark = pytest.mark.django_db


def landing_snapshot() -> tuple:
    return (
        Organization.objects.count(),
        Assignment.objects.count(),
        Plan.objects.count(),
        list(Lead.objects.order_by("pk").values_list("stage", "organization_id", "uscc")),
        StageEvidence.objects.count(),
    )


def to_signed(actor, lead):
    lead = advance(actor, lead, "团队技术领先，市场空间大，建议引进。")
    lead = advance(actor, lead, "意向书：投资 8000 万元，租用洁净厂房 600㎡。")
    return advance(actor, lead, "投资协议已签署。")


@pytest.fixture
def unit(block):
    from kechuang.directory.models import Building

    building = Building.objects.create(code="btit-fab", name="生物半导体洁净厂房", block=block)
    return SpaceUnit.objects.create(
        code="btit-fab-101",
        building=building,
        unit_code="101",
        floor=1,
        area_m2=Decimal("600"),
        space_type=SpaceType.CLEANROOM,
        rent_fen_per_m2_day=450,
        power_kw=300,
        status=UnitStatus.VACANT,
    )


def test_lead_gets_a_code_and_clocks_on_working_days(lead):
    assert lead.code.startswith("ZS-2026-")
    assert lead.stage == LeadStage.LEAD and lead.normalized_name == "芯途生物芯片"
    # received Monday 2026-03-16 10:00: acknowledge by Tuesday 10:00, assess by Thursday, feedback by the
    # next Monday, update within ten working days (two weeks later)
    local = lambda moment: moment.astimezone(services.clock.TZ).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    assert local(lead.acknowledge_due_at) == "2026-03-17 10:00"
    assert local(lead.assessment_due_at) == "2026-03-19 10:00"
    assert local(lead.feedback_due_at) == "2026-03-23 10:00"
    assert local(lead.update_due_at) == "2026-03-30 10:00"


def test_duplicate_name_is_refused_with_the_existing_code(lead, operator):
    with pytest.raises(Conflict) as refused:
        services.lead_create(actor=operator, data=lead_input("芯途 生物芯片研发团队（有限公司）"))
    assert lead.code in refused.value.text and "疑似重复" in refused.value.text
    assert Lead.objects.count() == 1


def test_duplicate_uscc_is_refused_and_a_confirmed_duplicate_is_flagged(frozen, operator):
    uscc = make_uscc(7)
    first = services.lead_create(actor=operator, data=lead_input("上海芯光科技有限公司", uscc=uscc))
    with pytest.raises(Conflict, match=first.code):
        services.lead_create(actor=operator, data=lead_input("完全不同的名字", uscc=uscc.lower()))
    second = services.lead_create(
        actor=operator, data=lead_input("完全不同的名字", uscc=uscc), allow_duplicate=True
    )
    assert second.duplicate_of == first


def test_a_bad_uscc_on_a_lead_is_refused(frozen, operator):
    with pytest.raises(ValidationError, match="校验位"):
        services.lead_create(actor=operator, data=lead_input(uscc="91310114MA1GT0000X"))


def test_only_district_staff_create_leads(frozen, enterprise_user, institute_user):
    for user in (enterprise_user, institute_user):
        with pytest.raises(PermissionDenied):
            services.lead_create(actor=user, data=lead_input())
    assert not Lead.objects.exists()


def test_owners_must_hold_the_right_roles(lead, operator, enterprise_user, leader, commissioner):
    with pytest.raises(ValidationError, match="班子领导"):
        services.lead_assign(actor=operator, lead=lead, leader=commissioner, case_officer=commissioner)
    with pytest.raises(ValidationError, match="项目专员"):
        services.lead_assign(actor=operator, lead=lead, leader=leader, case_officer=enterprise_user)
    with pytest.raises(PermissionDenied):
        services.lead_assign(actor=leader, lead=lead, leader=leader, case_officer=commissioner)


def test_each_stage_needs_its_evidence(lead, commissioner):
    with pytest.raises(ValidationError, match="研判意见"):
        advance(commissioner, lead, "  ")
    lead = to_signed(commissioner, lead)
    assert lead.stage == LeadStage.SIGNED
    assert list(lead.evidence.values_list("kind", flat=True)) == [
        "assessment_note",
        "term_sheet",
        "agreement",
    ]
    with pytest.raises(ValidationError, match="营业执照"):
        advance(commissioner, lead, "执照已领取")  # no USCC


def test_a_staff_member_who_does_not_own_the_lead_cannot_move_it(lead, frozen, district_office):
    from kechuang.accounts.choices import Role
    from kechuang.testing.factories import user_with_role

    stranger = user_with_role(Role.COMMISSIONER, district_office, username="comm2")
    with pytest.raises(PermissionDenied):
        advance(stranger, lead, "研判")
    lead.refresh_from_db()
    assert lead.stage == LeadStage.LEAD


def test_lead_goes_from_lead_to_settled_and_lands_at_registration_in_one_step(
    lead, commissioner, leader, operator, unit
):
    lead = to_signed(commissioner, lead)
    uscc = make_uscc(42)
    lead = advance(commissioner, lead, "营业执照已核发", uscc=uscc.lower())
    assert lead.stage == LeadStage.REGISTERED
    organization = lead.organization
    assert organization.uscc == uscc and organization.name == lead.name and organization.is_key
    assert list(organization.fields.all()) == [lead.cluster] and organization.block == lead.block
    current = Assignment.objects.filter(organization=organization, ended_at__isnull=True)
    assert {(a.role, a.user) for a in current} == {
        (AssignmentRole.COMMISSIONER, commissioner),
        (AssignmentRole.LEADER, leader),
    }
    plan = Plan.objects.get(organization=organization)
    assert lead.code in plan.summary
    assert sorted(plan.items.values_list("text", flat=True)) == sorted(
        [
            "招商时提出的政策诉求：首年租金减免与天使轮对接",
            "招商时提出的融资诉求：首年租金减免与天使轮对接",
        ]
    )
    assert AuditEvent.objects.filter(action="investment.lead.land", object_id=str(lead.pk)).count() == 1

    # 入驻 needs a lease: reserve from the lead, then the operator signs
    with pytest.raises(ValidationError, match="租约"):
        advance(commissioner, lead, "已入驻")
    start = dt.date(2026, 4, 1)
    reservation = services.lead_reserve_unit(
        actor=operator, lead=lead, unit=unit, start_date=start, end_date=start + dt.timedelta(days=1094)
    )
    assert reservation.organization == organization and reservation.status == ReservationStatus.ACTIVE
    lease = space_services.lease_sign(
        actor=operator,
        unit=unit,
        organization=organization,
        start_date=reservation.start_date,
        end_date=reservation.end_date,
        reservation=reservation,
    )
    lead = advance(commissioner, lead, "4 月 1 日入驻洁净厂房")
    assert lead.stage == LeadStage.SETTLED
    assert lead.evidence.get(stage=LeadStage.SETTLED).lease == lease
    with pytest.raises(ValidationError, match="首笔产出"):
        advance(commissioner, lead, "已投产")
    lead = advance(commissioner, lead, "首批芯片交付", amount_fen=1_200_000_00)
    assert lead.stage == LeadStage.PRODUCING


def test_a_bad_uscc_refuses_registration_and_changes_nothing(lead, commissioner):
    lead = to_signed(commissioner, lead)
    before = landing_snapshot()
    with pytest.raises(ValidationError, match="校验位"):
        advance(commissioner, lead, "营业执照", uscc="91310114MA1GT0000X")
    assert landing_snapshot() == before


def test_a_uscc_already_in_the_directory_refuses_registration_and_changes_nothing(
    lead, commissioner, enterprise_org
):
    lead = to_signed(commissioner, lead)
    before = landing_snapshot()
    with pytest.raises(ValidationError, match=enterprise_org.name):
        advance(commissioner, lead, "营业执照", uscc=enterprise_org.uscc)
    assert landing_snapshot() == before


def test_a_failure_after_the_organization_is_created_rolls_the_whole_landing_back(
    lead, commissioner, monkeypatch
):
    """The commissioner assignment fails after the organization row was written: nothing stays."""
    lead = to_signed(commissioner, lead)
    before = landing_snapshot()
    from kechuang.servicedesk import services as desk

    def broken(**kwargs):
        raise ValidationError("模拟失败")

    monkeypatch.setattr(desk, "plan_update", broken)
    with pytest.raises(ValidationError, match="模拟失败"):
        advance(commissioner, lead, "营业执照", uscc=make_uscc(43))
    assert landing_snapshot() == before


def test_registration_needs_a_commissioner(frozen, operator, leader):
    lead = services.lead_create(actor=operator, data=lead_input(), leader=leader, case_officer=operator)
    lead = to_signed(operator, lead)
    with pytest.raises(ValidationError, match="服务专员"):
        advance(operator, lead, "营业执照", uscc=make_uscc(44))


def test_lost_and_withdrawn_need_a_reason_from_the_list_and_end_the_lead(
    lead, other_lead, commissioner, operator
):
    with pytest.raises(ValidationError, match="原因"):
        services.lead_close(actor=commissioner, lead=lead, outcome=LeadStage.LOST, reason_code="", reason="x")
    with pytest.raises(ValidationError, match="原因"):
        services.lead_close(
            actor=commissioner, lead=lead, outcome=LeadStage.LOST, reason_code="moon", reason="x"
        )
    with pytest.raises(ValidationError, match="原因说明"):  # 其他 needs its text
        services.lead_close(
            actor=commissioner, lead=lead, outcome=LeadStage.LOST, reason_code="other", reason=" "
        )
    lead = services.lead_close(
        actor=commissioner,
        lead=lead,
        outcome=LeadStage.LOST,
        reason_code="elsewhere",
        reason="选择了苏州工业园",
    )
    assert lead.stage == LeadStage.LOST and lead.closed_from_stage == LeadStage.LEAD
    assert (lead.closed_reason_code, lead.closed_reason) == ("elsewhere", "选择了苏州工业园")
    with pytest.raises(ValidationError, match="流失"):
        advance(commissioner, lead, "研判")
    other = services.lead_close(
        actor=operator, lead=other_lead, outcome=LeadStage.WITHDRAWN, reason_code="own"
    )
    assert other.stage == LeadStage.WITHDRAWN


def test_a_reservation_needs_a_registered_firm(lead, operator, unit):
    with pytest.raises(ValidationError, match="注册落地"):
        services.lead_reserve_unit(
            actor=operator, lead=lead, unit=unit, start_date=dt.date(2026, 4, 1), end_date=dt.date(2026, 5, 1)
        )
