"""The 揭榜挂帅 journey in a real browser: an enterprise posts a challenge, an operator publishes it, an
institute applies with its plan (and an attachment), the operator closes applications and builds a panel
from the expert pool (the conflicted expert is marked and cannot be chosen), two experts score blind, the
operator closes the panel and awards, the enterprise signs the task book, the institute delivers the first
milestone, the enterprise accepts it, one operator requests the tranche and another approves it — and the
public progress page shows the payment, which the ledger holds exactly once.

Screenshots: test-artifacts/screenshots/test_challenge_journey_*.png.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.accounts.choices import Role
from kechuang.challenges import factories
from kechuang.challenges.models import Application, Award, Challenge, Milestone
from kechuang.core.money import yuan_text
from kechuang.ledger.models import JournalEntry
from kechuang.ledger.reconcile import reconcile
from kechuang.testing.factories import InstituteFactory, PersonFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def challenge_world(
    operator,
    enterprise_user,
    institute_user,
    institute_org,
    other_enterprise_user,
    expert_user,
    district_office,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    university = InstituteFactory(name="同济大学汽车学院")
    expert_b = user_with_role(Role.EXPERT, None, username="expert_b", display_name="周明")
    PersonFactory(name="李卫东", organization=university, is_expert=True, user=expert_user, position="教授")
    PersonFactory(name="周明", organization=university, is_expert=True, user=expert_b, position="研究员")
    PersonFactory(name="钱立", organization=institute_org, is_expert=True, position="研究员")  # conflicted
    return {"operator2": user_with_role(Role.OPERATOR, district_office, username="op2")}


def sign_in(page: Any, login: Any, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def test_challenge_journey_from_posting_to_the_first_tranche(
    page, shot, login, challenge_world, other_enterprise_user, other_enterprise_org, tmp_path
):
    def snap(step: str) -> None:
        shot(step)

    # 1. the enterprise posts a challenge and submits it
    sign_in(page, login, "ent")
    page.goto("/challenges/")
    page.get_by_test_id("nav-challenge-create").click()
    page.fill("input[name=title]", "车规级激光雷达点云实时处理算法")
    page.fill(
        "textarea[name=problem]", "激光雷达点云在嵌入式平台上的实时分割与目标识别，现有方案时延高、功耗大。"
    )
    page.fill("textarea[name=indicators]", "单帧处理时延 ≤ 20 ms；识别准确率 ≥ 95%；整机功耗 ≤ 15 W。")
    page.fill("input[name=issuer_fen]", "3000000")
    page.fill("input[name=subsidy_fen]", "2000000")
    page.fill("input[name=deadline]", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    page.fill(
        "textarea[name=ip_terms]",
        "背景知识产权归各自所有；新产生的知识产权归发榜方，揭榜方享有非独占使用权。",
    )
    snap("01-post-form")
    page.get_by_test_id("challenge-save").click()
    expect(page.get_by_test_id("challenge-status")).to_have_text("草稿")
    page.get_by_test_id("challenge-submit").click()
    expect(page.get_by_test_id("challenge-status")).to_have_text("待审核")
    challenge = Challenge.objects.get()

    # 2. the operator publishes it (公示)
    sign_in(page, login, "op")
    page.goto(f"/challenges/{challenge.code}/")
    page.select_option("select[name=decision]", "approve")
    snap("02-operator-review")
    page.get_by_test_id("review-submit").click()
    expect(page.get_by_test_id("challenge-status")).to_have_text("揭榜中")

    # 3. anyone sees the notice; the institute applies with an attachment
    page.context.clear_cookies()
    page.goto(f"/challenges/{challenge.code}/")
    expect(page.get_by_test_id("challenge-budget")).to_contain_text("5,000,000")
    snap("03-public-notice")
    sign_in(page, login, "inst")
    page.goto(f"/challenges/{challenge.code}/")
    page.get_by_test_id("challenge-apply").click()
    page.fill("textarea[name=team]", "课题组 9 人，其中博士 4 人，平均年龄 31 岁；长期从事点云感知研究。")
    page.fill("textarea[name=plan]", "采用稀疏卷积 + 量化推理，分原型、移植、装车三阶段实施。")
    page.fill("textarea[name=milestones]", "1. 算法原型；2. 嵌入式移植；3. 整车验证。")
    page.fill("input[name=budget_fen]", "4500000")
    pdf = tmp_path / "技术方案.pdf"
    pdf.write_bytes(factories.minimal_pdf())
    page.set_input_files("input[name=attachment]", str(pdf))
    snap("04-application-form")
    page.get_by_test_id("application-submit").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已提交")
    expect(page.get_by_test_id("attachments")).to_contain_text("技术方案.pdf")
    first = Application.objects.get(challenge=challenge)
    second = factories.make_application(
        challenge=challenge,
        actor=other_enterprise_user,
        organization=other_enterprise_org,
        budget_fen=400_000_000,
    )

    # 4. the operator closes applications and builds the panel (the conflicted expert is marked)
    sign_in(page, login, "op")
    page.goto(f"/challenges/{challenge.code}/")
    page.get_by_test_id("challenge-close").click()
    expect(page.get_by_test_id("challenge-status")).to_have_text("截止报名")
    page.get_by_test_id("challenge-panel").click()
    expect(page.get_by_test_id("panel-build")).to_contain_text("回避")
    # the expert picker (issue 14 item 6): searched by part of a name; the conflicted expert is disabled
    experts = page.locator("#id_experts-ts-control")
    experts.click()
    dropdown = page.locator("#id_experts-ts-dropdown")
    expect(dropdown.locator(".option[aria-disabled=true]")).to_contain_text(["钱立"])
    for name in ("李卫", "周明"):
        experts.fill(name)
        dropdown.locator(".option:not([aria-disabled=true])", has_text=name).click()
    page.keyboard.press("Escape")
    snap("05-panel-build")
    page.get_by_test_id("panel-build-submit").click()
    expect(page.get_by_test_id("panel-status")).to_have_text("评审中")

    # 5. two experts score blind
    for username, values in (("expert", (88, 72)), ("expert_b", (84, 76))):
        sign_in(page, login, username)
        for application, value in zip((first, second), values, strict=True):
            page.goto(f"/challenges/applications/{application.code}/")
            for code in ("tech", "team", "indicators", "budget"):
                page.fill(f"input[name=c_{code}]", str(value))
            page.get_by_test_id("score-submit").click()
            expect(page.locator(".alert-success")).to_contain_text("评分已保存")
    page.goto(f"/challenges/{challenge.code}/panel/")
    expect(page.get_by_test_id("panel-table")).to_contain_text("84.00")
    expect(page.get_by_test_id("panel-table")).not_to_contain_text("88.00")
    snap("06-expert-blind-panel")

    # 6. the operator closes the panel and awards the winner
    sign_in(page, login, "op")
    page.goto(f"/challenges/{challenge.code}/panel/")
    page.get_by_test_id("panel-close").click()
    expect(page.get_by_test_id("panel-status")).to_have_text("评审结束")
    expect(page.get_by_test_id("all-scores")).to_contain_text("88")
    page.get_by_label(f"1. {first.organization.name}").check()
    snap("07-ranking-and-award")
    page.get_by_test_id("award-submit").click()
    expect(page.get_by_test_id("challenge-status")).to_have_text("已定榜")
    award = Award.objects.get()

    # 7. the enterprise signs the task book
    sign_in(page, login, "ent")
    page.goto(f"/challenges/awards/{award.code}/")
    page.fill("textarea[name=task_book]", "揭榜方按三个里程碑完成攻关，逐一验收、依次拨付。")
    for i, title in enumerate(("算法原型与仿真验证", "嵌入式平台移植", "整车道路验证与结题"), start=1):
        page.fill(f"input[name=m{i}_title]", title)
        page.fill(f"input[name=m{i}_criteria]", "提交第三方测试报告，指标达到任务书要求")
    snap("08-task-book")
    page.get_by_test_id("task-book-sign").click()
    expect(page.get_by_test_id("award-status")).to_have_text("攻关中")
    milestone = Milestone.objects.get(award=award, sequence=1)

    # 8. the institute delivers, the enterprise accepts, one operator requests, another pays
    sign_in(page, login, "inst")
    page.goto(f"/challenges/awards/{award.code}/")
    page.fill("input[name=note]", "算法原型完成，测试报告已上传。")
    page.get_by_test_id("milestone-deliver").click()
    expect(page.get_by_test_id("milestone-status-1")).to_have_text("待验收")
    sign_in(page, login, "ent")
    page.goto(f"/challenges/awards/{award.code}/")
    page.get_by_test_id("milestone-accept").click()
    expect(page.get_by_test_id("milestone-status-1")).to_have_text("已验收")
    sign_in(page, login, "op")
    page.goto(f"/challenges/awards/{award.code}/")
    page.get_by_test_id("tranche-request").click()
    expect(page.get_by_test_id("milestone-status-1")).to_have_text("待审批拨付")
    expect(page.get_by_test_id("milestone-1")).to_contain_text("需由另一位")
    sign_in(page, login, "op2")
    page.goto(f"/challenges/awards/{award.code}/")
    page.get_by_test_id("tranche-pay").click()
    expect(page.get_by_test_id("milestone-status-1")).to_have_text("已拨付")
    snap("09-first-tranche-paid")
    milestone.refresh_from_db()
    assert milestone.status == "paid"
    assert (
        JournalEntry.objects.filter(
            kind="challenges.tranche", business_reference=milestone.ledger_reference
        ).count()
        == 1
    )
    assert reconcile().ok

    # 9. the public progress page and the board
    page.context.clear_cookies()
    page.goto(f"/challenges/{challenge.code}/progress/")
    expect(page.get_by_test_id("progress-paid")).to_contain_text(yuan_text(milestone.amount_fen))
    snap("10-public-progress")
    page.goto("/challenges/")
    expect(page.get_by_test_id("challenge-list")).to_contain_text(challenge.title)
    snap("11-public-board")
    sign_in(page, login, "ent2")
    page.goto(f"/challenges/applications/{second.code}/")
    expect(page.get_by_test_id("application-outcome")).to_contain_text("本榜共有 2 家单位揭榜")
    snap("12-not-chosen-outcome")
