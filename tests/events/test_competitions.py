"""Competitions from entry to prize (issue 17): eligibility, a blind first round, the "8+7" defence,
ranking by the documented tie rule, a 公示 of N working days whose objections hold the result, and the
prizes paid in tranches through the ledger. Judges in conflict (same organization, partner, team,
co-author, recent collaboration) cannot score."""

from __future__ import annotations

import datetime as dt

import pytest
from competition_helpers import defence_sheet, enter, expert, make_competition, sheet, track
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kechuang.events import permissions as perms
from kechuang.events import services
from kechuang.events.choices import CompetitionStatus, EntryStatus, Round
from kechuang.events.models import Entry, EntryScore, PrizePayment
from kechuang.ledger.models import Account
from kechuang.testing.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def judges(db):
    return [expert(name) for name in ("甲专家", "乙专家", "丙专家")]


@pytest.fixture
def race(operator, district_office, enterprise_user, enterprise_org, institute_user, institute_org, judges):
    """A competition with three eligible entries in 院所成果 (two finalists), one refused, and the first-round
    panel of that track built; the 初创企业 track has one entry."""
    competition = make_competition(operator, district_office)
    a = enter(institute_user, competition, institute_org, "强激光清洗装备")
    b = enter(enterprise_user, competition, enterprise_org, "生物芯片快检")
    other = OrganizationFactory(name="上海某初创公司")
    from kechuang.core.roles import Role
    from kechuang.testing.factories import user_with_role

    founder = user_with_role(Role.ENTERPRISE, other, username="founder")
    c = enter(founder, competition, other, "智能传感网关")
    late = enter(founder, competition, other, "无资质项目")
    startup = enter(founder, competition, other, "初创赛道项目", track=track(competition, "初创企业"))
    services.competition_close_entries(actor=operator, competition=competition)
    for entry in (a, b, c, startup):
        services.entry_screen(actor=operator, entry=entry, eligible=True)
    services.entry_screen(actor=operator, entry=late, eligible=False, note="不属于院所成果转化项目")
    experts = [person for _user, person in judges]
    first = services.panel_build(actor=operator, track=track(competition), round=Round.FIRST, experts=experts)
    first_startup = services.panel_build(
        actor=operator, track=track(competition, "初创企业"), round=Round.FIRST, experts=experts[:1]
    )
    return {
        "competition": competition,
        "a": a,
        "b": b,
        "c": c,
        "startup": startup,
        "late": late,
        "first": first,
        "first_startup": first_startup,
        "founder": founder,
    }


def score_all(panel, judges, entries_values, defence=False):
    build = defence_sheet if defence else sheet
    for (user, _person), values in zip(judges, entries_values, strict=False):
        for entry, value in values.items():
            sheet_values = build(0) | value if isinstance(value, dict) else build(value)
            services.entry_score_submit(actor=user, panel=panel, entry=entry, values=sheet_values)


