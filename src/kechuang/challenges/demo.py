"""Demo data for 揭榜挂帅: challenges of enterprises and of the district in the district's fields, in
every state — drafts, under operator review, published, closed, under expert review (scores in, panel
open or closed), awarded, in progress with tranches paid, completed — with applications, panels without
conflicts of interest, blind scores, rankings, task books, milestones and the ledger history.

Rows are written with bulk inserts and the ledger with :class:`kechuang.ledger.bulk.BulkJournal`, so the
large scale stays fast; ``kechuang ledger-reconcile`` passes on the result. Deterministic for a seed;
idempotent: if demo challenges exist already, nothing is created. Tranche payments loaded in bulk carry
no requester or approver (the demo accounts are created after the data).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from kechuang.core import audit
from kechuang.core.codes import last_numbers, set_last_numbers
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization, Person, TechnologyField
from kechuang.ledger.bulk import BulkJournal
from kechuang.ledger.choices import AccountKind, Side

from .choices import ApplicationStatus, AwardStatus, ChallengeStatus, IssuerKind, MilestoneStatus, PanelStatus
from .models import (
    Application,
    Award,
    Challenge,
    Milestone,
    Panel,
    PanelMember,
    Score,
    TranchePayment,
)
from .services import DEFAULT_CRITERIA, compute_ranking, weighted_total_x100

MARKER = "（演示数据）"
ELIGIBILITY = "不设年龄、职称、成立年限门槛，有能力的团队均可揭榜；鼓励院所与企业联合揭榜。" + MARKER


def _fields_of_topic(text: str, fields: list[TechnologyField]) -> list[TechnologyField]:
    """The (at most two) technology fields whose name or keywords appear in a topic's text."""
    scored = []
    for field in fields:
        words = [field.name, *[w for w in re.split(r"[，,、;；\s]+", field.keywords or "") if len(w) >= 2]]
        score = sum(1 for word in words if word and word in text)
        if score:
            scored.append((-score, field.code, field))
    return [field for _score, _code, field in sorted(scored)[:2]]


