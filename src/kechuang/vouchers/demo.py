"""Demo data for innovation vouchers: schemes of the last years and this one, every demo provider
registered with a priced catalogue, vouchers for the demo enterprises, orders through every state,
ratings, settlement claims with an invoice and monthly batches — and the ledger history behind it.

The ledger is written with :class:`kechuang.ledger.bulk.BulkJournal`, so the large scale (≥ 200,000
journal lines) loads in a minute or two, yet every entry balances, every cached balance equals its lines,
every posting carries its idempotency record, and ``kechuang ledger-reconcile`` passes on the result.
Caps and budgets hold: grants respect the per-enterprise and per-controller caps and the scheme budget.

Idempotent: if demo schemes exist already, nothing is created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from kechuang.core import audit
from kechuang.core.codes import last_numbers, set_last_numbers
from kechuang.directory.choices import OrganizationKind
from kechuang.directory.models import Organization
from kechuang.ledger.bulk import BulkJournal, QueuedHold
from kechuang.ledger.choices import AccountKind

from .choices import (
    ApplicationStatus,
    BatchStatus,
    ClaimStatus,
    OrderStatus,
    ProviderStatus,
    SchemeStatus,
    ServiceCategory,
    VoucherStatus,
)
from .factories import minimal_pdf
from .models import (
    Application,
    Provider,
    ProviderService,
    Rating,
    Scheme,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)

MARKER = "【演示数据】"
YUAN = 100
BATCH = 2000


@dataclass(frozen=True)
class Plan:
    schemes: int  # this year and the years before
    past_share: float  # share of enterprises with a voucher in a past scheme
    orders: tuple[int, int]  # orders per voucher (bounded by the voucher's balance)
    services: tuple[int, int]  # catalogue entries per provider
    max_enterprises: int | None = None
    grants_yuan: tuple[int, ...] = (20000, 30000, 50000, 50000, 80000, 100000)
    enterprise_cap_yuan: int = 100_000
    controller_cap_yuan: int = 200_000


PLANS = {
    "tiny": Plan(schemes=2, past_share=0.5, orders=(2, 4), services=(2, 3), max_enterprises=10),
    "small": Plan(schemes=2, past_share=0.6, orders=(3, 6), services=(2, 4)),
    "large": Plan(
        schemes=4,
        past_share=0.9,
        orders=(12, 18),
        services=(3, 6),
        grants_yuan=(80000, 100000, 120000, 150000, 200000),
        enterprise_cap_yuan=200_000,
        controller_cap_yuan=400_000,
    ),
}

SERVICE_CATALOGUE: dict[str, list[tuple[str, int, int, str]]] = {  # name, low yuan, high yuan, unit
    ServiceCategory.TESTING: [
        ("材料成分检测", 2000, 12000, "项"),
        ("电磁兼容（EMC）测试", 8000, 30000, "项"),
        ("可靠性环境试验", 5000, 25000, "批"),
        ("光学性能检测", 3000, 15000, "项"),
        ("传感器标定与校准", 1500, 8000, "台"),
    ],
    ServiceCategory.IP: [
        ("发明专利申请代理", 4000, 9000, "件"),
        ("专利布局与挖掘分析", 10000, 40000, "项"),
        ("高价值专利评估", 8000, 30000, "项"),
        ("软件著作权登记", 800, 2500, "件"),
    ],
    ServiceCategory.LEGAL: [
        ("技术合同审查", 3000, 12000, "份"),
        ("知识产权尽职调查", 15000, 60000, "项"),
        ("股权激励法律方案", 20000, 80000, "项"),
    ],
    ServiceCategory.CONSULTING: [
        ("科技成果转化咨询", 10000, 50000, "项"),
        ("高企认定辅导", 8000, 30000, "项"),
        ("技术路线规划", 20000, 80000, "项"),
    ],
    ServiceCategory.DESIGN: [
        ("工业设计（外观）", 10000, 60000, "项"),
        ("结构设计与仿真", 15000, 70000, "项"),
        ("人机交互设计", 8000, 40000, "项"),
    ],
    ServiceCategory.RESEARCH: [
        ("样机试制", 20000, 120000, "台"),
        ("算法联合开发", 30000, 150000, "项"),
        ("中试工艺验证", 20000, 100000, "批"),
    ],
}
GRANTS_YUAN = [20000, 30000, 50000, 50000, 80000, 100000]


def _aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    if end <= start:
        return start
    return start + dt.timedelta(seconds=rng.randint(0, int((end - start).total_seconds())))


class Codes:
    """Codes like the live service gives out (QZ-2026-000123), and the counters left where they end."""

    def __init__(self) -> None:
        self.last: dict[tuple[str, int], int] = last_numbers("vouchers")

    def next(self, prefix: str, year: int, width: int = 6) -> str:
        number = self.last.get((prefix, year), 0) + 1
        self.last[(prefix, year)] = number
        return f"{prefix}-{year}-{number:0{width}d}"

    def save(self) -> None:
        set_last_numbers("vouchers", self.last)


@dataclass
class OrderPlan:
    order: ServiceOrder
    hold: QueuedHold | None = None
    capture: Any = None
    rating: int | None = None
    claim_status: str | None = None
    claim_at: dt.datetime | None = None


# GB/T 4754 trade of a provider → the voucher categories it may sell (most specific code first)
TRADE_CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("7520", (ServiceCategory.IP,)),  # 知识产权服务
    ("7231", (ServiceCategory.LEGAL,)),  # 律师
    ("7241", ()),  # 会计：不在创新券支持范围
    ("745", (ServiceCategory.TESTING,)),  # 检验检测、认证认可
    ("7530", (ServiceCategory.CONSULTING, ServiceCategory.IP)),  # 科技中介（技术转移）
    ("72", (ServiceCategory.CONSULTING,)),  # 商务服务：咨询
    ("73", (ServiceCategory.RESEARCH, ServiceCategory.TESTING)),  # 研究和试验发展
    ("749", (ServiceCategory.DESIGN,)),  # 工业设计
]


@dataclass
class Built:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _providers(
    rng: random.Random, plan: Plan, codes: Codes, today: dt.date
) -> list[tuple[Provider, list[ProviderService]]]:
    existing = {p.organization_id for p in Provider.objects.all()}
    organizations = [
        o
        for o in Organization.objects.filter(kind=OrganizationKind.PROVIDER).order_by("name")
        if o.pk not in existing
    ]
    out = []
    for organization in organizations:
        # a provider sells what its trade is (issue 14 item 8): a law firm legal services, a testing
        # lab tests; trades outside the scheme's categories (banks, guarantors, accountants) do not join
        trade = organization.industry.code if organization.industry_id else ""
        own = next((list(c) for prefix, c in TRADE_CATEGORIES if trade.startswith(prefix)), [])
        if not own:
            continue
        provider = Provider(
            organization=organization,
            code=codes.next("FW", today.year - 2, 4),
            status=ProviderStatus.APPROVED,
            categories=[str(c) for c in own],
            introduction=organization.description or f"{organization.name}，专业科技服务机构。",
            qualifications="CMA/CNAS 资质（演示）" if ServiceCategory.TESTING in own else "",
            contact_name=organization.contact_name,
            contact_phone=organization.contact_phone,
            applied_at=_aware(dt.date(today.year - 2, 1, 10)),
            reviewed_at=_aware(dt.date(today.year - 2, 1, 15)),
            review_note=f"{MARKER}资质齐全，准予入驻",
        )
        services = []
        for _ in range(rng.randint(*plan.services)):
            category = rng.choice(own)
            name, low, high, unit = rng.choice(SERVICE_CATALOGUE[category])
            price = rng.randrange(low, high + 1, 100) * YUAN
            services.append(
                ProviderService(
                    code="",
                    name=name,
                    category=category,
                    price_fen=price,
                    unit=unit,
                    description=f"{name}，按国家或行业标准执行，出具正式报告。",
                )
            )
        out.append((provider, services))
    Provider.objects.bulk_create([p for p, _s in out], batch_size=BATCH)
    all_services = []
    for provider, services in out:
        seen = set()
        for service in services:
            if service.name in seen:
                continue
            seen.add(service.name)
            service.provider = provider
            service.code = codes.next("FU", today.year - 2)
            all_services.append(service)
    ProviderService.objects.bulk_create(all_services, batch_size=BATCH)
    return [(p, [s for s in all_services if s.provider_id == p.pk]) for p, _s in out]


def _scheme_dates(year: int, today: dt.date) -> dict[str, dt.date]:
    if year < today.year:
        return {
            "apply_from": dt.date(year, 1, 15),
            "apply_until": dt.date(year, 6, 30),
            "expires_on": dt.date(year, 12, 31),
        }
    return {
        "apply_from": dt.date(year, 1, 15),
        "apply_until": dt.date(year, 12, 31),
        "expires_on": dt.date(year + 1, 3, 31),
    }


def _controllers(rng: random.Random, enterprises: list[Organization]) -> dict[int, str]:
    """Most enterprises control themselves; about one in ten belongs to a group of two or three."""
    controllers = {e.pk: e.uscc or f"ORG{e.pk}" for e in enterprises}
    pool = enterprises[:]
    rng.shuffle(pool)
    groups = max(1, len(pool) // 25)
    for g in range(groups):
        members = pool[g * 3 : g * 3 + rng.randint(2, 3)]
        for member in members:
            controllers[member.pk] = f"91310114KCGRP{g:04d}X"[:18]
    return controllers


def _build_scheme(
    rng: random.Random,
    plan: Plan,
    codes: Codes,
    year: int,
    today: dt.date,
    now: dt.datetime,
    enterprises: list[Organization],
    controllers: dict[int, str],
    providers: list[tuple[Provider, list[ProviderService]]],
    invoice: tuple[str, str],
    built: Built,
) -> None:
    current = year == today.year
    dates = _scheme_dates(year, today)
    share = 1.0 if current else plan.past_share
    chosen = [e for e in enterprises if rng.random() < share] or enterprises[:1]
    ratio_bp = rng.choice([5000, 5000, 6000, 4000])
    enterprise_cap = plan.enterprise_cap_yuan * YUAN
    controller_cap = plan.controller_cap_yuan * YUAN
    grants: dict[int, int] = {}
    per_controller: dict[str, int] = defaultdict(int)
    for enterprise in chosen:
        amount = rng.choice(plan.grants_yuan) * YUAN
        controller = controllers[enterprise.pk]
        if per_controller[controller] + amount > controller_cap:
            amount = controller_cap - per_controller[controller]
        if amount < 10_000 * YUAN:
            continue
        grants[enterprise.pk] = amount
        per_controller[controller] += amount
    budget = -(-int(sum(grants.values()) * 1.15) // (1_000_000 * YUAN)) * 1_000_000 * YUAN
    scheme = Scheme.objects.create(
        code=codes.next("PC", year, 2),
        name=f"{year}年度菊园创新券",
        year=year,
        budget_fen=budget,
        subsidy_ratio_bp=ratio_bp,
        enterprise_cap_fen=enterprise_cap,
        controller_cap_fen=controller_cap,
        categories=[c.value for c in ServiceCategory],
        status=SchemeStatus.OPEN if current else SchemeStatus.CLOSED,
        description=f"{MARKER}支持区内科技型中小企业购买检验检测、知识产权、法律、咨询、设计与研发外包服务。",
        created_at=_aware(dates["apply_from"] - dt.timedelta(days=20)),
        opened_at=_aware(dates["apply_from"] - dt.timedelta(days=10)),
        closed_at=None if current else _aware(dates["expires_on"] + dt.timedelta(days=40)),
        **dates,
    )
    journal = BulkJournal()
    fund = journal.account(
        f"vouchers:{scheme.code}:fund",
        name=f"{scheme.name} · 财政资金",
        kind=AccountKind.ASSET,
        group=scheme.code,
        reference=scheme.code,
    )
    budget_code = journal.account(
        f"vouchers:{scheme.code}:budget",
        name=f"{scheme.name} · 未分配预算",
        kind=AccountKind.EQUITY,
        group=scheme.code,
        reference=scheme.code,
    )
    journal.post(
        key=f"vouchers.scheme.fund:{scheme.code}",
        kind="vouchers.scheme.fund",
        memo=f"{scheme.name} 预算下达",
        reference=scheme.code,
        posted_at=scheme.opened_at,
        lines=[(fund, "D", budget), (budget_code, "C", budget)],
    )

    end_of_orders = min(now - dt.timedelta(hours=2), _aware(dates["expires_on"], 18))
    applications, vouchers = [], []
    order_plans: list[tuple[Voucher, list[OrderPlan]]] = []
    events: list[tuple[dt.datetime, int, Any]] = []
    sequence = 0

    def at(moment: dt.datetime, action: Any) -> None:
        nonlocal sequence
        sequence += 1
        events.append((moment, sequence, action))

    all_services = [(p, s) for p, services in providers for s in services]
    for enterprise in chosen:
        amount = grants.get(enterprise.pk)
        if not amount:
            continue
        submitted = _between(
            rng, _aware(dates["apply_from"]), _aware(dates["apply_from"] + dt.timedelta(days=60))
        )
        reviewed = submitted + dt.timedelta(days=rng.randint(1, 5), hours=2)
        granted = reviewed + dt.timedelta(days=rng.randint(1, 5), hours=3)
        if granted >= end_of_orders:
            continue
        application = Application(
            code=codes.next("SQ", submitted.year),
            scheme=scheme,
            enterprise=enterprise,
            requested_fen=amount,
            recommended_fen=amount,
            granted_fen=amount,
            purpose="委托区内服务机构开展检测、知识产权与研发设计服务",
            planned_categories=rng.sample([c.value for c in ServiceCategory], 2),
            controller_name="",
            controller_code=controllers[enterprise.pk],
            status=ApplicationStatus.GRANTED,
            submitted_at=submitted,
            operator_reviewed_at=reviewed,
            operator_note="材料齐全",
            leader_reviewed_at=granted,
            leader_note="同意",
        )
        voucher_code = codes.next("QZ", granted.year)
        account = journal.account(
            f"vouchers:{voucher_code}",
            name=f"创新券 {voucher_code} · {enterprise.name}",
            kind=AccountKind.LIABILITY,
            group=scheme.code,
            reference=voucher_code,
        )
        voucher = Voucher(
            code=voucher_code,
            scheme=scheme,
            enterprise=enterprise,
            application=application,
            controller_code=controllers[enterprise.pk],
            granted_fen=amount,
            expires_on=dates["expires_on"],
            granted_at=granted,
            status=VoucherStatus.ACTIVE if current else VoucherStatus.EXPIRED,
            closed_at=None if current else _aware(dates["expires_on"] + dt.timedelta(days=1), 1),
        )
        applications.append(application)
        vouchers.append(voucher)
        at(granted, ("grant", application, voucher, account, amount))

        # orders, one after another, while the voucher has money and time is left
        plans: list[OrderPlan] = []
        available = amount
        moment = granted + dt.timedelta(days=rng.randint(2, 12))
        for _n in range(rng.randint(*plan.orders)):
            if moment >= end_of_orders or available < 500 * YUAN:
                break
            provider, service = rng.choice(all_services)
            quantity = 1 if service.price_fen > 5_000 * YUAN else rng.randint(1, 3)
            price = service.price_fen * quantity
            share = min(price * ratio_bp // 10000, available)
            if share <= 0:
                break
            order = ServiceOrder(
                code=codes.next("DD", moment.year),
                voucher=voucher,
                scheme=scheme,
                enterprise=enterprise,
                provider=provider,
                service=service,
                category=service.category,
                quantity=quantity,
                price_fen=price,
                ratio_bp=ratio_bp,
                voucher_fen=share,
                note="",
                placed_at=moment,
            )
            op = OrderPlan(order)
            at(moment, ("hold", op, account))
            accepted = moment + dt.timedelta(hours=rng.randint(4, 60))
            delivered = accepted + dt.timedelta(days=rng.randint(2, 15))
            confirmed = delivered + dt.timedelta(hours=rng.randint(2, 72))
            roll = rng.random()
            if roll < 0.06 and accepted < end_of_orders:  # cancelled by the enterprise or declined
                order.status = OrderStatus.CANCELLED if rng.random() < 0.6 else OrderStatus.DECLINED
                order.closed_at = accepted
                order.close_reason = "需求调整" if order.status == OrderStatus.CANCELLED else "排期已满"
                at(accepted, ("void", op))
                moment = accepted + dt.timedelta(days=rng.randint(2, 15))
            elif confirmed < end_of_orders:
                order.status = OrderStatus.CONFIRMED
                order.accepted_at, order.delivered_at, order.confirmed_at = accepted, delivered, confirmed
                order.delivery_note = f"报告编号 R{rng.randint(100000, 999999)}"
                order.redeemed_fen = share
                available -= share
                op.rating = rng.choice([5, 5, 4, 4, 4, 3]) if rng.random() < 0.6 else None
                at(confirmed, ("capture", op, account, provider))
                claim_at = confirmed + dt.timedelta(days=rng.randint(1, 20))
                op.claim_at = claim_at if claim_at < now - dt.timedelta(hours=1) else None
                moment = confirmed + dt.timedelta(days=rng.randint(1, 12))
            elif not current:  # not finished before the voucher expired: cancelled by the expiry run
                order.status, order.close_reason = OrderStatus.CANCELLED, "创新券已到期"
                order.closed_at = end_of_orders
                at(end_of_orders, ("void", op))
                moment = end_of_orders
            else:  # still open now (this year's scheme only)
                order.status = rng.choice([OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DELIVERED])
                if order.status != OrderStatus.PLACED:
                    order.accepted_at = min(accepted, now - dt.timedelta(hours=1))
                if order.status == OrderStatus.DELIVERED:
                    order.delivered_at = min(delivered, now - dt.timedelta(minutes=30))
                    order.delivery_note = "报告已发出，请确认"
                available -= share
                moment = end_of_orders
            plans.append(op)
        order_plans.append((voucher, plans))
        if not current:  # expired: what is left goes back to the budget
            at(_aware(dates["expires_on"] + dt.timedelta(days=1), 1), ("return", voucher, account))

    # the ledger history, in time order
    payables: dict[str, str] = {}
    events.sort(key=lambda e: (e[0], e[1]))
    for moment, _seq, action in events:
        kind = action[0]
        if kind == "grant":
            _k, application, voucher, account, amount = action
            journal.transfer(
                key=f"vouchers.grant:{application.code}",
                source=budget_code,
                destination=account,
                amount_fen=amount,
                kind="vouchers.grant",
                memo=f"发放创新券 {voucher.code}",
                reference=voucher.code,
                posted_at=moment,
            )
        elif kind == "hold":
            _k, op, account = action
            op.hold = journal.hold(
                account=account,
                amount_fen=op.order.voucher_fen,
                created_at=moment,
                memo=f"订单 {op.order.code} 冻结创新券额度",
                reference=op.order.code,
            )
        elif kind == "void":
            journal.release(action[1].hold, at=moment)
        elif kind == "capture":
            _k, op, account, provider = action
            code = f"vouchers:{scheme.code}:payable:{provider.code}"
            payables[provider.code] = journal.account(
                code,
                name=f"{scheme.name} · 应付 {provider.organization.name}",
                kind=AccountKind.LIABILITY,
                group=scheme.code,
                reference=provider.code,
            )
            op.capture = journal.capture(
                op.hold,
                key=f"vouchers.order.redeem:{op.order.code}",
                destination=code,
                kind="vouchers.redeem",
                memo=f"订单 {op.order.code} 核销创新券",
                reference=op.order.code,
                at=moment,
            )
        elif kind == "return":
            _k, voucher, account = action
            left = journal.balance[account] - journal.held[account]
            if left > 0:
                journal.transfer(
                    key=f"vouchers.return:{voucher.code}:{journal.line_count[account]}",
                    source=account,
                    destination=budget_code,
                    amount_fen=left,
                    kind="vouchers.return",
                    memo=f"创新券 {voucher.code} 到期，未使用额度收回",
                    reference=voucher.code,
                    posted_at=moment,
                )
                voucher.returned_fen = left

    # settlement: claims and monthly batches, paid a few days into the next month
    claims_by_month: dict[dt.date, list[OrderPlan]] = defaultdict(list)
    for _voucher, plans in order_plans:
        for op in plans:
            if op.order.status == OrderStatus.CONFIRMED and op.claim_at is not None:
                reviewed = op.claim_at + dt.timedelta(days=rng.randint(1, 6))
                op.claim_status = ClaimStatus.SUBMITTED if reviewed >= now else ClaimStatus.APPROVED
                claims_by_month[reviewed.date().replace(day=1)].append(op)
                op.claim_reviewed = reviewed  # type: ignore[attr-defined]
    batches: list[tuple[SettlementBatch, list[OrderPlan]]] = []
    this_month = today.replace(day=1)
    for month in sorted(claims_by_month):
        plans = [op for op in claims_by_month[month] if op.claim_status == ClaimStatus.APPROVED]
        if month >= this_month or not plans:
            continue
        next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        created = _aware(next_month, 9)
        approved = created + dt.timedelta(days=2)
        paid = approved + dt.timedelta(days=3)
        if paid >= now:
            batch = SettlementBatch(
                code=codes.next("JP", created.year, 4),
                period=month,
                status=BatchStatus.DRAFT,
                created_at=created,
            )
            batches.append((batch, plans))
            for op in plans:
                op.claim_status = ClaimStatus.BATCHED
            continue
        batch = SettlementBatch(
            code=codes.next("JP", created.year, 4),
            period=month,
            status=BatchStatus.PAID,
            created_at=created,
            approved_at=approved,
            paid_at=paid,
        )
        batches.append((batch, plans))
        for op in plans:
            op.claim_status = ClaimStatus.PAID
            op.claim_code = codes.next("JS", op.claim_at.year)  # type: ignore[attr-defined, union-attr]
            op.payment = journal.post(  # type: ignore[attr-defined]
                key=f"vouchers.claim.pay:{op.claim_code}",
                kind="vouchers.settle",  # type: ignore[attr-defined]
                memo=f"结算批次 {batch.code} 支付 {op.claim_code}",
                reference=op.claim_code,  # type: ignore[attr-defined]
                business_reference=f"vouchers.claim:{op.claim_code}",
                posted_at=paid,  # type: ignore[attr-defined]
                lines=[
                    (f"vouchers:{scheme.code}:payable:{op.order.provider.code}", "D", op.order.redeemed_fen),
                    (fund, "C", op.order.redeemed_fen),
                ],
            )

    written = journal.flush()
    for key, value in written.items():
        built.counts[key] += value

    # the domain rows, pointing at what the ledger just wrote
    scheme.fund_account = journal.accounts[fund]
    scheme.budget_account = journal.accounts[budget_code]
    scheme.save(update_fields=["fund_account", "budget_account"])
    Application.objects.bulk_create(applications, batch_size=BATCH)
    for voucher in vouchers:
        voucher.application_id = voucher.application.pk
        voucher.account = journal.accounts[f"vouchers:{voucher.code}"]
    Voucher.objects.bulk_create(vouchers, batch_size=BATCH)
    orders = []
    for voucher, plans in order_plans:
        for op in plans:
            op.order.voucher = voucher
            op.order.hold_id = op.hold.pk if op.hold else None
            op.order.redemption_entry_id = op.capture.pk if op.capture else None
            orders.append(op.order)
    ServiceOrder.objects.bulk_create(orders, batch_size=BATCH)
    Rating.objects.bulk_create(
        [
            Rating(
                order=op.order,
                provider=op.order.provider,
                score=op.rating,
                comment=rng.choice(["响应及时，报告专业", "服务规范", "沟通顺畅，按期交付", "价格合理", ""]),
                created_at=op.order.confirmed_at,
            )
            for _v, plans in order_plans
            for op in plans
            if op.rating
        ],
        batch_size=BATCH,
    )
    SettlementBatch.objects.bulk_create([b for b, _p in batches], batch_size=BATCH)
    batch_of: dict[int, SettlementBatch] = {}
    for batch, plans in batches:
        batch.total_fen = sum(op.order.redeemed_fen for op in plans)
        batch.claim_count = len(plans)
        for op in plans:
            batch_of[id(op)] = batch
    SettlementBatch.objects.bulk_update(
        [b for b, _p in batches], ["total_fen", "claim_count"], batch_size=BATCH
    )
    claims = []
    for _v, plans in order_plans:
        for op in plans:
            if op.claim_status is None or op.claim_at is None:
                continue
            code = getattr(op, "claim_code", None) or codes.next("JS", op.claim_at.year)
            reviewed = op.claim_reviewed if op.claim_status != ClaimStatus.SUBMITTED else None  # type: ignore[attr-defined]
            batch = batch_of.get(id(op))
            payment = getattr(op, "payment", None)
            claims.append(
                SettlementClaim(
                    code=code,
                    order=op.order,
                    provider=op.order.provider,
                    scheme=scheme,
                    amount_fen=op.order.redeemed_fen,
                    invoice_number=f"No.{rng.randint(10000000, 99999999)}",
                    invoice_amount_fen=op.order.price_fen,
                    invoice=invoice[0],
                    invoice_name="增值税普通发票.pdf",
                    invoice_content_type="application/pdf",
                    invoice_sha256=invoice[1],
                    status=op.claim_status,
                    submitted_at=op.claim_at,
                    reviewed_at=reviewed,
                    review_note="发票与订单一致" if reviewed else "",
                    batch=batch,
                    payment_entry_id=payment.pk if payment is not None else None,
                    paid_at=batch.paid_at if payment is not None and batch is not None else None,
                )
            )
    SettlementClaim.objects.bulk_create(claims, batch_size=BATCH)

    built.counts["批次"] += 1
    built.counts["创新券"] += len(vouchers)
    built.counts["订单"] += len(orders)
    built.counts["结算申请"] += len(claims)
    built.counts["结算批次"] += len(batches)


def _waiting_applications(rng: random.Random, codes: Codes, today: dt.date, built: Built) -> None:
    """A few applications waiting in the review queues of this year's scheme."""
    scheme = Scheme.objects.filter(year=today.year, description__startswith=MARKER).first()
    if scheme is None:
        return
    have = set(Voucher.objects.filter(scheme=scheme).values_list("enterprise_id", flat=True))
    candidates = list(
        Organization.objects.filter(kind=OrganizationKind.ENTERPRISE)
        .exclude(pk__in=have)
        .order_by("name")[:6]
    )
    if len(candidates) < 2:
        return
    now = timezone.now()
    rows = []
    for index, enterprise in enumerate(candidates):
        submitted = now - dt.timedelta(days=rng.randint(1, 6), hours=rng.randint(1, 20))
        reviewed = index % 2 == 1
        amount = rng.choice(GRANTS_YUAN) * YUAN
        rows.append(
            Application(
                code=codes.next("SQ", submitted.year),
                scheme=scheme,
                enterprise=enterprise,
                requested_fen=amount,
                recommended_fen=amount if reviewed else None,
                purpose="购买检测与知识产权服务，支持新产品研发",
                planned_categories=["testing", "ip"],
                controller_code=enterprise.uscc or f"ORG{enterprise.pk}",
                status=ApplicationStatus.REVIEWED if reviewed else ApplicationStatus.SUBMITTED,
                submitted_at=submitted,
                operator_reviewed_at=submitted + dt.timedelta(hours=5) if reviewed else None,
                operator_note="建议按申请额度发放" if reviewed else "",
            )
        )
    Application.objects.bulk_create(rows)
    built.counts["待审申领"] += len(rows)


