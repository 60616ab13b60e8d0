"""Demo data of the investment app: leads over two years across every stage, sources and clusters, with
the evidence each stage required; key projects on the demo's key enterprises with milestones and monthly
status; and the 稳商 watch list built from the demo's own leases and service requests.

Registered with ``kechuang.directory.demo.register_demo_generator`` (after the service desk and spaces,
whose staff, leases and requests it uses): deterministic for a seed, idempotent (leads by normalized
name, projects by name), counts returned per kind. The demo accounts ``leader`` and ``commissioner``
take over the first synthetic leader's and commissioner's leads (``attach_demo_accounts``).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from kechuang.core.roles import Role
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Block, Organization, TechnologyField
from kechuang.servicedesk import clock
from kechuang.servicedesk.choices import Department
from kechuang.spaces.choices import SpaceType

from . import services
from .choices import (
    EVIDENCE_FOR,
    PIPELINE,
    ActivityKind,
    LeadSource,
    LeadStage,
    LostReason,
    ProjectStatus,
    RetentionSignal,
    RetentionStatus,
)
from .models import (
    KeyProject,
    Lead,
    LeadActivity,
    Milestone,
    ProjectIssue,
    ProjectStatusReport,
    RetentionCase,
    StageEvidence,
    new_code,
)

LEADS = {"tiny": 14, "small": 60, "large": 120}
PROJECTS = {"tiny": 3, "small": 10, "large": 10}
# how far leads got: weights per final stage (open pipeline, landed, lost/withdrawn)
STAGE_WEIGHTS = {
    LeadStage.LEAD: 10,
    LeadStage.ASSESSMENT: 12,
    LeadStage.NEGOTIATION: 12,
    LeadStage.SIGNED: 7,
    LeadStage.REGISTERED: 5,
    LeadStage.SETTLED: 6,
    LeadStage.PRODUCING: 4,
    LeadStage.LOST: 7,
    LeadStage.WITHDRAWN: 3,
}
SOURCE_WEIGHTS = {
    LeadSource.SPIN_OFF: 5,
    LeadSource.EVENT: 4,
    LeadSource.REFERRAL: 4,
    LeadSource.OUTSIDE: 5,
    LeadSource.SPACE_ENQUIRY: 3,
}
SOURCE_DETAILS = {
    LeadSource.SPIN_OFF: [
        "中科院上海光机所成果转化",
        "上海大学嘉定校区教师创业",
        "中科院微系统所孵化团队",
        "同济大学汽车学院衍生项目",
    ],
    LeadSource.EVENT: [
        "菊园创新创业大赛获奖项目",
        "嘉定区“创赢未来”大赛",
        "长三角智能传感器路演",
        "生物芯片产业对接会",
    ],
    LeadSource.REFERRAL: ["区投促中心推荐", "在区龙头企业推荐上游配套", "园区运营方推荐", "投资机构推荐"],
    LeadSource.OUTSIDE: [
        "苏州企业拟设研发中心",
        "深圳企业华东总部选址",
        "北京企业拟迁生产线",
        "杭州企业扩产选址",
    ],
    LeadSource.SPACE_ENQUIRY: ["来电咨询洁净厂房", "用房需求平台留言", "园区招商热线转来"],
}
PREFIXES = ["芯", "光", "智", "微", "量", "联", "睿", "矽", "博", "衡", "启", "曜", "擎", "森", "源", "拓"]
MIDDLES = ["途", "擎", "感", "元", "谷", "航", "跃", "辰", "测", "控", "研", "驰", "澜", "序", "极", "启"]
TRADES = [
    ("生物芯片", SpaceType.CLEANROOM),
    ("微流控", SpaceType.LAB),
    ("激光器", SpaceType.PLANT),
    ("光电传感", SpaceType.LAB),
    ("智能传感器", SpaceType.CLEANROOM),
    ("汽车电子", SpaceType.PLANT),
    ("工业软件", SpaceType.OFFICE),
    ("可信计算", SpaceType.OFFICE),
    ("精密仪器", SpaceType.LAB),
    ("医疗器械", SpaceType.CLEANROOM),
]
FORMS = ["科技有限公司", "研发团队", "技术有限公司", "（上海）有限公司"]
# (reason from the fixed list, its text)
LOST_REASONS = [
    (LostReason.ELSEWHERE, "选择了苏州工业园区，租金与补贴更优"),
    (LostReason.FINANCING, "A 轮融资未到位，项目暂缓"),
    (LostReason.SPACE, "所需 2000 ㎡ 洁净厂房街区暂无"),
    (LostReason.OWN, "企业战略调整，取消扩产"),
    (LostReason.OWN, "团队核心成员变动"),
    (LostReason.POLICY, "首台套补贴条件与产品不符"),
]
WITHDRAWN_REASONS = [
    (LostReason.OWN, "企业主动撤回意向"),
    (LostReason.OTHER, "线索与已落地企业重复"),
    (LostReason.OTHER, "项目转由市级平台对接"),
]
# Leads whose regular update is honestly overdue when the demo starts: the clocks job escalates these and
# no other (a fresh demo must not flood the leaders; tests/investment/test_demo.py).
OVERDUE_UPDATES = {"tiny": 1, "small": 3, "large": 4}
PROJECT_KINDS = ["二期扩产", "新建中试线", "研发中心", "联合实验室", "总部升级"]
MILESTONES = ["完成立项备案", "取得施工许可", "设备进场", "中试线贯通", "首批产品下线"]
ISSUES = [
    ("双回路供电增容审批进度慢", Department.PLANNING),
    ("高端人才落户名额", Department.HR),
    ("研发费用加计扣除政策咨询", Department.TAX),
    ("环评批复时间", Department.APPROVAL),
]


def _users(role: str) -> list[Any]:
    return list(get_user_model().objects.filter(groups__name=role, is_active=True).order_by("username"))


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def _name(rng: random.Random, used: set[str]) -> tuple[str, str]:
    for _attempt in range(200):
        trade, space_type = rng.choice(TRADES)
        name = f"{rng.choice(PREFIXES)}{rng.choice(MIDDLES)}{trade}{rng.choice(FORMS)}"
        key = services.normalize_name(name)
        if key not in used and not Lead.objects.filter(normalized_name=key).exists():
            used.add(key)
            return name, space_type
    raise RuntimeError("演示线索名称耗尽")


def generate(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    created = {"招商线索": 0, "阶段材料": 0, "重点项目": 0, "稳商案件": 0}
    now = clock.now()
    calendar_day = now.astimezone(clock.TZ).date()
    leaders, officers = _users(Role.LEADER), _users(Role.COMMISSIONER)
    clusters = list(TechnologyField.objects.filter(parent__isnull=True).order_by("sort_order", "code"))
    blocks = list(Block.objects.order_by("sort_order", "code"))
    with transaction.atomic():
        if not Lead.objects.exists():
            created["招商线索"], created["阶段材料"] = _leads(
                rng, scale, now, leaders, officers, clusters, blocks
            )
        if leaders and not KeyProject.objects.exists():
            created["重点项目"] = _projects(rng, scale, calendar_day, leaders)
    report = services.watchlist_build(moment=now)
    created["稳商案件"] = len(report.opened) + _closed_cases(rng, now, officers)
    return created


# Past 稳商 cases (a stated plan to move, entered by hand) closed as kept or lost, so the figures of firms
# kept and lost by reason have something to show: (outcome, reason from the list, text).
CLOSED_CASES = [
    (RetentionStatus.KEPT, "", "协调相邻楼宇扩租 800 ㎡，企业留在街区"),
    (RetentionStatus.KEPT, "", "兑现研发补贴并对接产业基金"),
    (RetentionStatus.KEPT, "", "解决人才公寓与子女入学"),
    (RetentionStatus.LOST, LostReason.SPACE, "需 3000 ㎡ 洁净厂房，街区无整层房源"),
    (RetentionStatus.LOST, LostReason.ELSEWHERE, "集团总部统一迁往苏州"),
]


def _closed_cases(rng: random.Random, now: dt.datetime, officers: list[Any]) -> int:
    if (
        RetentionCase.objects.filter(signal=RetentionSignal.MOVE_PLAN)
        .exclude(status=RetentionStatus.OPEN)
        .exists()
    ):
        return 0
    firms = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, retention_cases__isnull=True).order_by(
            "pk"
        )[: len(CLOSED_CASES)]
    )
    for index, (firm, (outcome, code, text)) in enumerate(zip(firms, CLOSED_CASES, strict=False)):
        opened = now - dt.timedelta(days=rng.randrange(90, 300))
        RetentionCase.objects.create(
            code=new_code("WS"),
            organization=firm,
            signal=RetentionSignal.MOVE_PLAN,
            detail="企业表示有迁出打算（走访获悉）",
            owner=officers[index % len(officers)] if officers else None,
            status=outcome,
            reason_code=code,
            reason=text,
            opened_at=opened,
            closed_at=opened + dt.timedelta(days=rng.randrange(20, 60)),
        )
    return len(firms)


def _leads(
    rng: random.Random,
    scale: str,
    now: dt.datetime,
    leaders: list[Any],
    officers: list[Any],
    clusters: list[TechnologyField],
    blocks: list[Block],
) -> tuple[int, int]:
    count = LEADS.get(scale, LEADS["tiny"])
    landed_pool = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, investment_leads__isnull=True)
        .exclude(uscc__isnull=True)
        .order_by("-pk")[:count]
    )
    used: set[str] = set()
    leads, evidence = 0, 0
    overdue_left = OVERDUE_UPDATES.get(scale, 1)
    for index in range(count):
        final = _weighted(rng, STAGE_WEIGHTS)
        source = _weighted(rng, SOURCE_WEIGHTS)
        organization = None
        reached = PIPELINE.index(final) if final in PIPELINE else rng.randrange(0, 4)
        closed = final in (LeadStage.LOST, LeadStage.WITHDRAWN)
        # the days from one stage to the next (the first assessment within its clock), and to the closing
        gaps = [dt.timedelta(hours=rng.randrange(3, 40))] if reached >= 1 else []
        gaps += [
            dt.timedelta(days=rng.randrange(6, 45), hours=rng.randrange(0, 6)) for _ in range(2, reached + 1)
        ]
        if closed:
            gaps.append(dt.timedelta(days=rng.randrange(5, 30)))
        if final == LeadStage.LEAD:
            received = now - dt.timedelta(hours=rng.randrange(4, 60))  # a lead still at 线索 is a new one
        else:
            received = now - dt.timedelta(days=rng.randrange(20, 720), hours=rng.randrange(0, 8))
            latest = now - sum(gaps, dt.timedelta()) - dt.timedelta(days=rng.randrange(1, 20))
            received = min(received, latest)
            if not closed and rng.random() < 0.2:  # moved on this week (the weekly brief has moves to show)
                received = now - sum(gaps, dt.timedelta()) - dt.timedelta(hours=rng.randrange(2, 150))
        if reached >= PIPELINE.index(LeadStage.REGISTERED) and landed_pool:
            organization = landed_pool.pop()
            name, space_type = organization.name, rng.choice(TRADES)[1]
            used.add(services.normalize_name(name))
        else:
            name, space_type = _name(rng, used)
        area = rng.choice([120, 200, 300, 450, 600, 800, 1200, 2000])
        investment_wan = rng.choice([500, 800, 1200, 2000, 3000, 5000, 8000, 12000, 20000])
        acknowledge_due = services._due(received, services.ACKNOWLEDGE_DAYS)
        assessment_due = services._due(received, services.ASSESSMENT_DAYS)
        feedback_due = services._due(received, services.FEEDBACK_DAYS)
        lead = Lead(
            code=new_code("ZS"),
            source=source,
            source_detail=rng.choice(SOURCE_DETAILS[source]),
            name=name,
            normalized_name=services.normalize_name(name),
            uscc=organization.uscc if organization is not None and organization.uscc else "",
            contact_name=rng.choice(["王敏", "李强", "张磊", "陈静", "刘洋", "赵婷", "周杰", "吴芳"]),
            contact_phone=f"139{rng.randrange(10_000_000, 99_999_999)}",
            cluster=rng.choice(clusters) if clusters else None,
            block=rng.choice(blocks) if blocks else None,
            summary=f"{name}：{rng.choice(['研发', '中试', '量产', '总部'])}项目，计划投资 {investment_wan} 万元。",
            planned_investment_fen=investment_wan * 1_000_000,
            jobs=rng.choice([15, 30, 50, 80, 120, 200]),
            space_area_m2=area,
            space_type=space_type,
            power_kw=rng.choice([50, 100, 200, 400, 800]),
            asks_policy=rng.random() < 0.6,
            asks_talent=rng.random() < 0.4,
            asks_financing=rng.random() < 0.35,
            asks_note=rng.choice(["租金减免与研发补贴", "人才公寓与落户", "对接产业基金", ""]),
            terms=rng.choice(["", "三年租金减半，设备补贴 10%", "首年免租，研发补贴按投入 15%"]),
            is_key=investment_wan >= 8000,
            leader=leaders[index % len(leaders)] if leaders else None,
            case_officer=officers[index % len(officers)] if officers else None,
            stage=final,
            stage_entered_at=received,
            received_at=received,
            # acknowledged within the working day, before the clock ran out
            acknowledged_at=min(received + dt.timedelta(hours=rng.randrange(1, 4)), acknowledge_due),
            acknowledge_due_at=acknowledge_due,
            assessment_due_at=assessment_due,
            feedback_due_at=feedback_due,
            last_update_at=received,
            update_due_at=services._due(received, services.UPDATE_DAYS),
            organization=organization,
        )
        when = received
        rows = []
        for stage, gap in zip(PIPELINE[1 : reached + 1], gaps, strict=False):
            when = when + gap
            if stage == LeadStage.ASSESSMENT:
                when = min(when, assessment_due - dt.timedelta(hours=1))
                lead.assessed_at = when
            rows.append(
                StageEvidence(
                    stage=stage,
                    kind=EVIDENCE_FOR[stage],
                    note=str(EVIDENCE_FOR[stage].label) + "（演示）",
                    uscc=lead.uscc if stage == LeadStage.REGISTERED else "",
                    amount_fen=rng.choice([200, 500, 1200]) * 1_000_000
                    if stage == LeadStage.PRODUCING
                    else None,
                    recorded_by=lead.case_officer,
                    recorded_at=when,
                )
            )
        if closed:
            lead.closed_from_stage = PIPELINE[reached]
            lead.closed_reason_code, lead.closed_reason = rng.choice(
                LOST_REASONS if final == LeadStage.LOST else WITHDRAWN_REASONS
            )
            when = min(when + gaps[-1], now)
        lead.stage_entered_at = when
        # feedback to the company within its clock, once the lead was assessed (a new lead's is running)
        if reached >= 1 or closed:
            lead.feedback_at = min(
                received + dt.timedelta(hours=rng.randrange(20, 96)),
                feedback_due - dt.timedelta(hours=1),
                now,
            )
        # the regular update: recent for a lead being worked; a few honestly overdue
        if final == LeadStage.LEAD or closed or final == LeadStage.PRODUCING:
            lead.last_update_at = when
        elif overdue_left and when < now - dt.timedelta(days=30):
            overdue_left -= 1
            lead.last_update_at = now - dt.timedelta(days=rng.randrange(22, 30))
        else:
            lead.last_update_at = max(when, now - dt.timedelta(hours=rng.randrange(2, 24 * 6)))
        lead.update_due_at = services._due(lead.last_update_at, services.UPDATE_DAYS)
        lead.save()
        for row in rows:
            row.lead = lead
        StageEvidence.objects.bulk_create(rows)
        LeadActivity.objects.create(
            lead=lead, kind=ActivityKind.NOTE, text="登记线索（演示数据）。", actor=None, created_at=received
        )
        leads += 1
        evidence += len(rows)
    return leads, evidence


def _projects(rng: random.Random, scale: str, today: dt.date, leaders: list[Any]) -> int:
    firms = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, is_key=True).order_by("pk")[
            : PROJECTS.get(scale, 3)
        ]
    )
    if len(firms) < PROJECTS.get(scale, 3):
        firms += list(
            Organization.objects.filter(kind=OrganizationKind.ENTERPRISE, is_key=False).order_by("pk")[
                : PROJECTS.get(scale, 3) - len(firms)
            ]
        )
    made = 0
    statuses = [ProjectStatus.ON_TRACK] * 6 + [ProjectStatus.AT_RISK] * 3 + [ProjectStatus.BLOCKED]
    for index, firm in enumerate(firms):
        name = f"{firm.short_name or firm.name}{PROJECT_KINDS[index % len(PROJECT_KINDS)]}"
        if KeyProject.objects.filter(name=name).exists():
            continue
        status = statuses[index % len(statuses)]
        project = KeyProject.objects.create(
            code=new_code("ZD"),
            name=name,
            organization=firm,
            description=f"{firm.name}在街区的{PROJECT_KINDS[index % len(PROJECT_KINDS)]}，班子领导包保推进。",
            leader=leaders[index % len(leaders)],
            departments=rng.sample(
                [Department.DEVELOPMENT, Department.PLANNING, Department.SCIENCE, Department.APPROVAL], 2
            ),
            planned_investment_fen=rng.choice([8000, 15000, 30000, 50000]) * 1_000_000,
            status=status,
        )
        start = today - dt.timedelta(days=rng.randrange(120, 300))
        for step, title in enumerate(MILESTONES):
            due = start + dt.timedelta(days=60 * (step + 1))
            done = (
                due - dt.timedelta(days=rng.randrange(0, 10))
                if due < today and (status == ProjectStatus.ON_TRACK or step < 2)
                else None
            )
            # the reminder of a milestone overdue for more than a week went out at the time
            told = (
                dt.datetime.combine(due + dt.timedelta(days=1), dt.time(9), tzinfo=clock.TZ)
                if done is None and due < today - dt.timedelta(days=7)
                else None
            )
            Milestone.objects.create(
                project=project, title=title, due_on=due, done_on=done, overdue_notified_at=told
            )
        for back in range(3, 0, -1):
            month = (today.replace(day=1) - dt.timedelta(days=28 * back)).replace(day=1)
            ProjectStatusReport.objects.get_or_create(
                project=project,
                month=month,
                defaults={
                    "status": ProjectStatus.ON_TRACK if back > 1 else status,
                    "note": "按计划推进"
                    if back > 1 or status == ProjectStatus.ON_TRACK
                    else "供电增容未批复，设备进场推迟",
                    "reported_by": project.leader,
                    "reported_at": clock.now() - dt.timedelta(days=28 * back),
                },
            )
        if status != ProjectStatus.ON_TRACK:
            text, department = ISSUES[index % len(ISSUES)]
            ProjectIssue.objects.create(
                project=project,
                text=text,
                department=department,
                raised_by=project.leader,
                raised_at=clock.now() - dt.timedelta(days=20),
            )
        made += 1
    return made


def attach_demo_accounts() -> None:
    """The demo ``leader`` and ``commissioner`` accounts take over the first synthetic leader's and
    commissioner's leads and projects (idempotent; nothing before the accounts exist)."""
    User = get_user_model()
    for username, role, field in (
        ("leader", Role.LEADER, "leader"),
        ("commissioner", Role.COMMISSIONER, "case_officer"),
    ):
        account = User.objects.filter(username=username, is_demo=True, groups__name=role).first()
        if account is None or Lead.objects.filter(**{field: account}).exists():
            continue
        synthetic = (
            User.objects.filter(groups__name=role, is_demo=True)
            .exclude(pk=account.pk)
            .order_by("username")
            .first()
        )
        if synthetic is None:
            continue
        Lead.objects.filter(**{field: synthetic}).update(**{field: account})
        if field == "leader":
            KeyProject.objects.filter(leader=synthetic).update(leader=account)