def test_from_entry_to_prize_on_the_ledger(race, operator, judges, enterprise_user):
    competition, a, b, c = race["competition"], race["a"], race["b"], race["c"]
    assert competition.code.startswith("DS-") and a.code.startswith("CS-")
    assert Entry.objects.get(pk=race["late"].pk).status == EntryStatus.INELIGIBLE
    score_all(race["first"], judges, [{a: 90, b: 80, c: 60}] * 3)
    with pytest.raises(ValidationError, match="评分未完成"):
        services.panel_close(actor=operator, panel=race["first_startup"])
    services.entry_score_submit(
        actor=judges[0][0], panel=race["first_startup"], entry=race["startup"], values=sheet(75)
    )
    services.panel_close(actor=operator, panel=race["first"])
    services.panel_close(actor=operator, panel=race["first_startup"])
    statuses = dict(Entry.objects.values_list("code", "status"))
    assert (
        statuses[a.code] == statuses[b.code] == EntryStatus.FINALIST
        and statuses[c.code] == EntryStatus.ELIMINATED
    )
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.DEFENCE
    experts = [person for _user, person in judges]
    defence = services.panel_build(
        actor=operator, track=track(competition), round=Round.DEFENCE, experts=experts
    )
    defence_startup = services.panel_build(
        actor=operator, track=track(competition, "初创企业"), round=Round.DEFENCE, experts=experts[:1]
    )
    score_all(defence, judges, [{a: 70, b: 88}] * 3, defence=True)
    services.entry_score_submit(
        actor=judges[0][0], panel=defence_startup, entry=race["startup"], values=defence_sheet(80)
    )
    services.panel_close(actor=operator, panel=defence)
    services.panel_close(actor=operator, panel=defence_startup)
    ranked = dict(Entry.objects.filter(status=EntryStatus.RANKED).values_list("code", "rank"))
    assert ranked == {
        b.code: 1,
        a.code: 2,
        race["startup"].code: 1,
    }  # the defence decides, not the first round

    services.competition_publicize(actor=operator, competition=competition)
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.PUBLICITY
    today = timezone.localdate()
    assert competition.publicity_ends_on == services.publicity_end(today, 5)
    assert (competition.publicity_ends_on - today).days >= 4  # five working days, weekends skipped
    assert Entry.objects.get(pk=b.pk).prize.name == "一等奖"
    objection = services.objection_file(
        actor=enterprise_user, competition=competition, entry=a, reason="请复核答辩得分"
    )
    after = competition.publicity_ends_on + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="未处理的异议"):
        services.competition_finalize(actor=operator, competition=competition, today=after)
    services.objection_resolve(actor=operator, objection=objection, upheld=False, resolution="复核无误")
    with pytest.raises(ValidationError, match="期满后"):
        services.competition_finalize(
            actor=operator, competition=competition, today=competition.publicity_ends_on
        )
    services.competition_finalize(actor=operator, competition=competition, today=after)
    competition.refresh_from_db()
    assert competition.status == CompetitionStatus.FINAL
    fund = Account.objects.get(code=f"events:{competition.code}:fund")
    assert fund.balance_fen == 30_000_000 + 10_000_000 + 20_000_000
    first_prize = Entry.objects.get(pk=b.pk)
    services.prize_pay(actor=operator, entry=first_prize)
    payable = Account.objects.get(code=f"events:{competition.code}:prize:{b.code}")
    assert payable.balance_fen == 15_000_000  # the first of two tranches
    services.prize_pay(actor=operator, entry=first_prize)
    payable.refresh_from_db()
    assert payable.balance_fen == 0
    with pytest.raises(ValidationError, match="全部拨付"):
        services.prize_pay(actor=operator, entry=first_prize)
    assert list(PrizePayment.objects.filter(entry=b).values_list("sequence", "amount_fen")) == [
        (1, 15_000_000),
        (2, 15_000_000),
    ]
    fund.refresh_from_db()
    assert fund.balance_fen == 30_000_000

    # after the prize: the winner is followed for twelve months (district, space, vouchers, commissioner)
    from kechuang.directory.models import Block
    from kechuang.events.selectors import winners_followup
    from kechuang.servicedesk.models import Assignment

    row = next(r for r in winners_followup(competition) if r["entry"].pk == b.pk)
    assert not row["in_district"] and not row["commissioner"] and row["tracking"]
    organization = first_prize.organization
    organization.block = Block.objects.create(code="juzhong", name="菊中")
    organization.save()
    Assignment.objects.create(
        organization=organization, role="commissioner", user=operator, started_at=timezone.now()
    )
    row = next(r for r in winners_followup(competition) if r["entry"].pk == b.pk)
    assert row["in_district"] and row["commissioner"] and not row["space"] and not row["voucher"]


@pytest.mark.parametrize("link", ["same_organization", "partner", "team", "co_author", "recent_contract"])
def test_a_judge_with_a_conflict_cannot_score_or_see_that_entry(race, operator, judges, link):
    from kechuang.transfer.factories import ensure_fields, make_achievement
    from kechuang.transfer.models import ContractRegistration

    user, person = judges[0]
    entry = race["a"]
    if link == "same_organization":
        person.organization = entry.organization
        person.save()
    elif link == "partner":
        entry.partners.add(person.organization)
    elif link == "team":
        entry.team_members.add(person)
    elif link == "co_author":
        ensure_fields()
        entry.achievements.add(make_achievement(entry.organization, team=f"{person.name}、王五、赵六"))
    else:
        ContractRegistration.objects.create(
            registration_number=f"3101142026{person.pk:06d}",
            contract_type="development",
            title="联合开发合同",
            seller=entry.organization,
            buyer=person.organization,
            signed_on=timezone.localdate() - dt.timedelta(days=400),
            contract_amount_fen=100_000_000,
            technology_amount_fen=100_000_000,
        )
    with pytest.raises(PermissionDenied, match="利益冲突"):
        services.entry_score_submit(actor=user, panel=race["first"], entry=entry, values=sheet(99))
    assert not EntryScore.objects.filter(entry=entry).exists()
    assert not perms.entry_visible_to(user).filter(pk=entry.pk).exists()
    assert perms.entry_visible_to(user).filter(pk=race["b"].pk).exists()
    # the recused judge's missing sheet does not hold the panel
    score_all(
        race["first"],
        judges,
        [{race["b"]: 80, race["c"]: 70}] + [{entry: 90, race["b"]: 80, race["c"]: 70}] * 2,
    )
    services.panel_close(actor=operator, panel=race["first"])


