"""Demo data of the service desk: the working-day calendar, commissioners and 包保 leaders for every
enterprise, requests in every state over the last months (with their history, clocks, breaches and
ratings), one plan per key enterprise, visits and a few enterprises that asked not to be disturbed.

Registered with ``kechuang.directory.demo.register_demo_generator`` (see that module for the contract:
deterministic for a seed, idempotent, counts returned per kind). Requests are keyed by ``external_ref``
(``demo:<seed>:<n>``), so a second run creates nothing. Dates are laid out backwards from the day of the
run, so the demo always has fresh, due-soon and overdue work.

The demo accounts (``commissioner``, ``leader``, ``enterprise``) are created by ``kechuang demo`` after the
demo data; ``attach_demo_accounts()`` gives them a portfolio once they exist (it runs at the end of this
generator, so a second ``kechuang demo`` attaches them; calling it right after the accounts are created
attaches them on the first run).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from kechuang.accounts.choices import Role
from kechuang.accounts.models import Membership, User
from kechuang.core import audit
from kechuang.core.codes import next_code
from kechuang.core.figures import changed_on_commit
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization

from . import clock
from .choices import (
    AssignmentRole,
    Department,
    PlanItemKind,
    PlanItemStatus,
    RequestChannel,
    RequestEventKind,
    RequestStatus,
    VisitStatus,
)
from .models import (
    Assignment,
    CalendarDay,
    CalendarYear,
    Plan,
    PlanItem,
    RequestEvent,
    ServicePreference,
    ServiceRequest,
    SlaPolicy,
    Visit,
)
from .workcalendar import DEFAULT_SLA, ensure_default_policies, load_calendar_rows, work_calendar

SCALES = {  # commissioners, leaders, requests, days of history
    "tiny": (2, 1, 24, 60),
    "small": (8, 3, 180, 120),
    "large": (40, 8, 1800, 180),
}
COMMISSIONER_NAMES = [
    "高晓东",
    "许文静",
    "沈建平",
    "曹丽华",
    "彭志刚",
    "吕晓梅",
    "蒋国栋",
    "蔡雪芳",
    "魏明亮",
    "薛慧敏",
    "叶振华",
    "阎秀英",
    "潘立军",
    "杜海燕",
    "戴永强",
    "夏雨晴",
    "钟卫东",
    "汪佳琪",
    "田建军",
    "任晓红",
    "周晓岚",
    "孙立新",
    "马俊杰",
    "朱婷婷",
    "胡文斌",
    "郭佳怡",
    "何志强",
    "林雪梅",
    "罗建华",
    "梁思琪",
    "宋海涛",
    "郑雅琴",
    "谢明辉",
    "韩晓燕",
    "唐国庆",
    "冯丽娜",
    "于洪波",
    "董欣然",
    "萧子健",
    "程美玲",
]
LEADER_NAMES = ["王建国", "李卫平", "张明华", "陈志远", "刘德胜", "杨光荣", "黄振宇", "赵立群"]

TOPICS: dict[str, list[tuple[str, str]]] = {
    "policy": [
        (
            "高新技术企业认定政策咨询",
            "今年计划申报高新技术企业，想了解研发费用占比和知识产权数量的具体口径，以及区里有没有配套奖励。",
        ),
        ("研发费用加计扣除口径咨询", "委托院所开发的费用能否加计扣除？需要准备哪些合同和备案材料？"),
        ("专精特新企业申报辅导", "希望申报市级专精特新企业，请帮助梳理材料清单和时间节点。"),
        ("创新券使用范围咨询", "想用菊园创新券购买检验检测服务，请问哪些服务机构和项目可以使用？"),
    ],
    "space": [
        (
            "需要新增研发实验室空间",
            "团队扩张，需要在园区内新增约 300 平方米的研发实验室，层高 4.5 米以上，最好在平城路沿线。",
        ),
        ("厂房承重与用电增容", "新产线设备较重，需要地面承重 1 吨/平方米以上，并申请用电增容约 400 千伏安。"),
        ("洁净室改造手续", "计划把现有车间改造为万级洁净室，想了解需要办理哪些手续、是否有改造补贴。"),
        ("租金补贴与续租", "租约明年到期，请问园区租金补贴政策是否延续，续租需要提前多久申请？"),
    ],
    "talent": [
        ("引进博士落户办理", "新引进两名博士，请协助办理人才引进落户，并了解安家补贴申请流程。"),
        ("人才公寓申请", "有三名研发骨干需要人才公寓，请问申请条件和排队情况。"),
        ("外籍专家工作许可", "一位德国专家将来公司工作两年，请协助办理外国人工作许可和居留。"),
        ("员工子女入学咨询", "几位核心员工的子女明年入学，想了解人才子女就学政策。"),
    ],
    "financing": [
        ("对接科技信贷", "企业有一笔设备采购需要约 500 万元流动资金，希望对接科技贷款和贴息政策。"),
        ("天使轮融资路演机会", "正在筹备天使轮融资，希望参加街区组织的投融资路演，对接早期投资机构。"),
        ("知识产权质押融资", "公司有 12 件发明专利，想了解知识产权质押融资的评估和贴息办法。"),
        ("政府引导基金申报", "请介绍区级产业引导基金的投资方向和申报条件。"),
    ],
    "ip": [
        ("发明专利优先审查推荐", "核心产品的发明专利申请希望走优先审查，请问如何取得推荐。"),
        ("商标被抢注如何应对", "发现有人在相关类别抢注了我们的商标，请指导异议和维权途径。"),
        ("专利许可合同备案", "与院所签订了专利实施许可合同，需要办理备案，请提供指导。"),
        ("高价值专利培育项目", "想申报高价值专利培育项目，请介绍评价标准和配套服务机构。"),
    ],
    "approval": [
        ("新建实验室环评手续", "新建生物实验室需要办理环评，请协助明确审批类别和办理时限。"),
        ("消防验收进度查询", "装修工程已完工一个月，消防验收还没有排期，影响入驻，请帮忙协调。"),
        ("施工许可办理", "厂房改扩建需要办理施工许可，请告知材料要求并协助加快审批。"),
        ("危险化学品使用许可", "研发需要少量危险化学品，请指导使用许可和储存要求。"),
    ],
    "other": [
        ("园区班车线路调整建议", "员工反映早高峰班车班次不足，建议增加地铁站接驳班次。"),
        ("周边停车位不足", "园区周边停车位紧张，访客经常无处停车，希望协调增加临时停车位。"),
        ("网络宽带接入", "研发楼需要千兆专线接入，运营商说管线不通，请帮助协调。"),
        ("食堂就餐服务", "园区食堂午餐供应不足，希望增加供餐窗口或引入外部餐饮。"),
    ],
}
CATEGORY_WEIGHTS = {
    "policy": 24,
    "space": 14,
    "talent": 16,
    "financing": 14,
    "ip": 12,
    "approval": 12,
    "other": 8,
}
ANSWERS = [
    "已收到，我们已与相关部门联系，明天上午给您回复具体办法。",
    "您好，已受理。我先把需要准备的材料清单发给您，请核对后告诉我缺哪些。",
    "已受理，本周内约您到企业面谈，当面把政策口径讲清楚。",
    "收到，已请经济发展办同步了解情况，有进展第一时间告诉您。",
]
RESOLUTIONS = [
    "已协调相关部门办理完毕，材料已当面交给企业联系人。",
    "政策口径已书面答复，并约定下月跟进申报进度。",
    "已完成对接，对方机构将直接与企业联系。",
    "审批已完成，证照已发放。",
]
VISIT_PURPOSES = [
    "了解企业经营情况与发展需求",
    "一企一策年度回访",
    "政策宣讲与申报辅导",
    "新产线投产前服务对接",
    "人才需求调研",
    "重点项目推进协调",
]
VISIT_NOTES = [
    "企业经营平稳，订单同比增长；提出研发场地紧张和人才住房需求，已记录并纳入一企一策跟进。",
    "与总经理座谈，介绍了高企认定和研发费用加计扣除政策，企业计划下季度启动申报。",
    "察看新产线，企业反映用电增容进度慢，已联系供电部门。",
    "企业近期无新需求，表示有事会在平台提出，希望减少上门次数。",
]
PLAN_NEEDS = [
    "扩大研发场地约 500 平方米",
    "引进高端研发人才 3–5 名",
    "对接天使轮或 A 轮投资",
    "申报高新技术企业",
    "推进与院所的联合实验室",
]
PLAN_COMMITMENTS = [
    "协调园区优先推荐符合条件的空间",
    "落实人才公寓 2 套",
    "推荐参加街区投融资路演",
    "安排知识产权服务机构一对一辅导",
    "对接院所技术转移办公室",
]


def _local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.TZ)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def _district_office() -> Organization | None:
    return Organization.objects.filter(kind=OrganizationKind.GOVERNMENT).order_by("id").first()


def _ensure_staff(
    prefix: str, names: list[str], count: int, role: str, office: Organization | None
) -> tuple[list[User], int]:
    """Synthetic staff accounts without a usable password (they cannot sign in; A4)."""
    group, _created = Group.objects.get_or_create(name=role)
    users, created = [], 0
    for index in range(count):
        username = f"{prefix}{index + 1:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                display_name=names[index % len(names)]
                + ("" if index < len(names) else str(index // len(names) + 1)),
                is_demo=True,
            )
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
            created += 1
            if office is not None:
                Membership.objects.get_or_create(
                    user=user,
                    organization=office,
                    defaults={
                        "position": "企业服务专员" if role == Role.COMMISSIONER else "班子领导",
                        "is_default": True,
                    },
                )
        users.append(user)
    return users, created


def _assign_all(commissioners: list[User], leaders: list[User], started: dt.datetime) -> int:
    """Every enterprise without a commissioner gets one (grouped by park, balanced); every key enterprise
    without a leader gets one."""
    created = 0
    assigned = set(
        Assignment.objects.filter(role=AssignmentRole.COMMISSIONER, ended_at__isnull=True).values_list(
            "organization_id", flat=True
        )
    )
    load = defaultdict(int)
    for user_id in Assignment.objects.filter(
        role=AssignmentRole.COMMISSIONER, ended_at__isnull=True
    ).values_list("user_id", flat=True):
        load[user_id] += 1
    by_park: dict[Any, int] = {}
    rows = []
    for org in (
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
        .exclude(pk__in=assigned)
        .order_by("park_id", "id")
    ):
        preferred = by_park.get(org.park_id)
        lowest = min(load[u.pk] for u in commissioners)
        if preferred is None or load[preferred] > lowest + 3:
            preferred = min(commissioners, key=lambda u: (load[u.pk], u.pk)).pk
            by_park[org.park_id] = preferred
        load[preferred] += 1
        rows.append(
            Assignment(
                organization=org,
                role=AssignmentRole.COMMISSIONER,
                user_id=preferred,
                started_at=started,
                reason="演示数据：初始分配",
            )
        )
    if leaders:
        led = set(
            Assignment.objects.filter(role=AssignmentRole.LEADER, ended_at__isnull=True).values_list(
                "organization_id", flat=True
            )
        )
        for index, org in enumerate(
            Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, is_key=True)
            .exclude(pk__in=led)
            .order_by("id")
        ):
            rows.append(
                Assignment(
                    organization=org,
                    role=AssignmentRole.LEADER,
                    user=leaders[index % len(leaders)],
                    started_at=started,
                    reason="演示数据：重点企业包保",
                )
            )
    Assignment.objects.bulk_create(rows)
    created += len(rows)
    return created


def _working_moment(rng: random.Random, day: dt.date, calendar: clock.WorkCalendar) -> dt.datetime:
    """A moment on ``day``: mostly office hours of a working day; a few in the evening."""
    if rng.random() < 0.12:
        return _local(day, rng.randint(18, 22), rng.choice([0, 15, 30, 45]))
    return _local(day, rng.randint(9, 16), rng.choice([0, 10, 20, 30, 40, 50]))


def _make_requests(
    *,
    rng: random.Random,
    seed: int,
    count: int,
    days: int,
    now: dt.datetime,
    calendar: clock.WorkCalendar,
    filers: dict[int, User | None],
) -> tuple[int, int]:
    policies = {p.category: (p.response_days, p.resolution_days) for p in SlaPolicy.objects.all()}
    current = {
        a.organization_id: a.user_id
        for a in Assignment.objects.filter(role=AssignmentRole.COMMISSIONER, ended_at__isnull=True)
    }
    enterprises = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
        .order_by("id")
        .values_list("id", "is_key")
    )
    if not enterprises:
        return 0, 0
    existing = set(
        ServiceRequest.objects.filter(external_ref__startswith=f"demo:{seed}:").values_list(
            "external_ref", flat=True
        )
    )
    weights = [3 if key else 1 for _id, key in enterprises]
    plans: list[dict[str, Any]] = []
    for index in range(count):
        ref = f"demo:{seed}:{index:05d}"
        # draw everything even for existing rows, so the random stream (and the data) stay the same
        org_id = rng.choices([e[0] for e in enterprises], weights=weights, k=1)[0]
        category = _weighted(rng, CATEGORY_WEIGHTS)
        title, text = rng.choice(TOPICS[category])
        age = days * (rng.random() ** 1.6)  # more recent than old
        day = (now - dt.timedelta(days=age)).astimezone(clock.TZ).date()
        filed = _working_moment(rng, day, calendar)
        while filed > now - dt.timedelta(minutes=5):  # a moment later today: take the day before
            filed -= dt.timedelta(days=1)
        response_lag = rng.choice([30, 60, 90, 120, 180, 240, 300, 420, 600, 900])
        resolution_share = rng.uniform(0.2, 1.35)
        handed = rng.random() < 0.25
        rating = rng.choices([5, 4, 3, 2, 1], weights=[55, 30, 10, 4, 1], k=1)[0]
        answer, resolution = rng.choice(ANSWERS), rng.choice(RESOLUTIONS)
        department = rng.choice([d for d in Department.values if d != Department.OTHER])
        rated = rng.random() < 0.85
        if ref in existing:
            continue
        plans.append(
            {
                "ref": ref,
                "org": org_id,
                "category": category,
                "title": title,
                "text": text,
                "filed": filed,
                "response_lag": response_lag,
                "resolution_share": resolution_share,
                "handed": handed,
                "rating": rating,
                "answer": answer,
                "resolution": resolution,
                "department": department,
                "rated": rated,
            }
        )
    requests, events = [], []
    for p in plans:
        response_days, resolution_days = policies.get(p["category"], DEFAULT_SLA[p["category"]])
        filed = p["filed"]
        response_due = clock.add_working_days(filed, response_days, calendar)
        resolution_due = clock.add_working_days(filed, resolution_days, calendar)
        responded = clock.add_working_minutes(filed, p["response_lag"], calendar)
        resolved = clock.add_working_minutes(
            filed,
            max(p["response_lag"] + 60, int(resolution_days * calendar.day_minutes * p["resolution_share"])),
            calendar,
        )
        closed = clock.add_working_minutes(resolved, 240, calendar)
        request = ServiceRequest(
            organization_id=p["org"],
            category=p["category"],
            title=p["title"],
            text=p["text"],
            channel=RequestChannel.PLATFORM if rng.random() < 0.8 else RequestChannel.PHONE,
            commissioner_id=current.get(p["org"]),
            created_by=filers.get(p["org"]),
            filed_at=filed,
            updated_at=filed,
            response_days=response_days,
            resolution_days=resolution_days,
            clock_started_at=filed,
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            external_ref=p["ref"],
        )
        trail: list[tuple[str, dt.datetime, str, str, str, dict[str, Any], bool]] = [
            (RequestEventKind.FILED, filed, "", "", RequestStatus.SUBMITTED, {}, False)
        ]
        status = RequestStatus.SUBMITTED
        if responded <= now:
            status = RequestStatus.IN_PROGRESS
            request.first_responded_at = responded
            request.response_minutes = clock.working_minutes_between(filed, responded, calendar)
            request.response_breached = responded > response_due
            trail.append(
                (
                    RequestEventKind.RESPONDED,
                    responded,
                    p["answer"],
                    RequestStatus.SUBMITTED,
                    status,
                    {},
                    True,
                )
            )
            if p["handed"]:
                moment = clock.add_working_minutes(responded, 120, calendar)
                if moment <= now:
                    label = str(Department(p["department"]).label)
                    trail.append(
                        (
                            RequestEventKind.HANDED_OVER,
                            moment,
                            f"请{label}协助办理。",
                            status,
                            RequestStatus.HANDED_OVER,
                            {"department": p["department"], "department_label": label},
                            True,
                        )
                    )
                    status = RequestStatus.HANDED_OVER
                    request.department = p["department"]
            if resolved <= now:
                trail.append(
                    (
                        RequestEventKind.RESOLVED,
                        resolved,
                        p["resolution"],
                        status,
                        RequestStatus.RESOLVED,
                        {},
                        True,
                    )
                )
                status = RequestStatus.RESOLVED
                request.resolved_at = resolved
                request.resolution_minutes = clock.working_minutes_between(filed, resolved, calendar)
                request.resolution_breached = resolved > resolution_due
                if p["rated"] and closed <= now:
                    trail.append(
                        (
                            RequestEventKind.CLOSED,
                            closed,
                            "",
                            status,
                            RequestStatus.CLOSED,
                            {"rating": p["rating"]},
                            False,
                        )
                    )
                    status = RequestStatus.CLOSED
                    request.closed_at, request.rating = closed, p["rating"]
        if status == RequestStatus.SUBMITTED and response_due <= now:
            request.response_breached = True
            request.response_escalated_at = response_due
            trail.append(
                (
                    RequestEventKind.ESCALATED,
                    response_due,
                    "首次响应超时，已升级至包保领导。",
                    "",
                    "",
                    {"clock": "response"},
                    False,
                )
            )
        if (
            status in (RequestStatus.SUBMITTED, RequestStatus.IN_PROGRESS, RequestStatus.HANDED_OVER)
            and resolution_due <= now
        ):
            request.resolution_breached = True
            request.resolution_escalated_at = resolution_due
            trail.append(
                (
                    RequestEventKind.ESCALATED,
                    resolution_due,
                    "办结超时，已升级至包保领导。",
                    "",
                    "",
                    {"clock": "resolution"},
                    False,
                )
            )
        request.status = status
        request.version = 1 + sum(1 for t in trail if t[4] and t[3])
        request.updated_at = max(t[1] for t in trail)
        requests.append((request, sorted(trail, key=lambda t: t[1])))
    ServiceRequest.objects.bulk_create([r for r, _trail in requests], batch_size=500)
    stored = {
        r.external_ref: r
        for r in ServiceRequest.objects.filter(external_ref__in=[r.external_ref for r, _trail in requests])
    }
    # codes in the order the requests were filed, numbered per year (never from the primary key)
    for saved in sorted(stored.values(), key=lambda r: (r.filed_at, r.pk)):
        saved.code = next_code(
            "servicedesk", ServiceRequest.CODE_PREFIX, width=6, year=saved.filed_at.astimezone(clock.TZ).year
        )
    to_update = []
    for request, trail in requests:
        saved = stored[request.external_ref]
        to_update.append(saved)
        version = 1
        for kind, when, text, source, target, data, by_staff in trail:
            if target and source:
                version += 1
            actor_id = (
                saved.commissioner_id
                if by_staff
                else (
                    saved.created_by_id if kind in (RequestEventKind.FILED, RequestEventKind.CLOSED) else None
                )
            )
            events.append(
                RequestEvent(
                    request=saved,
                    kind=kind,
                    actor_id=actor_id,
                    text=text,
                    from_status=source,
                    to_status=target,
                    version=version,
                    data=data,
                    created_at=when,
                )
            )
    ServiceRequest.objects.bulk_update(to_update, ["code"], batch_size=500)
    RequestEvent.objects.bulk_create(events, batch_size=1000)
    return len(requests), len(events)


def _make_plans_and_visits(*, seed: int, now: dt.datetime, scale: str) -> tuple[int, int, int, int]:
    """Plans, visits and 无事不扰 settings. Each enterprise draws from its own random source (seeded by the
    run's seed and its credit code), so what one gets does not depend on what others already have."""
    today = now.astimezone(clock.TZ).date()
    commissioner_of = {
        a.organization_id: a.user_id
        for a in Assignment.objects.filter(role=AssignmentRole.COMMISSIONER, ended_at__isnull=True)
    }
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("id"))
    with_plan = set(Plan.objects.values_list("organization_id", flat=True))
    visited = set(Visit.objects.values_list("organization_id", flat=True))
    with_preference = set(ServicePreference.objects.values_list("organization_id", flat=True))
    share = {"tiny": 0.5, "small": 0.3, "large": 0.15}.get(scale, 0.3)
    plans = items = quiet = 0
    new_visits = []
    for org in enterprises:
        rng = random.Random(f"{seed}:servicedesk:{org.uscc or org.name}")
        chosen = org.is_key or rng.random() < share
        quiet_one = rng.random() < 0.05
        if chosen and org.pk not in with_plan:
            plan = Plan.objects.create(
                organization=org,
                summary=(
                    f"{org.short_name or org.name}："
                    f"{org.description[:80] if org.description else '区内科技企业'}。"
                    "服务重点是场地、人才和融资，按季度回访。"
                ),
            )
            plans += 1
            rows = [
                PlanItem(plan=plan, kind=PlanItemKind.NEED, text=rng.choice(PLAN_NEEDS)),
                PlanItem(
                    plan=plan,
                    kind=PlanItemKind.COMMITMENT,
                    text=rng.choice(PLAN_COMMITMENTS),
                    due_on=today + dt.timedelta(days=rng.randint(10, 90)),
                ),
                PlanItem(
                    plan=plan,
                    kind=PlanItemKind.FOLLOW_UP,
                    text="季度回访，了解需求落实情况",
                    status=PlanItemStatus.DONE if rng.random() < 0.4 else PlanItemStatus.OPEN,
                    due_on=today + dt.timedelta(days=rng.randint(-20, 60)),
                ),
            ]
            PlanItem.objects.bulk_create(rows)
            items += len(rows)
        visitor = commissioner_of.get(org.pk)
        if chosen and visitor and org.pk not in visited and not quiet_one:
            days_back = sorted(rng.sample(range(20, 150), k=rng.randint(1, 2)))
            for back in days_back:
                day = today - dt.timedelta(days=back)
                new_visits.append(
                    Visit(
                        organization=org,
                        planned_for=day,
                        purpose=rng.choice(VISIT_PURPOSES),
                        visitor_id=visitor,
                        status=VisitStatus.DONE,
                        notes=rng.choice(VISIT_NOTES),
                        created_at=_local(day - dt.timedelta(days=7), 10, 0),
                        recorded_at=_local(day, 17, 0),
                    )
                )
            if rng.random() < 0.3:
                day = today + dt.timedelta(days=rng.randint(3, 20))
                new_visits.append(
                    Visit(
                        organization=org,
                        planned_for=day,
                        purpose=rng.choice(VISIT_PURPOSES),
                        visitor_id=visitor,
                        created_at=now,
                    )
                )
        if quiet_one and org.pk not in with_preference:
            ServicePreference.objects.create(
                organization=org,
                do_not_disturb=True,
                do_not_disturb_until=today + dt.timedelta(days=rng.choice([30, 60, 90]))
                if rng.random() < 0.6
                else None,
                note="研发攻关期，有事我们会在平台上提，谢谢。",
            )
            quiet += 1
    Visit.objects.bulk_create(new_visits, batch_size=500)
    fresh = list(Visit.objects.filter(code__startswith="tmp-").order_by("created_at", "pk"))
    for visit in fresh:
        visit.code = next_code(
            "servicedesk", Visit.CODE_PREFIX, width=6, year=visit.created_at.astimezone(clock.TZ).year
        )
    Visit.objects.bulk_update(fresh, ["code"], batch_size=500)
    return plans, items, len(new_visits), quiet


