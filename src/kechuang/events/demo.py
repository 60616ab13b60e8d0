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
from .models import CHECKIN_ALPHABET, CHECKIN_LENGTH, Event, EventSeries, Feedback, Registration
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
                no_show = int(attended * rng.uniform(0.05, 0.15))
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
    return created
