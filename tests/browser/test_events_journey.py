"""The events journey (issue 17): an enterprise signs up for a forum on its phone-sized page and shows its
check-in code at the door, where the operator types it in; a team enters the 创新创业大赛, passes the first
round, is scored by the judges in the "8+7" defence on their live sheets (a judge in conflict does not see it),
appears in the 公示, and receives its prize through the ledger."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kechuang.core.roles import Role
from kechuang.events import services
from kechuang.events.choices import CompetitionStatus, EventKind, Height, Round, VenueKind
from kechuang.events.models import Competition, Entry, Registration, Track
from kechuang.ledger.models import Account
from kechuang.testing.factories import PersonFactory, user_with_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_forum_sign_up_and_door_then_competition_from_entry_to_prize(
    page,
    shot,
    login,
    district_data,
    enterprise_user,
    enterprise_org,
    institute_user,
    institute_org,
    operator,
    browser_problems,
):
    from kechuang.directory.models import Building, Organization

    services.series_load_from_profile(actor=None)
    reviewer = user_with_role(Role.OPERATOR, operator.memberships.first().organization, username="op2")
    start = (timezone.now() + dt.timedelta(days=5)).replace(microsecond=0)
    forum = services.event_create(
        actor=operator,
        organization=Organization.objects.get(name="上海市嘉定区菊园新区管理委员会"),
        details=services.EventDetails(
            title="科技创新论坛：生物半导体产业机会",
            kind=EventKind.FORUM,
            summary="院所专家与企业共话生物半导体的产业化路径。",
            venue_kind=VenueKind.BUILDING,
            building=Building.objects.get(code="btit-park-1"),
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            capacity=80,
            height=Height.TRANSFER,
            speakers=[
                services.SpeakerInput(
                    guest_name="李研究员", guest_affiliation="微技术工研院", topic="BTIT 平台"
                )
            ],
        ),
    )
    services.event_submit(actor=operator, event=forum)
    services.event_review(actor=reviewer, event=forum, approve=True)

    # --- an enterprise signs up for the forum -------------------------------------------------------
    login(page, "ent")
    page.goto("/events/")
    page.get_by_role("link", name="科技创新论坛：生物半导体产业机会").click()
    expect(page.get_by_test_id("event-speakers")).to_contain_text("李研究员")
    page.get_by_test_id("event-register").click()
    code = page.get_by_test_id("my-checkin-code").inner_text().strip()
    assert len(code) == 8
    page.set_viewport_size({"width": 390, "height": 844})  # the code as shown on a phone
    page.goto("/events/mine/")
    expect(page.get_by_test_id("checkin-code")).to_have_text(code)
    shot("my-checkin-code-on-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the operator at the door -------------------------------------------------------------------
    login(page, "op")
    page.goto(f"/events/{forum.code}/checkin/")
    page.fill("#id_code", code.lower())  # typed as read out, in lower case
    page.get_by_test_id("checkin-submit").click()
    expect(page.get_by_test_id("checkin-ok")).to_contain_text("签到成功")
    expect(page.get_by_test_id("checkin-counts")).to_contain_text("已签到 1 / 已报名 1")
    shot("door-checked-in")
    assert Registration.objects.get(event=forum).checked_in_at is not None

    # --- the competition: the operator opens it, the team enters ---------------------------------------
    judge_a = user_with_role(Role.EXPERT, None, username="judge_a", display_name="周明")
    judge_b = user_with_role(Role.EXPERT, None, username="judge_b", display_name="吴静")
    judge_c = user_with_role(Role.EXPERT, None, username="judge_c", display_name="郑强")
    experts = [
        PersonFactory(name="周明", is_expert=True, user=judge_a),
        PersonFactory(name="吴静", is_expert=True, user=judge_b),
        PersonFactory(name="郑强", organization=enterprise_org, is_expert=True, user=judge_c),  # conflicted
    ]
    competition = services.competition_create(
        actor=operator,
        title="菊园科研院所创新创业大赛（2026）",
        rules="初赛网评；决赛“8+7”答辩；结果公示 5 个工作日。",
        organizer=Organization.objects.get(name="上海市嘉定区菊园新区管理委员会"),
        entry_deadline=timezone.localdate() + dt.timedelta(days=20),
        finalists_per_track=2,
        tracks=[services.TrackInput("初创企业", [services.PrizeInput(1, "一等奖", 20_000_000, tranches=2)])],
    )
    page.goto(f"/events/competitions/{competition.code}/")
    page.get_by_test_id("competition-open").click()
    expect(page.get_by_test_id("competition-status")).to_have_text("报名中")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    login(page, "ent")
    page.goto("/events/competitions/")
    page.get_by_role("link", name="菊园科研院所创新创业大赛（2026）").click()
    page.get_by_test_id("competition-enter").click()
    page.fill("#id_project", "生物芯片快检")
    page.fill("#id_summary", "十分钟出结果的生物芯片，面向基层医疗。")
    page.fill("#id_team", "博士 3 人，产业化负责人 1 人。")
    page.fill("#id_business_plan", "三年内进入 200 家基层医疗机构。")
    shot("entry-form")
    page.get_by_test_id("entry-save").click()
    expect(page.get_by_test_id("my-entries")).to_contain_text("生物芯片快检")
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    ours = Entry.objects.get(project="生物芯片快检")

    # two more teams; the operators screen and the first round is scored (by the services, for brevity)
    track = Track.objects.get(competition=competition)
    rivals = [
        services.entry_submit(
            actor=institute_user,
            competition=Competition.objects.get(pk=competition.pk),
            track=track,
            organization=institute_org,
            details=services.EntryDetails(project=name, summary="院所成果产业化", team="团队"),
        )
        for name in ("强激光清洗装备", "MEMS 气体传感芯片")
    ]
    services.competition_close_entries(actor=operator, competition=competition)
    for entry in [ours, *rivals]:
        services.entry_screen(actor=operator, entry=entry, eligible=True)
    first = services.panel_build(actor=operator, track=track, round=Round.FIRST, experts=experts[:2])
    for judge in (judge_a, judge_b):
        for entry, level in ((ours, 88), (rivals[0], 80), (rivals[1], 60)):
            services.entry_score_submit(
                actor=judge,
                panel=first,
                entry=entry,
                values={"innovation": level, "market": level, "team": level, "ip": level},
            )
    services.panel_close(actor=operator, panel=first)
    assert Entry.objects.get(pk=ours.pk).status == "finalist"
    defence = services.panel_build(actor=operator, track=track, round=Round.DEFENCE, experts=experts)

    # --- the defence: each judge scores on the live sheet; the conflicted judge does not see the team ----
    for username, level in (("judge_a", "90"), ("judge_b", "86")):
        login(page, username)
        page.goto("/events/competitions/")
        page.get_by_test_id("my-panels").get_by_role("link").filter(has_text="决赛").click()
        form = page.get_by_test_id("score-form").filter(has_text="生物芯片快检")
        for criterion in ("pitch", "answers", "feasibility"):
            form.locator(f"input[name={criterion}]").fill(level)
        form.get_by_role("button", name="保存").click()
        rival = page.get_by_test_id("score-form").filter(has_text="强激光清洗装备")
        for criterion in ("pitch", "answers", "feasibility"):
            rival.locator(f"input[name={criterion}]").fill("75")
        rival.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("score-form").filter(has_text="生物芯片快检")).to_contain_text("已评")
        if username == "judge_a":
            shot("defence-sheet")
        page.get_by_test_id("user-menu").click()
        page.get_by_test_id("logout").click()
    login(page, "judge_c")
    page.goto(f"/events/competitions/panels/{defence.pk}/")
    expect(page.get_by_test_id("score-form")).to_have_count(
        1
    )  # only the rival: recused from the enterprise's
    expect(page.get_by_test_id("score-form")).not_to_contain_text("生物芯片快检")
    page.get_by_test_id("score-form").locator("input[name=pitch]").fill("70")
    page.get_by_test_id("score-form").locator("input[name=answers]").fill("70")
    page.get_by_test_id("score-form").locator("input[name=feasibility]").fill("70")
    page.get_by_test_id("score-form").get_by_role("button", name="保存").click()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()

    # --- the operator closes the defence and publishes the 公示 ----------------------------------------
    login(page, "op")
    page.goto(f"/events/competitions/panels/{defence.pk}/")
    page.get_by_test_id("panel-close").click()
    expect(page.get_by_test_id("panel-status")).to_have_text("评审结束")
    page.goto(f"/events/competitions/{competition.code}/")
    page.get_by_test_id("competition-publicize").click()
    results = page.get_by_test_id("competition-results")
    expect(results).to_contain_text("结果公示")
    expect(results.get_by_test_id("result-row").first).to_contain_text("生物芯片快检")
    expect(results.get_by_test_id("result-row").first).to_contain_text("一等奖")
    shot("publicity")
    # the five working days pass with no objection
    Competition.objects.filter(pk=competition.pk).update(
        publicity_ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    page.reload()
    page.get_by_test_id("competition-finalize").click()
    expect(page.get_by_test_id("competition-status")).to_have_text("结果生效")
    page.get_by_test_id("prize-pay").click()
    expect(page.get_by_test_id("prize-pay")).to_contain_text("已付 1/2 期")
    page.get_by_test_id("prize-pay").click()
    expect(page.get_by_test_id("prize-paid")).to_have_text("奖金已全部拨付")
    shot("prize-paid")
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.FINAL
    payable = Account.objects.get(code=f"events:{competition.code}:prize:{ours.code}")
    assert payable.balance_fen == 0  # both tranches paid
    assert Account.objects.get(code=f"events:{competition.code}:fund").balance_fen == 0