def attach_demo_accounts(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Give the demo accounts work: the ``commissioner`` account takes over the first synthetic
    commissioner's portfolio (and serves the ``enterprise`` account's enterprise), the ``leader`` account
    the first synthetic leader's key enterprises; the demo enterprise gets a few requests of its own.
    Idempotent; does nothing before the accounts exist."""
    now = now or clock.now()
    counts = {"演示专员接手企业": 0, "演示企业诉求": 0}
    demo_commissioner = User.objects.filter(
        username="commissioner", is_demo=True, groups__name=Role.COMMISSIONER
    ).first()
    demo_leader = User.objects.filter(username="leader", is_demo=True, groups__name=Role.LEADER).first()
    demo_enterprise_user = User.objects.filter(username="enterprise", is_demo=True).first()
    enterprise = None
    if demo_enterprise_user is not None:
        membership = (
            Membership.objects.filter(
                user=demo_enterprise_user, organization__kind=OrganizationKind.ENTERPRISE
            )
            .select_related("organization")
            .order_by("-is_default", "id")
            .first()
        )
        enterprise = membership.organization if membership else None
    with transaction.atomic():
        # bulk moves send no model signals: retire what the pages keep about assignments by hand
        changed_on_commit()
        for demo_user, synthetic, role in (
            (demo_commissioner, "sd-commissioner-01", AssignmentRole.COMMISSIONER),
            (demo_leader, "sd-leader-01", AssignmentRole.LEADER),
        ):
            if demo_user is None or Assignment.objects.filter(user=demo_user, role=role).exists():
                continue
            source = User.objects.filter(username=synthetic).first()
            if source is None:
                continue
            moved = list(Assignment.objects.filter(user=source, role=role, ended_at__isnull=True))
            Assignment.objects.filter(pk__in=[a.pk for a in moved]).update(
                ended_at=now, end_reason="演示：交由演示账号"
            )
            Assignment.objects.bulk_create(
                [
                    Assignment(
                        organization_id=a.organization_id,
                        role=role,
                        user=demo_user,
                        started_at=now,
                        reason="演示：交由演示账号",
                    )
                    for a in moved
                ]
            )
            if role == AssignmentRole.COMMISSIONER:
                ServiceRequest.objects.filter(commissioner=source).update(commissioner=demo_user)
                RequestEvent.objects.filter(actor=source).update(actor=demo_user)
                Visit.objects.filter(visitor=source).update(visitor=demo_user)
            counts["演示专员接手企业"] += len(moved) if role == AssignmentRole.COMMISSIONER else 0
        if enterprise is not None and demo_commissioner is not None:
            current = Assignment.objects.filter(
                organization=enterprise, role=AssignmentRole.COMMISSIONER, ended_at__isnull=True
            ).first()
            if current is None or current.user_id != demo_commissioner.pk:
                if current is not None:
                    Assignment.objects.filter(pk=current.pk).update(
                        ended_at=now, end_reason="演示：交由演示账号"
                    )
                Assignment.objects.create(
                    organization=enterprise,
                    role=AssignmentRole.COMMISSIONER,
                    user=demo_commissioner,
                    started_at=now,
                    reason="演示：交由演示账号",
                )
                ServiceRequest.objects.filter(
                    organization=enterprise,
                    status__in=[
                        RequestStatus.SUBMITTED,
                        RequestStatus.IN_PROGRESS,
                        RequestStatus.HANDED_OVER,
                    ],
                ).update(commissioner=demo_commissioner)
            counts["演示企业诉求"] = _demo_enterprise_requests(
                enterprise, demo_enterprise_user, demo_commissioner, now
            )
    return counts


def _demo_enterprise_requests(
    enterprise: Organization, filer: User | None, commissioner: User, now: dt.datetime
) -> int:
    """Three requests of the demo enterprise: one waiting for its answer, one in progress, one to rate."""
    if ServiceRequest.objects.filter(external_ref__startswith=f"demo-account:{enterprise.pk}:").exists():
        return 0
    from . import services

    calendar = work_calendar()
    created = 0
    specs = [("talent", 0, "submitted"), ("space", 1, "in_progress"), ("policy", 2, "resolved")]
    for category, index, target in specs:
        title, text = TOPICS[category][index]
        if target == "submitted":  # a fresh one, still well within its first-response time
            filed = now - dt.timedelta(minutes=40)
        else:
            filed = min(
                clock.clock_start(now - dt.timedelta(days=2 + index * 3), calendar),
                now - dt.timedelta(hours=1),
            )
        response_days, resolution_days = services._policy(category)
        request = ServiceRequest.objects.create(
            organization=enterprise,
            category=category,
            title=title,
            text=text,
            commissioner=commissioner,
            created_by=filer,
            filed_at=filed,
            updated_at=filed,
            response_days=response_days,
            resolution_days=resolution_days,
            clock_started_at=filed,
            response_due_at=clock.add_working_days(filed, response_days, calendar),
            resolution_due_at=clock.add_working_days(filed, resolution_days, calendar),
            external_ref=f"demo-account:{enterprise.pk}:{index}",
        )
        request.code = next_code(
            "servicedesk", ServiceRequest.CODE_PREFIX, width=6, year=filed.astimezone(clock.TZ).year
        )
        ServiceRequest.objects.filter(pk=request.pk).update(code=request.code)
        RequestEvent.objects.create(
            request=request, kind=RequestEventKind.FILED, actor=filer, to_status="submitted", created_at=filed
        )
        if target in ("in_progress", "resolved"):
            responded = clock.add_working_minutes(filed, 90, calendar)
            ServiceRequest.objects.filter(pk=request.pk).update(
                status="in_progress",
                version=2,
                first_responded_at=responded,
                updated_at=responded,
                response_minutes=90,
            )
            RequestEvent.objects.create(
                request=request,
                kind=RequestEventKind.RESPONDED,
                actor=commissioner,
                text=ANSWERS[index],
                from_status="submitted",
                to_status="in_progress",
                version=2,
                created_at=responded,
            )
        if target == "resolved":
            resolved = clock.add_working_minutes(filed, 600, calendar)
            ServiceRequest.objects.filter(pk=request.pk).update(
                status="resolved",
                version=3,
                resolved_at=resolved,
                updated_at=resolved,
                resolution_minutes=600,
            )
            RequestEvent.objects.create(
                request=request,
                kind=RequestEventKind.RESOLVED,
                actor=commissioner,
                text=RESOLUTIONS[1],
                from_status="in_progress",
                to_status="resolved",
                version=3,
                created_at=resolved,
            )
        created += 1
    return created


def make_demo_service_desk(
    *, scale: str, seed: int, rng: random.Random, stdout: Any = None
) -> dict[str, int]:
    commissioners_n, leaders_n, requests_n, days = SCALES.get(scale, SCALES["small"])
    if scale not in SCALES:  # "any other value like small, only smaller"
        requests_n = requests_n // 2
    now = clock.now()
    counts: dict[str, int] = {}
    counts["工作日历"] = load_calendar_rows(CalendarDay, year_model=CalendarYear)["created"]
    ensure_default_policies(SlaPolicy)
    calendar = work_calendar()
    office = _district_office()
    commissioners, made_c = _ensure_staff(
        "sd-commissioner-", COMMISSIONER_NAMES, commissioners_n, Role.COMMISSIONER, office
    )
    leaders, made_l = _ensure_staff("sd-leader-", LEADER_NAMES, leaders_n, Role.LEADER, office)
    counts["服务专员账号"] = made_c
    counts["包保领导账号"] = made_l
    started = now - dt.timedelta(days=days + 30)
    counts["专员与包保分配"] = _assign_all(commissioners, leaders, started)
    filers: dict[int, User | None] = {}
    for membership in Membership.objects.filter(
        organization__kind=OrganizationKind.ENTERPRISE, user__groups__name=Role.ENTERPRISE
    ).order_by("id"):
        filers.setdefault(membership.organization_id, membership.user)
    made_requests, made_events = _make_requests(
        rng=rng, seed=seed, count=requests_n, days=days, now=now, calendar=calendar, filers=filers
    )
    counts["企业诉求"] = made_requests
    counts["诉求记录"] = made_events
    plans, items, visits, quiet = _make_plans_and_visits(seed=seed, now=now, scale=scale)
    counts["一企一策"] = plans
    counts["一企一策事项"] = items
    counts["走访"] = visits
    counts["无事不扰企业"] = quiet
    counts.update({k: v for k, v in attach_demo_accounts(now=now).items() if v})
    if any(counts.values()):
        audit.record(
            "servicedesk.demo_generate",
            actor=None,
            object_type="servicedesk.servicerequest",
            username="demo-data",
            detail={"scale": scale, "seed": seed, **counts},
        )
    return {k: v for k, v in counts.items() if v}


__all__ = ["attach_demo_accounts", "make_demo_service_desk"]
