"""The lifecycle through the pages: post, review, apply with an attachment, close, build a panel, score,
close the panel, award, sign the task book, deliver, accept, request and pay the first tranche; plus the
public pages and their query budgets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from kechuang.challenges import factories
from kechuang.challenges.choices import ApplicationStatus, ChallengeStatus, MilestoneStatus
from kechuang.challenges.models import Application, Award, Challenge, Milestone
from kechuang.ledger.models import JournalEntry

pytestmark = pytest.mark.django_db


def _post(client, user, url, data=None, **kwargs):
    client.force_login(user)
    return client.post(url, data or {}, **kwargs)


def test_public_board_and_notice_are_open_to_anonymous_visitors(client, challenge):
    response = client.get(reverse("challenges:home"))
    assert response.status_code == 200 and challenge.title in response.content.decode()
    notice = client.get(reverse("challenges:challenge-detail", args=[challenge.code]))
    assert notice.status_code == 200 and "榜单总额" in notice.content.decode()


def test_board_filters_with_htmx_returning_only_rows(client, challenge):
    response = client.get(reverse("challenges:home"), {"q": "激光雷达"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and challenge.title in body and "<html" not in body
    none = client.get(reverse("challenges:home"), {"q": "不存在的关键词"}, HTTP_HX_REQUEST="true")
    assert challenge.title not in none.content.decode()


def test_board_query_count_does_not_grow_with_rows(
    client, enterprise_user, enterprise_org, operator, django_assert_max_num_queries
):
    for i in range(3):
        factories.make_challenge(
            actor=enterprise_user, issuer=enterprise_org, publish_by=operator, title=f"难题{i}"
        )
    with django_assert_max_num_queries(12):
        client.get(reverse("challenges:home"))
    for i in range(10):
        factories.make_challenge(
            actor=enterprise_user, issuer=enterprise_org, publish_by=operator, title=f"更多{i}"
        )
    with django_assert_max_num_queries(12):
        client.get(reverse("challenges:home"))


def test_drafts_are_not_public(client, enterprise_user, enterprise_org):
    draft = factories.make_challenge(actor=enterprise_user, issuer=enterprise_org)
    assert client.get(reverse("challenges:challenge-detail", args=[draft.code])).status_code == 404
    assert draft.title not in client.get(reverse("challenges:home")).content.decode()


@pytest.mark.slow
def test_whole_lifecycle_through_the_pages(
    client, enterprise_user, operator, operator2, institute_user, other_enterprise_user, experts, media_root
):
    client.force_login(enterprise_user)
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    response = client.post(
        reverse("challenges:challenge-create"),
        {
            "title": "MEMS 压力传感器温漂补偿",
            "problem": "全温区漂移超标",
            "indicators": "误差 ≤ 0.1 %FS",
            "issuer_fen": "300000",
            "subsidy_fen": "200000.50",
            "deadline": deadline,
            "max_winners": "1",
            "ip_terms": "成果归发榜方",
            "eligibility": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    challenge = Challenge.objects.get(title="MEMS 压力传感器温漂补偿")
    assert challenge.issuer_fen == 30_000_000 and challenge.subsidy_fen == 20_000_050
    _post(client, enterprise_user, reverse("challenges:challenge-submit", args=[challenge.code]))
    _post(
        client,
        operator,
        reverse("challenges:challenge-review", args=[challenge.code]),
        {"decision": "approve", "reason": ""},
    )
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.PUBLISHED

    pdf = SimpleUploadedFile("方案.pdf", factories.minimal_pdf(), content_type="application/pdf")
    response = _post(
        client,
        institute_user,
        reverse("challenges:application-create", args=[challenge.code]),
        {
            "team": "十人团队",
            "plan": "三阶段方案",
            "milestones": "原型、样机、验证",
            "budget_fen": "400000",
            "attachment": pdf,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    first = Application.objects.get(challenge=challenge, organization__name="中国科学院某光学研究所")
    assert first.attachments.count() == 1
    _post(
        client,
        other_enterprise_user,
        reverse("challenges:application-create", args=[challenge.code]),
        {"team": "八人团队", "plan": "另一方案", "milestones": "两阶段", "budget_fen": "350000"},
    )
    second = Application.objects.exclude(pk=first.pk).get(challenge=challenge)

    _post(client, operator, reverse("challenges:challenge-close", args=[challenge.code]))
    page = client.get(reverse("challenges:panel", args=[challenge.code]))
    assert page.status_code == 200 and "回避" in page.content.decode()  # the conflicted expert is marked
    _post(
        client,
        operator,
        reverse("challenges:panel", args=[challenge.code]),
        {"step": "build", "experts": [str(experts.a.person.pk), str(experts.b.person.pk)]},
    )
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.REVIEWING
    for expert, values in ((experts.a.user, (90, 70)), (experts.b.user, (80, 75))):
        for application, value in zip((first, second), values, strict=True):
            _post(
                client,
                expert,
                reverse("challenges:application-score", args=[application.code]),
                {f"c_{c}": str(value) for c in ("tech", "team", "indicators", "budget")}
                | {"comment": "可行"},
            )
    _post(client, operator, reverse("challenges:panel", args=[challenge.code]), {"step": "close"})
    _post(
        client,
        operator,
        reverse("challenges:panel", args=[challenge.code]),
        {"step": "award", "winners": [first.code]},
    )
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.AWARDED
    award = Award.objects.get(challenge=challenge)

    client.force_login(enterprise_user)
    page = client.get(reverse("challenges:award-detail", args=[award.code]))
    assert "签订任务书" in page.content.decode()
    amount = award.amount_fen
    parts = [amount // 3, amount // 3, amount - 2 * (amount // 3)]
    data = {"task_book": "按里程碑攻关"}
    for i, part in enumerate(parts, start=1):
        data |= {
            f"m{i}_title": f"阶段{i}",
            f"m{i}_criteria": "测试报告达标",
            f"m{i}_due_on": (timezone.localdate() + dt.timedelta(days=30 * i)).isoformat(),
            f"m{i}_amount_fen": f"{part / 100:.2f}",
        }
    client.post(reverse("challenges:award-sign", args=[award.code]), data)
    milestone = Milestone.objects.get(award=award, sequence=1)
    _post(
        client,
        institute_user,
        reverse("challenges:milestone-deliver", args=[milestone.code]),
        {"note": "完成"},
    )
    _post(client, enterprise_user, reverse("challenges:milestone-accept", args=[milestone.code]))
    _post(client, operator, reverse("challenges:milestone-request", args=[milestone.code]))
    refused = _post(client, operator, reverse("challenges:milestone-pay", args=[milestone.code]), follow=True)
    assert "不能审批自己" in refused.content.decode()
    assert not JournalEntry.objects.filter(kind="challenges.tranche").exists()
    _post(client, operator2, reverse("challenges:milestone-pay", args=[milestone.code]))
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PAID
    assert JournalEntry.objects.filter(kind="challenges.tranche").count() == 1

    client.logout()
    progress = client.get(reverse("challenges:challenge-progress", args=[challenge.code]))
    assert progress.status_code == 200 and "已拨付" in progress.content.decode()
    assert (
        "按里程碑攻关"
        not in client.get(reverse("challenges:award-detail", args=[award.code])).content.decode()
    )

    client.force_login(other_enterprise_user)
    outcome = client.get(reverse("challenges:application-detail", args=[second.code])).content.decode()
    assert Application.objects.get(pk=second.pk).status == ApplicationStatus.NOT_CHOSEN
    assert "本榜共有 2 家单位揭榜" in outcome and "未进入揭榜名单" in outcome


def test_bad_form_input_gets_a_chinese_message_and_no_500(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.post(
        reverse("challenges:challenge-create"),
        {
            "title": "\x00" * 3,
            "problem": "😀" * 10,
            "indicators": "",
            "issuer_fen": "abc",
            "subsidy_fen": "-1",
            "deadline": "2020-01-01",
            "max_winners": "99",
            "ip_terms": "‮",
        },
    )
    assert response.status_code == 400
    assert "请修改" in response.content.decode()
    assert not Challenge.objects.exists()


def test_html_upload_is_refused_with_the_field_named(client, challenge, institute_user, media_root):
    client.force_login(institute_user)
    bad = SimpleUploadedFile(
        "x.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf"
    )
    response = client.post(
        reverse("challenges:application-create", args=[challenge.code]),
        {"team": "团队", "plan": "方案", "milestones": "里程碑", "budget_fen": "1000", "attachment": bad},
    )
    assert response.status_code == 400
    assert not Application.objects.exists()  # nothing half-written


@pytest.mark.slow
def test_each_role_home_shows_the_challenge_panel(
    client, operator, leader, enterprise_user, institute_user, expert_user, challenge
):
    for user, marker in (
        (operator, "challenge-panel-staff"),
        (leader, "challenge-panel-staff"),
        (enterprise_user, "challenge-panel-enterprise"),
        (institute_user, "challenge-panel-institute"),
        (expert_user, "challenge-panel-expert"),
    ):
        client.force_login(user)
        assert marker in client.get(reverse("core:home")).content.decode()


@pytest.mark.slow
def test_co_applicants_by_credit_code_on_the_form(
    client, challenge, other_enterprise_user, enterprise_org, institute_org
):
    from kechuang.testing.factories import OrganizationFactory

    partner = OrganizationFactory(name="联合申报伙伴有限公司")
    client.force_login(other_enterprise_user)
    url = reverse("challenges:application-create", args=[challenge.code])
    data = {"team": "团队", "plan": "方案", "milestones": "两阶段", "budget_fen": "1000"}
    bad = client.post(url, data | {"co_applicants": "91350100M000100Y4Z"})
    assert bad.status_code == 400 and "找不到统一社会信用代码" in bad.content.decode()
    assert client.post(url, data | {"co_applicants": partner.uscc.lower()}).status_code == 302
    assert list(Application.objects.get().co_applicants.all()) == [partner]


@pytest.mark.slow
def test_staff_desk_and_panel_pages_stay_within_a_query_budget(
    client, award, operator, leader, django_assert_max_num_queries
):
    client.force_login(operator)
    client.get(reverse("challenges:work"))  # warm the session and role caches
    with django_assert_max_num_queries(40):
        assert client.get(reverse("challenges:work")).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(reverse("challenges:panel", args=[award.challenge.code])).status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(reverse("challenges:award-detail", args=[award.code])).status_code == 200
