"""The competition pages: the public page and its 公示 with the objection channel, entering on the web,
the judge's scoring sheet (blind, conflicts left out), the operators' board and actions."""

from __future__ import annotations

import pytest
from competition_helpers import defence_sheet, enter, expert, make_competition, sheet, track
from django.urls import reverse

from kechuang.events import services
from kechuang.events.choices import CompetitionStatus, Round
from kechuang.events.models import Entry, EntryScore, Objection

pytestmark = pytest.mark.django_db


@pytest.fixture
def competition(operator, district_office):
    return make_competition(operator, district_office)


def test_an_enterprise_enters_on_the_web_and_the_public_sees_the_competition(
    client, competition, enterprise_user, enterprise_org
):
    page = client.get(reverse("events:competition-detail", args=[competition.code])).content.decode()
    assert competition.title in page and "院所成果" in page and "一等奖" in page
    client.force_login(enterprise_user)
    form = client.get(reverse("events:entry-create", args=[competition.code]))
    assert form.status_code == 200
    response = client.post(
        reverse("events:entry-create", args=[competition.code]),
        {
            "track": track(competition).pk,
            "project": "生物芯片快检",
            "summary": "十分钟出结果的生物芯片。",
            "team": "博士 3 人",
            "business_plan": "三年收入过亿",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    entry = Entry.objects.get(project="生物芯片快检")
    assert entry.organization == enterprise_org
    assert (
        "生物芯片快检"
        in client.get(reverse("events:competition-detail", args=[competition.code])).content.decode()
    )


def test_judge_sheet_operator_board_publicity_and_objection_on_the_web(
    client, competition, operator, enterprise_user, enterprise_org, institute_user, institute_org
):
    a = enter(institute_user, competition, institute_org, "强激光清洗装备")
    b = enter(enterprise_user, competition, enterprise_org, "生物芯片快检")
    startup = enter(
        enterprise_user, competition, enterprise_org, "初创项目", track=track(competition, "初创企业")
    )
    client.force_login(operator)
    detail = reverse("events:competition-detail", args=[competition.code])

    def act(name, data=None):
        return client.post(reverse("events:competition-action", args=[competition.code, name]), data or {})

    act("close")
    for entry in (a, b, startup):
        act("screen", {"entry": entry.code, "eligible": "1"})
    judge_user, judge = expert("评委甲")
    conflicted_user, conflicted = expert("评委乙", organization=enterprise_org)  # works for b's enterprise
    for name in ("院所成果", "初创企业"):
        act(
            "panel",
            {"track": track(competition, name).pk, "round": "first", "experts": [judge.pk, conflicted.pk]},
        )
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.FIRST_ROUND
    board = client.get(detail).content.decode()
    assert a.code in board and "评委甲" in board
    first = track(competition).panels.get(round=Round.FIRST)
    # the conflicted judge's sheet leaves b out
    client.force_login(conflicted_user)
    sheet_page = client.get(reverse("events:panel", args=[first.pk])).content.decode()
    assert a.code in sheet_page and b.code not in sheet_page
    forbidden = client.post(reverse("events:panel", args=[first.pk]), {"entry": b.code, **sheet(99)})
    assert forbidden.status_code == 403 and not EntryScore.objects.filter(entry=b).exists()
    client.post(reverse("events:panel", args=[first.pk]), {"entry": a.code, **sheet(70)})
    client.force_login(judge_user)
    from kechuang.events.selectors import judge_sheet

    mine = {row["entry"].code: row["score"] for row in judge_sheet(actor=judge_user, panel=first)}
    assert mine == {a.code: None, b.code: None}  # blind: the other judge's sheet for a is not shown
    for entry, value in ((a, 90), (b, 80)):
        client.post(reverse("events:panel", args=[first.pk]), {"entry": entry.code, **sheet(value)})
    other_first = track(competition, "初创企业").panels.get(round=Round.FIRST)
    client.post(reverse("events:panel", args=[other_first.pk]), {"entry": startup.code, **sheet(70)})
    client.force_login(conflicted_user)
    client.post(reverse("events:panel", args=[other_first.pk]), {"entry": startup.code, **sheet(70)})
    client.force_login(operator)
    for panel in (first, other_first):
        client.post(reverse("events:panel", args=[panel.pk]), {"close": "1"})
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.DEFENCE
    for name in ("院所成果", "初创企业"):
        act("panel", {"track": track(competition, name).pk, "round": "defence", "experts": [judge.pk]})
    client.force_login(judge_user)
    for panel in track(competition).panels.filter(round=Round.DEFENCE) | track(
        competition, "初创企业"
    ).panels.filter(round=Round.DEFENCE):
        for entry in Entry.objects.filter(track=panel.track, status="finalist"):
            client.post(reverse("events:panel", args=[panel.pk]), {"entry": entry.code, **defence_sheet(85)})
    client.force_login(operator)
    for panel in (
        track(competition).panels.get(round=Round.DEFENCE),
        track(competition, "初创企业").panels.get(round=Round.DEFENCE),
    ):
        client.post(reverse("events:panel", args=[panel.pk]), {"close": "1"})
    act("publicize")
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.PUBLICITY
    public = client.get(detail).content.decode()
    assert "结果公示" in public and "强激光清洗装备" in public
    client.force_login(enterprise_user)
    act("object", {"entry": a.code, "reason": "请复核"})
    assert Objection.objects.filter(entry=a, status="open").exists()
    client.force_login(operator)
    held = client.post(reverse("events:competition-action", args=[competition.code, "finalize"]), follow=True)
    assert "未处理的异议" in held.content.decode()  # the objection holds the result
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.PUBLICITY


def test_the_list_shows_competitions_and_a_judge_their_panels(client, competition, operator):
    assert competition.title in client.get(reverse("events:competition-list")).content.decode()
    services.competition_close_entries(actor=operator, competition=competition)
    judge_user, judge = expert("评委丙")
    services.panel_build(actor=operator, track=track(competition), round=Round.FIRST, experts=[judge])
    client.force_login(judge_user)
    assert "我参加的评审" in client.get(reverse("events:competition-list")).content.decode()