TOPICS = [
    (
        "车规级激光雷达点云实时处理算法",
        "激光雷达点云在嵌入式平台上的实时分割与目标识别，现有方案时延高、功耗大。",
        "单帧处理时延 ≤ 20 ms；识别准确率 ≥ 95%；整机功耗 ≤ 15 W。",
    ),
    (
        "MEMS 压力传感器温漂补偿",
        "量产 MEMS 压力传感器在 -40~125 ℃ 温区内漂移超标，良率受限。",
        "全温区综合误差 ≤ 0.1 %FS；补偿算法可在 8 位 MCU 上运行。",
    ),
    (
        "动力电池热失控早期预警",
        "现有 BMS 难以在热失控前 5 分钟给出可靠预警。",
        "提前预警时间 ≥ 10 分钟；误报率 ≤ 0.1 次/千车·年。",
    ),
    (
        "高功率光纤激光器合束技术",
        "万瓦级光纤激光器合束效率低，光束质量下降明显。",
        "合束效率 ≥ 95%；M² ≤ 1.3；连续工作 1000 小时功率衰减 ≤ 2%。",
    ),
    (
        "智能网联汽车 V2X 低时延通信模组",
        "路口协同场景下通信时延与丢包率不能满足安全应用要求。",
        "端到端时延 ≤ 10 ms；丢包率 ≤ 0.1%；通过车规可靠性试验。",
    ),
    (
        "医用内窥镜 4K 图像处理芯片方案",
        "国产 4K 内窥镜图像处理依赖进口 FPGA 方案，成本高。",
        "4K 60 帧实时处理；端到端延迟 ≤ 50 ms；BOM 成本下降 40%。",
    ),
    (
        "工业视觉缺陷检测小样本学习",
        "新产线缺陷样本少，传统深度学习模型难以快速上线。",
        "每类缺陷样本 ≤ 50 张时检出率 ≥ 98%；漏检率 ≤ 0.5%。",
    ),
    (
        "氢燃料电池膜电极低铂催化剂",
        "膜电极铂载量高导致成本居高不下。",
        "铂载量 ≤ 0.2 mg/cm²；额定功率密度 ≥ 1.2 W/cm²；耐久 ≥ 5000 小时。",
    ),
    (
        "半导体设备真空机械手精密控制",
        "晶圆传输机械手重复定位精度与洁净度需达到进口水平。",
        "重复定位精度 ≤ ±0.05 mm；颗粒污染满足 ISO 1 级。",
    ),
    (
        "空间光通信终端精跟踪系统",
        "卫星激光通信终端在振动环境下精跟踪精度不足。",
        "跟踪精度 ≤ 2 μrad；捕获时间 ≤ 30 s。",
    ),
    (
        "新能源汽车电驱系统 NVH 优化",
        "高转速电驱啸叫明显，影响整车舒适性。",
        "关键阶次噪声降低 ≥ 6 dB(A)；不增加系统成本 5% 以上。",
    ),
    (
        "生物样本超低温智能存储",
        "样本库温度波动与取放效率不能满足大规模队列研究需要。",
        "-80 ℃ 环境温度波动 ≤ ±1 ℃；单次取样 ≤ 60 s。",
    ),
    (
        "城市更新场景建筑能耗数字孪生",
        "存量楼宇能耗数据分散，节能改造缺乏量化依据。",
        "能耗预测误差 ≤ 8%；改造方案节能 ≥ 15%。",
    ),
    (
        "毫米波雷达芯片封装散热",
        "77 GHz 雷达芯片封装热阻高，影响长期可靠性。",
        "结壳热阻下降 30%；通过 AEC-Q100 Grade 1。",
    ),
]
IP_TERMS = [
    "背景知识产权归各自所有；项目新产生的知识产权归发榜方，揭榜方享有非独占、免费的科研使用权。",
    "项目成果知识产权由双方共有，发榜方享有优先实施权，收益按 6:4 分配。",
    "项目成果知识产权归揭榜方，发榜方在约定领域享有五年独占许可。",
]
SMALL_STATES = [
    ChallengeStatus.PUBLISHED,
    ChallengeStatus.PUBLISHED,
    ChallengeStatus.PUBLISHED,
    ChallengeStatus.SUBMITTED,
    ChallengeStatus.DRAFT,
    ChallengeStatus.CLOSED,
    "reviewing_open",
    "reviewing_closed",
    ChallengeStatus.AWARDED,
    "in_progress_paid",
    ChallengeStatus.IN_PROGRESS,
    ChallengeStatus.COMPLETED,
]


@dataclass(frozen=True)
class Plan:
    challenges: int
    applications: tuple[int, int]


PLANS = {"tiny": Plan(12, (2, 3)), "small": Plan(12, (2, 5)), "large": Plan(600, (3, 9))}


class Codes:
    """Codes handed out locally and written back to the counters once (bulk)."""

    def __init__(self, year: int) -> None:
        self.year = year
        given = last_numbers("challenges", year=year)
        self.last = {p: given.get((p, year), 0) for p in ("JB", "JS", "LX", "BF")}

    def next(self, prefix: str, width: int) -> str:
        self.last[prefix] += 1
        return f"{prefix}-{self.year}-{self.last[prefix]:0{width}d}"

    def save(self) -> None:
        set_last_numbers("challenges", {(prefix, self.year): last for prefix, last in self.last.items()})


def _state_for(index: int, rng: random.Random, scale: str) -> str:
    if index < len(SMALL_STATES):
        return SMALL_STATES[index]
    return rng.choice(
        [
            *SMALL_STATES,
            ChallengeStatus.PUBLISHED,
            "in_progress_paid",
            ChallengeStatus.COMPLETED,
            ChallengeStatus.REJECTED,
            ChallengeStatus.WITHDRAWN,
        ]
    )


