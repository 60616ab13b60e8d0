"""Achievement and demand workflows: codes, transitions allowed and refused, editing rules, audit."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kechuang.core.models import AuditEvent
from kechuang.transfer import services
from kechuang.transfer.factories import make_achievement, make_demand
from kechuang.transfer.models import Achievement, Demand

pytestmark = pytest.mark.django_db


def test_new_achievement_is_a_draft_with_a_public_code(institute_user, institute_org, fields):
    achievement = services.achievement_create(
        actor=institute_user,
        organization=institute_org,
        fields=[fields["OPT.LASER"]],
        title="超快激光精密加工系统",
        summary="飞秒激光精密加工系统，热影响区小于 5 微米，适用于消费电子玻璃切割。",
        trl=6,
    )
    assert achievement.status == "draft"
    assert re.fullmatch(
        r"CG-\d{4}-\d{6}", achievement.code
    )  # year and sequence (tests/core/test_code_kinds.py)
    assert AuditEvent.objects.filter(action="achievement.create", object_id=str(achievement.pk)).exists()


def test_full_achievement_lifecycle_submit_publish_negotiate_transfer_archive(
    institute_user, operator, institute_org, fields
):
    a = make_achievement(institute_org, status="draft")
    a = services.achievement_submit(actor=institute_user, achievement=a)
    assert a.status == "submitted" and a.submitted_at
    a = services.achievement_review(actor=operator, achievement=a, approve=True)
    assert a.status == "published" and a.published_at and a.reviewed_by == operator
    for target in ("negotiating", "transferred", "archived"):
        a = services.achievement_transition(actor=institute_user, achievement=a, target=target)
        assert a.status == target
    actions = list(
        AuditEvent.objects.filter(object_type="transfer.achievement", object_id=str(a.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "achievement.create",
        "achievement.submit",
        "achievement.publish",
        "achievement.negotiate",
        "achievement.complete",
        "achievement.archive",
    ]


def test_owner_cannot_publish_own_achievement(institute_user, institute_org, fields):
    a = make_achievement(institute_org, status="submitted")
    with pytest.raises(PermissionDenied):
        services.achievement_review(actor=institute_user, achievement=a, approve=True)
    assert Achievement.objects.get(pk=a.pk).status == "submitted"


def test_draft_cannot_jump_to_published(operator, institute_org, fields):
    a = make_achievement(institute_org, status="draft")
    with pytest.raises(ValidationError):
        services.achievement_transition(actor=operator, achievement=a, target="published")
    assert Achievement.objects.get(pk=a.pk).status == "draft"


def test_returning_needs_a_note_and_owner_can_resubmit(operator, institute_user, institute_org, fields):
    a = make_achievement(institute_org, status="submitted")
    with pytest.raises(ValidationError) as error:
        services.achievement_review(actor=operator, achievement=a, approve=False, note="")
    assert "退回" in str(error.value)
    a = services.achievement_review(actor=operator, achievement=a, approve=False, note="请补充技术指标")
    assert a.status == "returned" and a.review_note == "请补充技术指标"
    a = services.achievement_update(actor=institute_user, achievement=a, advantages="焊接速度提高 30%")
    a = services.achievement_submit(actor=institute_user, achievement=a)
    assert a.status == "submitted"


def test_published_listing_cannot_be_edited_by_owner_until_withdrawn(institute_user, institute_org, fields):
    a = make_achievement(institute_org)
    with pytest.raises(PermissionDenied):
        services.achievement_update(actor=institute_user, achievement=a, title="改过的标题不应生效")
    assert Achievement.objects.get(pk=a.pk).title != "改过的标题不应生效"
    a = services.achievement_transition(actor=institute_user, achievement=a, target="draft")
    a = services.achievement_update(actor=institute_user, achievement=a, title="改过的标题已生效")
    assert a.title == "改过的标题已生效"


def test_another_organization_cannot_submit_or_edit(other_enterprise_user, institute_org, fields):
    a = make_achievement(institute_org, status="draft")
    with pytest.raises(PermissionDenied):
        services.achievement_submit(actor=other_enterprise_user, achievement=a)
    with pytest.raises(PermissionDenied):
        services.achievement_update(actor=other_enterprise_user, achievement=a, title="别人改的标题")
    a.refresh_from_db()
    assert a.status == "draft" and a.title != "别人改的标题"


def test_enterprise_may_post_demands_institute_may_not(
    enterprise_user, enterprise_org, institute_user, institute_org, fields
):
    d = services.demand_create(
        actor=enterprise_user,
        organization=enterprise_org,
        title="视觉检测需求",
        summary="需要一套车身焊点视觉检测设备，漏检率低于千分之一。",
    )
    assert d.code.startswith("XQ-") and d.status == "draft"
    with pytest.raises(PermissionDenied):
        services.demand_create(
            actor=institute_user,
            organization=institute_org,
            title="院所的需求",
            summary="院所不能发布企业技术需求。",
        )


def test_user_cannot_post_for_an_organization_they_do_not_belong_to(
    enterprise_user, other_enterprise_org, fields
):
    with pytest.raises(PermissionDenied):
        services.demand_create(
            actor=enterprise_user,
            organization=other_enterprise_org,
            title="冒名发布的需求",
            summary="不应该能够代表其他企业发布需求。",
        )
    assert not Demand.objects.filter(title="冒名发布的需求").exists()


def test_demand_budget_range_and_trl_are_checked(enterprise_user, enterprise_org, fields):
    with pytest.raises(ValidationError) as error:
        services.demand_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title="预算颠倒的需求",
            summary="预算下限高于上限，应被拒绝。",
            budget_min_fen=500,
            budget_max_fen=100,
        )
    assert "budget_max_fen" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.demand_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title="TRL 超界的需求",
            summary="TRL 只能是 1 到 9。",
            trl_required=12,
        )
    with pytest.raises(ValidationError):
        services.demand_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title="负预算的需求",
            summary="金额不能为负数。",
            budget_max_fen=-1,
        )
    assert not Demand.objects.exists()


def test_money_is_integer_fen(enterprise_user, enterprise_org, fields):
    with pytest.raises(ValidationError):
        services.demand_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title="小数金额需求",
            summary="金额必须是以分为单位的整数。",
            budget_max_fen=12.5,
        )
    d = make_demand(enterprise_org, budget_min_fen=300_000_00, budget_max_fen=800_000_00)
    d.refresh_from_db()
    assert isinstance(d.budget_max_fen, int) and d.budget_max_fen == 80_000_000


def test_database_refuses_trl_out_of_range(institute_org, fields):
    from django.db import IntegrityError, transaction

    a = make_achievement(institute_org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Achievement.objects.filter(pk=a.pk).update(trl=10)


def test_demand_lifecycle_to_solved_and_closed(enterprise_user, operator, enterprise_org, fields):
    d = make_demand(enterprise_org, status="submitted")
    d = services.demand_review(actor=operator, demand=d, approve=True)
    d = services.demand_transition(actor=enterprise_user, demand=d, target="solved")
    d = services.demand_transition(actor=enterprise_user, demand=d, target="closed")
    assert d.status == "closed"
    with pytest.raises(ValidationError):
        services.demand_transition(actor=enterprise_user, demand=d, target="published")


def test_nul_characters_are_refused_not_crashing(enterprise_user, enterprise_org, fields):
    with pytest.raises(ValidationError):
        services.demand_create(
            actor=enterprise_user,
            organization=enterprise_org,
            title="含空字符\x00的标题",
            summary="空字符在 PostgreSQL 中会导致错误。",
        )