def test_an_old_contract_is_no_conflict(race, judges):
    from kechuang.transfer.models import ContractRegistration

    user, person = judges[0]
    ContractRegistration.objects.create(
        registration_number="310114201900001",
        contract_type="development",
        title="多年前的合同",
        seller=race["a"].organization,
        buyer=person.organization,
        signed_on=timezone.localdate() - dt.timedelta(days=365 * 5),
        contract_amount_fen=1,
        technology_amount_fen=1,
    )
    assert services.entry_score_submit(
        actor=user, panel=race["first"], entry=race["a"], values=sheet(80)
    ).total_x100


def test_scores_are_invisible_to_other_judges_until_the_panel_closes(race, operator, judges, leader):
    (first_user, _first_person), (second_user, _p2), _third = judges
    services.entry_score_submit(actor=first_user, panel=race["first"], entry=race["a"], values=sheet(91))
    assert perms.entry_score_visible_to(first_user).count() == 1
    assert perms.entry_score_visible_to(second_user).count() == 0
    assert perms.entry_score_visible_to(leader).count() == 0
    assert perms.entry_score_visible_to(operator).count() == 0
    score_all(race["first"], judges, [{race["a"]: 91, race["b"]: 80, race["c"]: 70}] * 3)
    services.panel_close(actor=operator, panel=race["first"])
    assert perms.entry_score_visible_to(second_user).count() == 9
    assert perms.entry_score_visible_to(leader).count() == 9
    with pytest.raises(PermissionDenied):  # closed: no revision
        services.entry_score_submit(actor=first_user, panel=race["first"], entry=race["a"], values=sheet(10))


def test_ranking_follows_the_tie_rule(race, operator, judges):
    """Equal means: the heaviest criterion (技术创新性, 35) decides; equal there too: the earlier entry."""
    a, b, c = race["a"], race["b"], race["c"]
    # a and b both average 80.00; b is stronger on innovation (the lead criterion), so b ranks first
    tie = services.ranking
    for user, _person in judges:
        services.entry_score_submit(actor=user, panel=race["first"], entry=a, values=sheet(80))
        services.entry_score_submit(
            actor=user,
            panel=race["first"],
            entry=b,
            values=sheet(80, innovation=84, market=74, team=82, ip=80),
        )
        services.entry_score_submit(actor=user, panel=race["first"], entry=c, values=sheet(80))
    rows = tie(race["first"])
    means = {r["code"]: r["mean_x100"] for r in rows}
    assert means[a.code] == means[b.code] == means[c.code] == 8000
    # b leads on innovation; a and c tie on everything, so the earlier entry (a) comes before c
    assert [r["code"] for r in rows] == [b.code, a.code, c.code]
    services.panel_close(actor=operator, panel=race["first"])
    assert dict(Entry.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("code", "status")) == {
        b.code: EntryStatus.FINALIST,
        a.code: EntryStatus.FINALIST,
        c.code: EntryStatus.ELIMINATED,
    }


def test_in_the_defence_a_full_tie_goes_to_the_better_first_round(race, operator, judges):
    a, b, c = race["a"], race["b"], race["c"]
    score_all(race["first"], judges, [{a: 70, b: 90, c: 50}] * 3)
    services.entry_score_submit(
        actor=judges[0][0], panel=race["first_startup"], entry=race["startup"], values=sheet(70)
    )
    services.panel_close(actor=operator, panel=race["first"])
    services.panel_close(actor=operator, panel=race["first_startup"])
    defence = services.panel_build(
        actor=operator, track=track(race["competition"]), round=Round.DEFENCE, experts=[p for _u, p in judges]
    )
    score_all(defence, judges, [{a: 85, b: 85}] * 3, defence=True)
    assert [r["code"] for r in services.ranking(defence)] == [b.code, a.code]