def make_demo_challenges(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    if Challenge.objects.filter(eligibility__endswith=MARKER).exists():
        return {}
    plan = PLANS.get(scale, PLANS["tiny"])
    enterprises = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("name", "id")[:400]
    )
    solvers = list(
        Organization.objects.filter(
            kind__in=[OrganizationKind.INSTITUTE, OrganizationKind.ENTERPRISE]
        ).order_by("kind", "name", "id")[:800]
    )
    district = Organization.objects.filter(kind=OrganizationKind.GOVERNMENT).order_by("id").first()
    experts = list(Person.objects.filter(is_expert=True).order_by("id")[:400])
    fields = list(TechnologyField.objects.filter(parent__isnull=False).order_by("code")) or list(
        TechnologyField.objects.order_by("code")
    )
    if not enterprises or len(solvers) < 4 or len(experts) < 3:
        return {}
    # an enterprise posts challenges of its own fields (issue 14 item 8): who works in which field
    working_in: dict[int, list[Organization]] = defaultdict(list)
    through_org = Organization.fields.through
    by_pk = {e.pk: e for e in enterprises}
    for org_id, field_id in through_org.objects.filter(organization_id__in=list(by_pk)).values_list(
        "organization_id", "technologyfield_id"
    ):
        working_in[field_id].append(by_pk[org_id])
    today, now = timezone.localdate(), timezone.now()
    codes = Codes(today.year)
    journal = BulkJournal()
    counts = {"榜单": 0, "揭榜申请": 0, "评审评分": 0, "立项": 0, "拨付": 0}
    challenges: list[tuple[Challenge, str, list[Any]]] = []
    for index in range(plan.challenges):
        state = _state_for(index, rng, scale)
        title, problem, indicators = TOPICS[index % len(TOPICS)]
        topic_fields = _fields_of_topic(f"{title}{problem}", fields) or rng.sample(
            fields, k=min(2, len(fields))
        )
        if index >= len(TOPICS):
            title = f"{title}（第 {index // len(TOPICS) + 1} 期）"
        is_district = district is not None and index % 5 == 4
        in_field = sorted(
            {o.pk: o for f in topic_fields for o in working_in.get(f.pk, [])}.values(), key=lambda o: o.pk
        )
        issuer = district if is_district else rng.choice(in_field or enterprises)
        status = {
            "reviewing_open": ChallengeStatus.REVIEWING,
            "reviewing_closed": ChallengeStatus.REVIEWING,
            "in_progress_paid": ChallengeStatus.IN_PROGRESS,
        }.get(state, state)
        created = now - dt.timedelta(days=rng.randint(40, 200))
        early = status in (
            ChallengeStatus.DRAFT,
            ChallengeStatus.SUBMITTED,
            ChallengeStatus.PUBLISHED,
            ChallengeStatus.REJECTED,
            ChallengeStatus.WITHDRAWN,
        )
        deadline = (
            today + dt.timedelta(days=rng.randint(10, 60))
            if early
            else today - dt.timedelta(days=rng.randint(5, 30))
        )
        issuer_yuan = 0 if is_district else rng.choice([100, 200, 300, 500]) * 10_000
        subsidy_yuan = rng.choice([50, 100, 200]) * 10_000
        challenge = Challenge(
            code=codes.next("JB", 4),
            title=title,
            issuer=issuer,
            problem=problem,
            indicators=indicators,
            issuer_kind=IssuerKind.DISTRICT if is_district else IssuerKind.ENTERPRISE,
            issuer_fen=issuer_yuan * 100,
            subsidy_fen=subsidy_yuan * 100,
            deadline=deadline,
            ip_terms=rng.choice(IP_TERMS),
            eligibility=ELIGIBILITY,
            max_winners=2 if index % 7 == 3 else 1,
            status=status,
            created_at=created,
            status_reason={
                ChallengeStatus.REJECTED: "目标指标不够具体，请补充可量化的验收指标后重新提交。",
                ChallengeStatus.WITHDRAWN: "企业内部技术路线调整，暂缓发榜。",
            }.get(status, ""),
            submitted_at=None if status == ChallengeStatus.DRAFT else created + dt.timedelta(days=1),
            published_at=None
            if status in (ChallengeStatus.DRAFT, ChallengeStatus.SUBMITTED, ChallengeStatus.REJECTED)
            else created + dt.timedelta(days=3),
            closed_at=None if early else created + dt.timedelta(days=35),
            awarded_at=created + dt.timedelta(days=50)
            if status in (ChallengeStatus.AWARDED, ChallengeStatus.IN_PROGRESS, ChallengeStatus.COMPLETED)
            else None,
        )
        challenges.append((challenge, state, topic_fields))
    Challenge.objects.bulk_create([c for c, _s, _f in challenges], batch_size=1000)
    saved = {c.code: c for c in Challenge.objects.filter(code__in=[c.code for c, _s, _f in challenges])}
    through = Challenge.fields.through
    through.objects.bulk_create(
        [
            through(challenge_id=saved[c.code].pk, technologyfield_id=f.pk)
            for c, _s, fs in challenges
            for f in fs
        ],
        batch_size=2000,
    )
    counts["榜单"] = len(challenges)
    # public challenges join the matching index (site search, 可揭榜的榜单); their vectors follow
    from kechuang.transfer import matching

    Challenge.objects.filter(pk__in=[c.pk for c in saved.values()]).update(
        index_version=matching.bump_version()
    )
    transaction.on_commit(matching.enqueue_missing)

    # applications
    applications: list[Application] = []
    for challenge, _state, _f in challenges:
        challenge = saved[challenge.code]
        if challenge.status in (
            ChallengeStatus.DRAFT,
            ChallengeStatus.SUBMITTED,
            ChallengeStatus.REJECTED,
            ChallengeStatus.WITHDRAWN,
        ):
            continue
        pool = [o for o in solvers if o.pk != challenge.issuer_id]
        count = rng.randint(*plan.applications)
        if challenge.status == ChallengeStatus.PUBLISHED:
            count = max(0, count - 2)
        for organization in rng.sample(pool, k=min(count, len(pool))):
            budget = rng.randint(60, 100) * challenge.budget_fen // 100
            status = (
                ApplicationStatus.SUBMITTED
                if challenge.status == ChallengeStatus.PUBLISHED
                else ApplicationStatus.IN_REVIEW
            )
            applications.append(
                Application(
                    code=codes.next("JS", 5),
                    challenge=challenge,
                    organization=organization,
                    team=f"{organization.name}攻关团队 {rng.randint(4, 15)} 人，含博士 {rng.randint(1, 5)} 人，"
                    f"平均年龄 {rng.randint(27, 38)} 岁。",
                    plan="分三阶段：原理验证、工程样机、场景验证；依托现有实验平台与合作产线。",
                    milestones="1. 原理样机与仿真；2. 工程样机与第三方测试；3. 场景验证与结题。",
                    budget_fen=max(100, budget),
                    status=status,
                    submitted_at=challenge.created_at + dt.timedelta(days=rng.randint(5, 30)),
                )
            )
    Application.objects.bulk_create(applications, batch_size=1000)
    counts["揭榜申请"] = len(applications)
    by_challenge: dict[int, list[Application]] = {}
    for application in Application.objects.filter(code__in=[a.code for a in applications]).order_by("id"):
        by_challenge.setdefault(application.challenge_id, []).append(application)

    # panels, scores, ranking
    criteria = [dict(c) for c in DEFAULT_CRITERIA]
    panels: list[tuple[Panel, Challenge, str]] = []
    for challenge, state, _f in challenges:
        challenge = saved[challenge.code]
        if challenge.status not in (
            ChallengeStatus.REVIEWING,
            ChallengeStatus.AWARDED,
            ChallengeStatus.IN_PROGRESS,
            ChallengeStatus.COMPLETED,
        ) or not by_challenge.get(challenge.pk):
            continue
        closed = state != "reviewing_open"
        panels.append(
            (
                Panel(
                    challenge=challenge,
                    criteria=criteria,
                    status=PanelStatus.CLOSED if closed else PanelStatus.OPEN,
                    created_at=challenge.created_at + dt.timedelta(days=38),
                    closed_at=challenge.created_at + dt.timedelta(days=48) if closed else None,
                ),
                challenge,
                state,
            )
        )
    Panel.objects.bulk_create([p for p, _c, _s in panels], batch_size=1000)
    panel_rows = {p.challenge_id: p for p in Panel.objects.filter(challenge__in=[c for _p, c, _s in panels])}
    members: list[PanelMember] = []
    for _p, challenge, _s in panels:
        orgs = {a.organization_id for a in by_challenge[challenge.pk]}
        neutral = [e for e in experts if e.organization_id not in orgs]
        for expert in rng.sample(neutral, k=min(3, len(neutral))):
            members.append(PanelMember(panel=panel_rows[challenge.pk], expert=expert))
    PanelMember.objects.bulk_create(members, batch_size=2000)
    scores: list[Score] = []
    members_by_panel: dict[int, list[PanelMember]] = {}
    for member in PanelMember.objects.filter(panel__in=list(panel_rows.values())).order_by("id"):
        members_by_panel.setdefault(member.panel_id, []).append(member)
    for _p, challenge, state in panels:
        panel = panel_rows[challenge.pk]
        strength = {a.pk: rng.randint(55, 92) for a in by_challenge[challenge.pk]}
        for position, member in enumerate(members_by_panel.get(panel.pk, [])):
            if state == "reviewing_open" and position == 2:
                continue  # one reviewer has not scored yet
            for application in by_challenge[challenge.pk]:
                values = {
                    c["code"]: max(0, min(100, strength[application.pk] + rng.randint(-8, 8)))
                    for c in criteria
                }
                scores.append(
                    Score(
                        member=member,
                        application=application,
                        values=values,
                        total_x100=weighted_total_x100(criteria, values),
                        comment="方案较为可行，建议关注工程化风险。",
                        submitted_at=panel.created_at + dt.timedelta(days=rng.randint(1, 8)),
                    )
                )
    Score.objects.bulk_create(scores, batch_size=2000)
    counts["评审评分"] = len(scores)

    # rankings, awards, milestones, ledger
    awards: list[tuple[Award, Challenge, str, Application]] = []
    for _p, challenge, state in panels:
        panel = panel_rows[challenge.pk]
        if panel.status != PanelStatus.CLOSED:
            continue
        rows = compute_ranking(panel)
        total = len(rows)
        winners = rows[: challenge.max_winners] if challenge.status != ChallengeStatus.REVIEWING else []
        winner_ids = {r["application"].pk for r in winners}
        for rank, row in enumerate(rows, start=1):
            application = row["application"]
            application.rank, application.score_x100 = rank, row["mean_x100"]
            if challenge.status != ChallengeStatus.REVIEWING:
                if application.pk in winner_ids:
                    application.status, application.decision_reason = (
                        ApplicationStatus.WON,
                        "揭榜成功，进入任务书签订。",
                    )
                else:
                    application.status = ApplicationStatus.NOT_CHOSEN
                    application.decision_reason = (
                        f"综合评分第 {rank} 名（共 {total} 家申请），未进入揭榜名单。"
                    )
        Application.objects.bulk_update(
            [r["application"] for r in rows], ["rank", "score_x100", "status", "decision_reason"]
        )
        share = challenge.budget_fen // max(1, len(winners))
        for row in winners:
            award = Award(
                code=codes.next("LX", 4),
                challenge=challenge,
                application=row["application"],
                amount_fen=share,
                created_at=challenge.awarded_at or now,
                status=AwardStatus.SIGNING
                if challenge.status == ChallengeStatus.AWARDED
                else AwardStatus.ACCEPTED
                if challenge.status == ChallengeStatus.COMPLETED
                else AwardStatus.IN_PROGRESS,
                task_book=""
                if challenge.status == ChallengeStatus.AWARDED
                else "揭榜方按本任务书完成三个里程碑，逐一验收后按顺序拨付经费；未达指标的按合同约定处理。",
                signed_at=None
                if challenge.status == ChallengeStatus.AWARDED
                else (challenge.awarded_at or now) + dt.timedelta(days=7),
            )
            awards.append((award, challenge, state, row["application"]))
    for award, challenge, _s, application in awards:
        fund = journal.account(
            f"challenges:{challenge.code}:fund",
            name=f"{challenge.title[:60]} · 榜单资金",
            kind=AccountKind.ASSET,
            group=challenge.code,
            reference=challenge.code,
        )
        payable = journal.account(
            f"challenges:{challenge.code}:award:{award.code}",
            kind=AccountKind.LIABILITY,
            name=f"{application.organization.name[:60]} · 揭榜经费应付",
            group=challenge.code,
            reference=award.code,
        )
        journal.post(
            key=f"challenges.award:{award.code}",
            kind="challenges.award",
            memo=f"{challenge.code} 定榜",
            reference=award.code,
            business_reference=f"challenges.award:{award.code}",
            lines=[(fund, Side.DEBIT, award.amount_fen), (payable, Side.CREDIT, award.amount_fen)],
            posted_at=award.created_at,
        )
    journal.flush()
    for award, challenge, _s, _a in awards:
        award.payable_account = journal.accounts[f"challenges:{challenge.code}:award:{award.code}"]
        challenge.fund_account = journal.accounts[f"challenges:{challenge.code}:fund"]
    Challenge.objects.bulk_update(list({c.pk: c for _a, c, _s, _x in awards}.values()), ["fund_account"])
    Award.objects.bulk_create([a for a, _c, _s, _x in awards], batch_size=1000)
    counts["立项"] = len(awards)
    milestones: list[Milestone] = []
    paid: list[tuple[Milestone, Award, Challenge]] = []
    for award, challenge, state, _a in awards:
        if award.status == AwardStatus.SIGNING:
            continue
        parts = [award.amount_fen * 3 // 10, award.amount_fen * 4 // 10]
        parts.append(award.amount_fen - sum(parts))
        start = (award.signed_at or now).date()
        for sequence, amount in enumerate(parts, start=1):
            if challenge.status == ChallengeStatus.COMPLETED or (
                state == "in_progress_paid" and sequence == 1
            ):
                status = MilestoneStatus.PAID
            elif state == "in_progress_paid" and sequence == 2:
                status = MilestoneStatus.DELIVERED
            elif sequence == 1:
                status = MilestoneStatus.ACCEPTED
            else:
                status = MilestoneStatus.PLANNED
            milestone = Milestone(
                code=codes.next("BF", 5),
                award=award,
                sequence=sequence,
                amount_fen=amount,
                status=status,
                title=["原理样机与仿真验证", "工程样机与第三方测试", "场景验证与结题"][sequence - 1],
                criteria="提交第三方测试报告，各项指标达到任务书约定值。",
                due_on=start + dt.timedelta(days=90 * sequence),
                delivery_note="" if status == MilestoneStatus.PLANNED else "已按计划完成，测试报告已提交。",
                delivered_at=None
                if status == MilestoneStatus.PLANNED
                else now - dt.timedelta(days=20 - sequence),
                accepted_at=now - dt.timedelta(days=15 - sequence)
                if status in (MilestoneStatus.ACCEPTED, MilestoneStatus.PAID)
                else None,
            )
            milestones.append(milestone)
            if status == MilestoneStatus.PAID:
                paid.append((milestone, award, challenge))
    Milestone.objects.bulk_create(milestones, batch_size=2000)
    entries = []
    for milestone, award, challenge in paid:
        entries.append(
            journal.post(
                key=milestone.ledger_reference,
                kind="challenges.tranche",
                memo=f"{challenge.code} 第 {milestone.sequence} 笔拨付",
                reference=milestone.code,
                business_reference=milestone.ledger_reference,
                lines=[
                    (f"challenges:{challenge.code}:award:{award.code}", Side.DEBIT, milestone.amount_fen),
                    (f"challenges:{challenge.code}:fund", Side.CREDIT, milestone.amount_fen),
                ],
                posted_at=now - dt.timedelta(days=10),
            )
        )
    journal.flush()
    TranchePayment.objects.bulk_create(
        [
            TranchePayment(milestone=m, award=a, amount_fen=m.amount_fen, entry_id=e.pk, paid_at=e.posted_at)
            for (m, a, _c), e in zip(paid, entries, strict=True)
        ],
        batch_size=2000,
    )
    counts["拨付"] = len(paid)
    codes.save()
    audit.record("demo.generate", object_type="challenges", object_id=scale, detail={"seed": seed, **counts})
    return counts