def make_demo_vouchers(*, scale: str, seed: int, rng: random.Random, stdout: Any = None) -> dict[str, int]:
    if Scheme.objects.filter(description__startswith=MARKER).exists():
        return {}
    plan = PLANS.get(scale, PLANS["small"] if scale != "tiny" else PLANS["tiny"])
    today = timezone.localdate()
    now = timezone.now()
    enterprises = list(Organization.objects.filter(kind=OrganizationKind.ENTERPRISE).order_by("uscc", "name"))
    if plan.max_enterprises:
        enterprises = enterprises[: plan.max_enterprises]
    if not enterprises:
        return {}
    codes = Codes()
    providers = _providers(rng, plan, codes, today)
    providers = [(p, s) for p, s in providers if s]
    if not providers:
        return {}
    content = minimal_pdf("demo invoice")
    path = "vouchers/invoices/demo/demo-invoice.pdf"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(content))
    invoice = (path, hashlib.sha256(content).hexdigest())
    controllers = _controllers(rng, enterprises)
    built = Built()
    for offset in range(plan.schemes - 1, -1, -1):
        _build_scheme(
            rng,
            plan,
            codes,
            today.year - offset,
            today,
            now,
            enterprises,
            controllers,
            providers,
            invoice,
            built,
        )
        if stdout is not None:
            stdout.write(
                f"  创新券：{today.year - offset} 年度批次已生成（累计分录 {built.counts['lines']:,} 行）"
            )
    _waiting_applications(rng, codes, today, built)
    codes.save()
    counts = {"服务机构": len(providers), **{k: v for k, v in built.counts.items() if k not in ("holds",)}}
    counts["账本凭证"] = counts.pop("entries", 0)
    counts["账本分录"] = counts.pop("lines", 0)
    audit.record("demo.generate", object_type="vouchers", object_id=scale, detail={"seed": seed, **counts})
    return counts
