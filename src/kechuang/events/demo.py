"""Demo data of the events module: the district profile's brand series with two years of events (one
month ahead too), their sign-ups, door check-ins and feedback, so the science-literacy KPIs have figures.

Registered with ``kechuang.directory.demo.register_demo_generator``: deterministic for a seed,
idempotent (an event by its title, which carries its date), counts returned per kind. The people at the
door are registered at the door (no account: residents, pupils, staff of the district's enterprises), the
way outreach events are attended; registration codes are handed out in bulk from the same counters as
real ones (kechuang.core.codes).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from kechuang.core.codes import last_numbers, next_code, set_last_numbers
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.demo.words import GIVEN_FEMALE, GIVEN_MALE, SURNAMES
from kechuang.directory.models import Building, Organization

from .choices import Audience, EventKind, EventStatus, Height, RegistrationStatus, SeriesKind, VenueKind
from .models import CHECKIN_ALPHABET, CHECKIN_LENGTH, Event, EventSeries, Feedback, Objection, Registration
from .services import profile_amenities, series_load_from_profile

MONTHS = {"tiny": 6, "small": 24, "large": 24}
ATTENDANCE = {"tiny": 0.4, "small": 1.0, "large": 1.0}
# series kind → (every how many months, event kind, height, audience, capacity range, title pattern)
PLAN: dict[str, tuple[int, str, str, str, tuple[int, int], str]] = {
    SeriesKind.OUTREACH: (
        1,
        EventKind.OUTREACH,
        Height.LITERACY,
        Audience.PUBLIC,
        (40, 120),
        "{name}·{y}年{m}月",
    ),
    SeriesKind.FORUM: (
        3,
        EventKind.FORUM,
        Height.TRANSFER,
        Audience.ENTERPRISES,
        (80, 200),
        "{name}（{y}年第{q}季）",
    ),
    SeriesKind.CONFERENCE: (12, EventKind.FORUM, Height.RESOURCES, Audience.ALL, (200, 400), "{y}{name}"),
    SeriesKind.COMPETITION: (
        12,
        EventKind.COMPETITION,
        Height.INCUBATION,
        Audience.ENTERPRISES,
        (60, 150),
        "{y}{name}·决赛路演",
    ),
}
TOPICS = {
    SeriesKind.OUTREACH: [
        "走进激光的世界",
        "芯片是怎样炼成的",
        "传感器与智慧生活",
        "科学家的故事",
        "显微镜下的生命",
    ],
    SeriesKind.FORUM: [
        "院所成果转化的最后一公里",
        "生物半导体产业机会",
        "拟态安全与可信计算",
        "智能传感应用前沿",
    ],
    SeriesKind.CONFERENCE: ["知识产权运营与商业化", "高价值专利培育"],
    SeriesKind.COMPETITION: ["院所成果与初创企业同台竞技"],
}


def _name(rng: random.Random) -> str:
    surnames = [s for s, _w in SURNAMES]
    weights = [w for _s, w in SURNAMES]
    given = rng.choice(GIVEN_MALE + GIVEN_FEMALE) + (
        rng.choice(GIVEN_MALE + GIVEN_FEMALE) if rng.random() < 0.7 else ""
    )
    return rng.choices(surnames, weights)[0] + given


def _checkin(rng: random.Random, used: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CHECKIN_ALPHABET) for _ in range(CHECKIN_LENGTH))
        if code not in used:
            used.add(code)
            return code


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = today.replace(day=1)
    out = []
    for back in range(months, -2, -1):  # `months` back, then this month and the next
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        out.append(dt.date(year, month + 1, 1))
    return out


def generate(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    created = {"活动系列": 0, "活动": 0, "活动报名": 0, "活动签到": 0, "活动反馈": 0}
    tz = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        created["活动系列"] = series_load_from_profile(actor=None)
        series = list(EventSeries.objects.filter(from_profile=True).order_by("sort_order", "pk"))
        organizers = list(
            Organization.objects.filter(
                kind__in=[OrganizationKind.GOVERNMENT, OrganizationKind.INSTITUTE]
            ).order_by("kind", "pk")
        )
        co_pool = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("pk")[:40])
        buildings = list(Building.objects.order_by("code"))
        amenities = [a for a in profile_amenities() if "教育基地" in a or "邻里" in a] or profile_amenities()
        if not series or not organizers:
            return created
        government = next((o for o in organizers if o.kind == OrganizationKind.GOVERNMENT), organizers[0])
        numbers = last_numbers("events")
        registrations: list[Registration] = []
        feedback_for: list[tuple[int, str, int]] = []  # (index in registrations, comment, rating)
        for index, start in enumerate(_month_starts(today, MONTHS.get(scale, 24))):
            for position, item in enumerate(series):
                every, kind, height, audience, (low, high), pattern = PLAN.get(
                    item.kind, PLAN[SeriesKind.FORUM]
                )
                if every > 1 and (start.month + position) % every:
                    continue
                # two outreach brands: the second every other month (进校园/进企业 take turns)
                if item.kind == SeriesKind.OUTREACH and position % 2 and index % 2:
                    continue
                title = pattern.format(
                    name=item.name.strip("“”"), y=start.year, m=start.month, q=(start.month - 1) // 3 + 1
                )
                if Event.objects.filter(title=title).exists():
                    continue
                day = start + dt.timedelta(days=rng.randint(4, 24))
                while day.weekday() == 6:
                    day += dt.timedelta(days=1)
                starts = dt.datetime.combine(day, dt.time(rng.choice([9, 14, 14, 19]), 30), tzinfo=tz)
                ends = starts + dt.timedelta(hours=rng.choice([2, 3, 4]))
                capacity = rng.randint(low, high)
                if kind == EventKind.OUTREACH and amenities:
                    venue = {"venue_kind": VenueKind.AMENITY, "amenity": rng.choice(amenities)}
                elif buildings:
                    venue = {"venue_kind": VenueKind.BUILDING, "building": rng.choice(buildings)}
                else:
                    venue = {"venue_kind": VenueKind.ONLINE, "venue_detail": "线上直播"}
                past = ends < now
                organizer = government if item.kind != SeriesKind.OUTREACH else rng.choice(organizers)
                event = Event.objects.create(
                    code=next_code("events", "HD", width=4, year=starts.year),
                    series=item,
                    title=title,
                    kind=kind,
                    summary=f"{rng.choice(TOPICS.get(item.kind, TOPICS[SeriesKind.FORUM]))}。{item.name}是街区的品牌活动。",
                    agenda="签到\n主旨报告\n交流互动",
                    starts_at=starts,
                    ends_at=ends,
                    capacity=capacity,
                    audience=audience,
                    height=height,
                    organizer=organizer,
                    status=EventStatus.FINISHED if past else EventStatus.PUBLISHED,
                    published_at=starts - dt.timedelta(days=14),
                    submitted_at=starts - dt.timedelta(days=16),
                    finished_at=ends if past else None,
                    created_at=starts - dt.timedelta(days=20),
                    **venue,
                )
                if co_pool and rng.random() < 0.5:
                    event.co_organizers.set(rng.sample(co_pool, k=min(2, len(co_pool))))
                created["活动"] += 1
                if not past:
                    continue
                attended = int(capacity * rng.uniform(0.55, 0.95) * ATTENDANCE.get(scale, 1.0))
                # those who signed up and stayed away held places too: never more than the event had
                no_show = min(int(attended * rng.uniform(0.05, 0.15)), capacity - attended)
                used: set[str] = set()
                year = starts.year
                for person in range(attended + no_show):
                    numbers[("BM", year)] = numbers.get(("BM", year), 0) + 1
                    queued = starts - dt.timedelta(days=rng.randint(1, 12), minutes=rng.randint(0, 600))
                    checked = person < attended
                    registrations.append(
                        Registration(
                            code=f"BM-{year}-{numbers[('BM', year)]:05d}",
                            event=event,
                            user=None,
                            attendee_name=_name(rng),
                            status=RegistrationStatus.CONFIRMED,
                            checkin_code=_checkin(rng, used),
                            queued_at=queued,
                            checked_in_at=starts + dt.timedelta(minutes=rng.randint(-30, 20))
                            if checked
                            else None,
                        )
                    )
                    if checked and rng.random() < 0.2:
                        rating = rng.choices([5, 4, 3, 2], [55, 30, 12, 3])[0]
                        feedback_for.append(
                            (
                                len(registrations) - 1,
                                rng.choice(["", "内容很实用", "希望多办", "时间再长一些更好"]),
                                rating,
                            )
                        )
        Registration.objects.bulk_create(registrations, batch_size=500)
        set_last_numbers("events", {k: v for k, v in numbers.items() if k[0] == "BM"})
        saved = {
            r.code: r
            for r in Registration.objects.filter(code__in=[r.code for r in registrations]).only(
                "pk", "code", "checked_in_at"
            )
        }
        Feedback.objects.bulk_create(
            [
                Feedback(
                    registration=saved[registrations[i].code],
                    rating=rating,
                    comment=comment,
                    created_at=(registrations[i].checked_in_at or now) + dt.timedelta(hours=4),
                )
                for i, comment, rating in feedback_for
            ],
            batch_size=500,
        )
        created["活动报名"] = len(registrations)
        created["活动签到"] = sum(1 for r in registrations if r.checked_in_at)
        created["活动反馈"] = len(feedback_for)
    created.update(make_demo_competition(scale=scale, rng=rng))
    return created


ENTRIES_PER_TRACK = {"tiny": 4, "small": 8, "large": 12}
PROJECTS = {
    "院所成果": [
        "强激光清洗装备",
        "MEMS 气体传感芯片",
        "拟态防御路由器",
        "硅光互连模块",
        "微流控快检芯片",
        "超快激光精密加工",
        "工业软件仿真内核",
        "红外光学镜头",
        "可信计算模组",
        "生物半导体测序芯片",
        "激光雷达光源",
        "智能传感网关",
    ],
    "初创企业": [
        "智慧工厂视觉质检",
        "车规级域控制器",
        "储能电池管理系统",
        "AI 辅助诊断平台",
        "物联网资产追踪",
        "数字孪生运维",
        "精密光学检测服务",
        "氢能燃料电池电堆",
        "手术机器人末端",
        "边缘计算盒子",
        "低空无人机巡检",
        "碳排放监测终端",
    ],
}


def _sheet(criteria: list[dict[str, Any]], rng: random.Random, level: int) -> dict[str, int]:
    return {c["code"]: max(0, min(100, level + rng.randint(-8, 8))) for c in criteria}


def make_demo_competition(*, scale: str, rng: random.Random) -> dict[str, int]:
    """Last year's 菊园科研院所创新创业大赛, run to the end through the services (as the system): entries in two
    tracks, eligibility, both rounds scored by the expert pool (recused judges skip their conflicts), the 公示
    with one objection dismissed, the result final and every prize paid on the ledger. Idempotent by title."""
    from kechuang.core.scoring import weighted_total_x100
    from kechuang.directory.models import Person

    from . import permissions as perms
    from . import services
    from .choices import EntryStatus, Round
    from .models import Competition, Entry, EntryScore, Judge

    made = {"大赛": 0, "参赛项目": 0, "评分": 0, "奖金拨付": 0}
    year = timezone.localdate().year - 1
    series = EventSeries.objects.filter(kind=SeriesKind.COMPETITION).order_by("sort_order").first()
    title = f"{year}{series.name if series else '菊园科研院所创新创业大赛'}"
    if Competition.objects.filter(title=title).exists():
        return made
    pool_experts = list(Person.objects.filter(is_expert=True).order_by("pk"))
    institutes = list(Organization.objects.filter(kind=OrganizationKind.INSTITUTE).order_by("pk"))
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("pk")[:60])
    government = Organization.objects.filter(kind=OrganizationKind.GOVERNMENT).order_by("pk").first()
    if len(pool_experts) < 3 or not institutes or len(enterprises) < 4 or government is None:
        return made
    count = ENTRIES_PER_TRACK.get(scale, 8)
    finalists = 3 if scale == "tiny" else 5
    with transaction.atomic():
        competition = services.competition_create(
            actor=None,
            title=title,
            rules="设院所成果、初创企业两个赛道。初赛网络评审，每个赛道前若干名进入决赛；决赛采用“8+7”路演答辩"
            "（8 分钟陈述、7 分钟问答）。结果公示 5 个工作日，公示期内可提出异议。奖金通过平台账本拨付，一等奖分两期。",
            organizer=government,
            entry_deadline=dt.date(year, 6, 30),
            series=series,
            finalists_per_track=finalists,
            tracks=[
                services.TrackInput(
                    "院所成果",
                    [
                        services.PrizeInput(1, "一等奖", 30_000_000, tranches=2),
                        services.PrizeInput(2, "二等奖", 15_000_000),
                        services.PrizeInput(3, "三等奖", 5_000_000),
                    ],
                ),
                services.TrackInput(
                    "初创企业",
                    [
                        services.PrizeInput(1, "一等奖", 20_000_000, tranches=2),
                        services.PrizeInput(2, "二等奖", 10_000_000),
                        services.PrizeInput(3, "三等奖", 5_000_000),
                    ],
                ),
            ],
        )
        Competition.objects.filter(pk=competition.pk).update(
            created_at=timezone.make_aware(dt.datetime(year, 4, 1, 10, 0))
        )
        competition = services.competition_open(actor=None, competition=competition)
        entries = []
        for track in competition.tracks.order_by("sort_order"):
            pool = institutes if track.name == "院所成果" else enterprises
            for index in range(count):
                organization = pool[index % len(pool)]
                project = PROJECTS[track.name][index % len(PROJECTS[track.name])]
                entries.append(
                    services.entry_submit(
                        actor=None,
                        competition=competition,
                        track=track,
                        organization=organization,
                        details=services.EntryDetails(
                            project=project,
                            summary=f"{project}：从样机到量产的产业化方案。",
                            team="核心团队 4–8 人，含博士与产业化负责人。",
                            business_plan="三年内实现规模化销售，带动就业。",
                            ip_summary="已授权发明专利若干项。",
                        ),
                    )
                )
        made["参赛项目"] = len(entries)
        # the judges: experts in conflict with the fewest entries (most experts work at the institutes that
        # enter), so that every entry keeps judges who are not recused
        candidates = Entry.objects.filter(pk__in=[e.pk for e in entries])
        recusals = {p.pk: perms.conflicted_entry_ids(p, candidates) for p in pool_experts}
        experts = sorted(pool_experts, key=lambda p: (len(recusals[p.pk]), p.pk))[:5]
        competition = services.competition_close_entries(actor=None, competition=competition)
        for index, entry in enumerate(entries):
            eligible = index != len(entries) - 1
            services.entry_screen(
                actor=None,
                entry=entry,
                eligible=eligible,
                note="" if eligible else "项目不在街区实施，不符合参赛条件",
            )
        strength = {entry.pk: rng.randint(55, 92) for entry in entries}

        def score_round(round_: str) -> None:
            for track in competition.tracks.order_by("sort_order"):
                panel = services.panel_build(actor=None, track=track, round=round_, experts=experts)
                for judge in Judge.objects.filter(panel=panel).select_related("expert"):
                    candidates = services.round_entries(track, round_)
                    recused = perms.conflicted_entry_ids(judge.expert, candidates)
                    for entry in candidates:
                        if entry.pk in recused:
                            continue
                        values = _sheet(panel.criteria, rng, strength[entry.pk])
                        EntryScore.objects.create(
                            judge=judge,
                            entry=entry,
                            values=values,
                            total_x100=weighted_total_x100(panel.criteria, values),
                        )
                        made["评分"] += 1
                services.panel_close(actor=None, panel=panel)

        score_round(Round.FIRST)
        competition.refresh_from_db()
        score_round(Round.DEFENCE)
        competition = services.competition_publicize(actor=None, competition=competition)
        published = timezone.make_aware(dt.datetime(year, 10, 20, 9, 0))
        ends_on = services.publicity_end(published.date(), competition.publicity_working_days)
        Competition.objects.filter(pk=competition.pk).update(
            publicity_started_at=published, publicity_ends_on=ends_on
        )
        competition.refresh_from_db()
        ranked = competition.entries.filter(status=EntryStatus.RANKED).order_by("rank", "pk").first()
        objection = Objection.objects.create(
            code=next_code("events", "YI", width=5, year=year),
            competition=competition,
            entry=ranked,
            reason="质疑该项目的专利权属。",
            filed_at=published + dt.timedelta(days=2),
        )
        services.objection_resolve(
            actor=None, objection=objection, upheld=False, resolution="经核查专利权属清晰，异议不成立。"
        )
        final_day = ends_on + dt.timedelta(days=1)
        competition = services.competition_finalize(actor=None, competition=competition, today=final_day)
        Competition.objects.filter(pk=competition.pk).update(  # last year's result: dated when it was final
            finalized_at=timezone.make_aware(dt.datetime.combine(final_day, dt.time(10, 0))),
            followup_until=services.followup_end(final_day),
        )
        competition.refresh_from_db()
        for entry in competition.entries.filter(prize__isnull=False).select_related("prize"):
            for _tranche in range(entry.prize.tranches if entry.prize else 0):
                services.prize_pay(actor=None, entry=entry)
                made["奖金拨付"] += 1
        made["大赛"] = 1
        made.update(make_demo_roadshow(competition, rng=rng))
    return made


def make_demo_roadshow(competition: Any, *, rng: random.Random) -> dict[str, int]:
    """The roadshow of last year's competition: the directory's investment institutions register interest
    in the ranked entries, meet some teams, and a few contacts end in a term sheet or an investment within
    the twelve months after the result (the 科技企业孵化 height's 获奖项目融资额). Written as records dated in
    the past (the services refuse meetings in the past), with codes from core.codes."""

    from .choices import EntryStatus, MeetingSide, MeetingStatus, OutcomeKind
    from .models import InvestorInterest, Meeting, RoadshowOutcome

    made = {"投资意向": 0, "路演约谈": 0, "对接结果": 0}
    investors = list(Organization.objects.filter(kind=OrganizationKind.INVESTOR).order_by("pk"))
    entries = list(competition.entries.filter(status=EntryStatus.RANKED).order_by("rank", "pk"))
    if not investors or not entries or competition.publicity_ends_on is None:
        return made
    start = competition.publicity_ends_on
    last = min(competition.followup_until or start, timezone.localdate())
    span = max(1, (last - start).days)
    for entry in entries:
        chosen = rng.sample(investors, k=min(len(investors), rng.randint(1, 3)))
        for number, investor in enumerate(chosen):
            day = start - dt.timedelta(days=rng.randint(1, 10))
            InvestorInterest.objects.create(
                investor=investor,
                entry=entry,
                note=rng.choice(["看好技术壁垒", "关注量产与客户验证", "符合基金投向", "团队背景扎实"]),
                created_at=timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0))),
            )
            made["投资意向"] += 1
            if number > 0 and rng.random() < 0.5:
                continue
            asked = start + dt.timedelta(days=rng.randint(0, min(30, span)))
            meet_day = asked + dt.timedelta(days=rng.randint(3, 14))
            meeting = Meeting.objects.create(
                code=next_code("events", "YT", width=5, year=asked.year),
                entry=entry,
                investor=investor,
                asked_by_side=rng.choice([MeetingSide.INVESTOR, MeetingSide.TEAM]),
                proposed_at=timezone.make_aware(dt.datetime.combine(meet_day, dt.time(14, 0))),
                scheduled_at=timezone.make_aware(dt.datetime.combine(meet_day, dt.time(14, 0))),
                place="菊园路演厅",
                status=MeetingStatus.ACCEPTED,
                answer="时间可以，届时带上样机。",
                requested_at=timezone.make_aware(dt.datetime.combine(asked, dt.time(10, 0))),
                answered_at=timezone.make_aware(dt.datetime.combine(asked, dt.time(17, 0))),
            )
            made["路演约谈"] += 1
            roll = rng.random()
            kind, amount = OutcomeKind.FOLLOW_UP, 0
            if roll < 0.25:
                kind, amount = OutcomeKind.INVESTED, rng.choice([300, 500, 800, 1_000, 2_000]) * 1_000_000
            elif roll < 0.45:
                kind, amount = OutcomeKind.TERM_SHEET, rng.choice([500, 1_000, 1_500]) * 1_000_000
            elif roll < 0.6:
                kind = OutcomeKind.PASSED
            day = min(last, meet_day + dt.timedelta(days=rng.randint(20, 200)))
            RoadshowOutcome.objects.create(
                code=next_code("events", "TR", width=5, year=day.year),
                entry=entry,
                investor=investor,
                meeting=meeting,
                kind=kind,
                amount_fen=amount,
                occurred_on=day,
                note="",
            )
            made["对接结果"] += 1
    return made