def test_an_objection_upheld_withdraws_the_result_and_reopens_the_defence(
    race, operator, judges, enterprise_user
):
    competition, a, b = race["competition"], race["a"], race["b"]
    score_all(race["first"], judges, [{a: 90, b: 80, race["c"]: 60}] * 3)
    services.entry_score_submit(
        actor=judges[0][0], panel=race["first_startup"], entry=race["startup"], values=sheet(70)
    )
    services.panel_close(actor=operator, panel=race["first"])
    services.panel_close(actor=operator, panel=race["first_startup"])
    experts = [p for _u, p in judges]
    defence = services.panel_build(
        actor=operator, track=track(competition), round=Round.DEFENCE, experts=experts
    )
    other = services.panel_build(
        actor=operator, track=track(competition, "初创企业"), round=Round.DEFENCE, experts=experts[:1]
    )
    score_all(defence, judges, [{a: 90, b: 80}] * 3, defence=True)
    services.entry_score_submit(
        actor=judges[0][0], panel=other, entry=race["startup"], values=defence_sheet(70)
    )
    services.panel_close(actor=operator, panel=defence)
    services.panel_close(actor=operator, panel=other)
    services.competition_publicize(actor=operator, competition=competition)
    objection = services.objection_file(
        actor=enterprise_user, competition=competition, entry=a, reason="答辩超时未扣分"
    )
    competition.refresh_from_db()
    with pytest.raises(ValidationError):  # held while the objection is open
        services.competition_finalize(
            actor=operator,
            competition=competition,
            today=competition.publicity_ends_on + dt.timedelta(days=1),
        )
    services.objection_resolve(
        actor=operator, objection=objection, upheld=True, resolution="超时属实，重新评分"
    )
    competition.refresh_from_db()
    defence.refresh_from_db()
    assert competition.status == CompetitionStatus.DEFENCE and competition.publicity_ends_on is None
    assert defence.status == "open"
    assert not Entry.objects.filter(prize__isnull=False).exists()
    assert Entry.objects.get(pk=a.pk).status == EntryStatus.FINALIST
    # the judges revise; the new result goes to a new 公示
    services.entry_score_submit(actor=judges[0][0], panel=defence, entry=a, values=defence_sheet(30))
    services.panel_close(actor=operator, panel=defence)  # a: (30 + 90 + 90) / 3 = 70 < b: 80
    services.competition_publicize(actor=operator, competition=competition)
    assert dict(Entry.objects.filter(pk__in=[a.pk, b.pk]).values_list("code", "rank")) == {
        b.code: 1,
        a.code: 2,
    }
    assert Entry.objects.get(pk=b.pk).prize.name == "一等奖"


def test_only_operators_run_a_competition_and_entries_only_while_open(
    race, enterprise_user, enterprise_org, judges
):
    competition = race["competition"]
    with pytest.raises(PermissionDenied):
        services.entry_screen(actor=enterprise_user, entry=race["a"], eligible=False, note="x")
    with pytest.raises(PermissionDenied):  # entries closed
        enter(enterprise_user, competition, enterprise_org, "迟到的项目")
    with pytest.raises(PermissionDenied):  # a judge not on the 初创企业 panel
        services.entry_score_submit(
            actor=judges[1][0], panel=race["first_startup"], entry=race["startup"], values=sheet(80)
        )
    with pytest.raises(PermissionDenied):  # no objection outside the 公示
        services.objection_file(actor=enterprise_user, competition=competition, reason="不服")


def test_the_demo_competition_is_run_to_the_end_and_made_once(
    district_office, institute_org, series, operator, client
):
    import random

    from kechuang.directory.choices import OrganizationKind
    from kechuang.events.demo import make_demo_competition
    from kechuang.events.models import Competition, Objection
    from kechuang.testing.factories import InstituteFactory, PersonFactory

    InstituteFactory()
    for n in range(6):
        OrganizationFactory(name=f"演示企业{n}", kind=OrganizationKind.ENTERPRISE)
    for n in range(4):
        PersonFactory(name=f"演示专家{n}", is_expert=True)
    made = make_demo_competition(scale="tiny", rng=random.Random(7))
    assert made["大赛"] == 1 and made["参赛项目"] == 8 and made["评分"] > 0
    competition = Competition.objects.get()
    assert competition.status == CompetitionStatus.FINAL and competition.publicity_ends_on is not None
    assert Objection.objects.get(competition=competition).status == "dismissed"
    winners = Entry.objects.filter(competition=competition, prize__isnull=False)
    assert winners.count() == 6  # three prizes in each of two tracks
    assert made["奖金拨付"] == sum(e.prize.tranches for e in winners)
    fund = Account.objects.get(code=f"events:{competition.code}:fund")
    assert fund.balance_fen == 0  # every prize paid in full
    assert make_demo_competition(scale="tiny", rng=random.Random(7))["大赛"] == 0
    client.force_login(operator)
    page = client.get(f"/events/competitions/{competition.code}/").content.decode()
    assert "获奖名单" in page and "获奖后跟踪" in page and page.count('data-testid="followup-row"') == 6
    assert "奖金已全部拨付" in page
