"""Reads of the voucher module: lists start from the visibility querysets; figures come from the ledger.

Reports (docs/design.md §3.5): use by service category and by provider, the remaining budget, and leverage —
the value of the services bought divided by the subsidy paid for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from kechuang.ledger.models import Account, JournalLine

from . import permissions as perms
from .choices import (
    ApplicationStatus,
    BatchStatus,
    ClaimStatus,
    OrderStatus,
    ProviderStatus,
    SchemeStatus,
    ServiceCategory,
)
from .models import (
    Application,
    Provider,
    ProviderService,
    Scheme,
    ServiceOrder,
    SettlementBatch,
    SettlementClaim,
    Voucher,
)


def _sum(queryset: QuerySet[Any], expression: Any) -> int:
    return int(queryset.aggregate(total=Coalesce(Sum(expression), 0))["total"] or 0)


# --- lists --------------------------------------------------------------------------------------------


def scheme_list(*, actor: Any) -> QuerySet[Scheme]:
    return (
        perms.scheme_visible_to(actor)
        .select_related("budget_account", "fund_account")
        .order_by("-year", "-code")
    )


def application_list(*, actor: Any) -> QuerySet[Application]:
    return (
        perms.application_visible_to(actor)
        .select_related("scheme", "enterprise", "submitted_by", "operator_reviewer", "leader_reviewer")
        .order_by("-submitted_at", "-id")
    )


def voucher_list(*, actor: Any) -> QuerySet[Voucher]:
    return (
        perms.voucher_visible_to(actor)
        .select_related("scheme", "enterprise", "account")
        .order_by("-granted_at", "-id")
    )


def order_list(*, actor: Any) -> QuerySet[ServiceOrder]:
    return (
        perms.order_visible_to(actor)
        .select_related("voucher", "enterprise", "provider__organization", "service", "scheme", "claim")
        .order_by("-placed_at", "-id")
    )


def claim_list(*, actor: Any) -> QuerySet[SettlementClaim]:
    return (
        perms.claim_visible_to(actor)
        .select_related("order", "provider__organization", "scheme", "batch")
        .order_by("-submitted_at", "-id")
    )


def batch_list(*, actor: Any) -> QuerySet[SettlementBatch]:
    return (
        perms.batch_visible_to(actor)
        .select_related("created_by", "approved_by", "paid_by")
        .order_by("-period", "-id")
    )


def provider_list(*, actor: Any) -> QuerySet[Provider]:
    return (
        perms.provider_visible_to(actor)
        .select_related("organization")
        .annotate(rating_avg=Avg("ratings__score"), rating_count=Count("ratings", distinct=True))
        .order_by("code")
    )


def service_list(*, actor: Any) -> QuerySet[ProviderService]:
    return (
        perms.service_visible_to(actor)
        .select_related("provider__organization")
        .order_by("category", "price_fen", "id")
    )


def provider_for_organization(organization: Any) -> Provider | None:
    if organization is None:
        return None
    return Provider.objects.filter(organization=organization).first()


def open_schemes_for_applying(*, actor: Any, today: Any = None) -> list[Scheme]:
    return [
        s
        for s in perms.scheme_visible_to(actor).filter(status=SchemeStatus.OPEN).order_by("-year", "code")
        if s.is_accepting_applications(today)
    ]


def review_queue(*, actor: Any) -> dict[str, Any]:
    """What waits for this person: operators review, leaders approve (never their own requests)."""
    queue: dict[str, Any] = {
        "applications": [],
        "approvals": [],
        "providers": [],
        "claims": [],
        "batches": [],
    }
    if perms.is_operator(actor):
        queue["applications"] = list(
            application_list(actor=actor)
            .filter(status=ApplicationStatus.SUBMITTED)
            .exclude(submitted_by=actor)
            .order_by("submitted_at")[:100]
        )
        queue["providers"] = list(
            Provider.objects.select_related("organization")
            .filter(status=ProviderStatus.PENDING)
            .exclude(applied_by=actor)
            .order_by("applied_at")[:100]
        )
        queue["claims"] = list(
            claim_list(actor=actor)
            .filter(status=ClaimStatus.SUBMITTED)
            .exclude(submitted_by=actor)
            .order_by("submitted_at")[:100]
        )
        queue["payable_batches"] = list(batch_list(actor=actor).filter(status=BatchStatus.APPROVED))
    if perms.is_leader(actor):
        queue["approvals"] = list(
            application_list(actor=actor)
            .filter(status=ApplicationStatus.REVIEWED)
            .exclude(submitted_by=actor)
            .exclude(operator_reviewer=actor)
            .order_by("operator_reviewed_at")[:100]
        )
        queue["batches"] = list(
            batch_list(actor=actor).filter(status=BatchStatus.DRAFT).exclude(created_by=actor)
        )
    return queue


# --- balances -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VoucherBalance:
    granted_fen: int
    balance_fen: int
    held_fen: int
    available_fen: int
    redeemed_fen: int
    returned_fen: int


def voucher_balance(voucher: Voucher) -> VoucherBalance:
    """The voucher's money, read from its ledger account (the truth), not from the order table."""
    account = Account.objects.get(pk=voucher.account_id)
    redeemed = _sum(
        ServiceOrder.objects.filter(voucher=voucher, status=OrderStatus.CONFIRMED), "redeemed_fen"
    )
    return VoucherBalance(
        voucher.granted_fen,
        account.balance_fen,
        account.held_fen,
        account.available_fen,
        redeemed,
        voucher.returned_fen,
    )


def account_statement(account_id: int, *, limit: int = 200) -> list[JournalLine]:
    """The latest lines of an account with their entries, newest first."""
    return list(
        JournalLine.objects.filter(account_id=account_id).select_related("entry").order_by("-id")[:limit]
    )


# --- reports ------------------------------------------------------------------------------------------


def leverage(service_value_fen: int, subsidy_fen: int) -> Decimal | None:
    """Service value ÷ subsidy (e.g. 2.35 means each yuan of subsidy bought 2.35 yuan of services)."""
    if not subsidy_fen:
        return None
    return (Decimal(service_value_fen) / Decimal(subsidy_fen)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def scheme_figures(scheme: Scheme) -> dict[str, Any]:
    """The scheme's money at a glance, from the ledger: budget, granted, held, redeemed, paid, remaining."""
    vouchers = Voucher.objects.filter(scheme=scheme)
    confirmed = ServiceOrder.objects.filter(scheme=scheme, status=OrderStatus.CONFIRMED)
    accounts = Account.objects.filter(group=scheme.code)
    voucher_accounts = accounts.filter(voucher__scheme=scheme)
    payable = _sum(accounts.filter(code__startswith=f"vouchers:{scheme.code}:payable:"), "balance_fen")
    balances = dict(
        Account.objects.filter(pk__in=[scheme.budget_account_id, scheme.fund_account_id]).values_list(
            "pk", "balance_fen"
        )
    )  # fresh: the scheme object may hold stale accounts
    remaining = balances.get(scheme.budget_account_id, 0) if scheme.budget_account_id else scheme.budget_fen
    fund = balances.get(scheme.fund_account_id, 0) if scheme.fund_account_id else 0
    granted = _sum(vouchers, "granted_fen")
    returned = _sum(vouchers, "returned_fen")
    redeemed = _sum(confirmed, "redeemed_fen")
    service_value = _sum(confirmed, "price_fen")
    paid = _sum(SettlementClaim.objects.filter(scheme=scheme, status=ClaimStatus.PAID), "amount_fen")
    return {
        "budget_fen": scheme.budget_fen,
        "remaining_fen": remaining,
        "granted_fen": granted,
        "returned_fen": returned,
        "outstanding_fen": _sum(voucher_accounts, "balance_fen"),
        "held_fen": _sum(voucher_accounts, "held_fen"),
        "redeemed_fen": redeemed,
        "payable_fen": payable,
        "paid_fen": paid,
        "fund_fen": fund,
        "service_value_fen": service_value,
        "leverage": leverage(service_value, redeemed),
        "vouchers": vouchers.count(),
        "enterprises": vouchers.values("enterprise_id").distinct().count(),
        "orders": confirmed.count(),
        "committed_fen": granted - returned,
        "used_percent": min(100, max(0, round((granted - returned) * 100 / scheme.budget_fen)))
        if scheme.budget_fen
        else 0,
    }


def use_by_category(*, scheme: Scheme | None = None) -> list[dict[str, Any]]:
    orders = ServiceOrder.objects.filter(status=OrderStatus.CONFIRMED)
    if scheme is not None:
        orders = orders.filter(scheme=scheme)
    rows = (
        orders.values("category")
        .annotate(orders=Count("id"), subsidy_fen=Sum("redeemed_fen"), value_fen=Sum("price_fen"))
        .order_by("-subsidy_fen")
    )
    labels = dict(ServiceCategory.choices)
    return [
        {
            "category": row["category"],
            "label": labels.get(row["category"], row["category"]),
            "orders": row["orders"],
            "subsidy_fen": int(row["subsidy_fen"] or 0),
            "value_fen": int(row["value_fen"] or 0),
            "leverage": leverage(int(row["value_fen"] or 0), int(row["subsidy_fen"] or 0)),
        }
        for row in rows
    ]


def use_by_provider(*, scheme: Scheme | None = None, limit: int = 20) -> list[dict[str, Any]]:
    orders = ServiceOrder.objects.filter(status=OrderStatus.CONFIRMED)
    if scheme is not None:
        orders = orders.filter(scheme=scheme)
    rows = (
        orders.values("provider_id", "provider__code", "provider__organization__name")
        .annotate(orders=Count("id"), subsidy_fen=Sum("redeemed_fen"), value_fen=Sum("price_fen"))
        .order_by("-subsidy_fen", "provider__code")[:limit]
    )
    ratings = dict(
        Provider.objects.filter(pk__in=[r["provider_id"] for r in rows])
        .annotate(avg=Avg("ratings__score"))
        .values_list("pk", "avg")
    )
    return [
        {
            "code": row["provider__code"],
            "name": row["provider__organization__name"],
            "orders": row["orders"],
            "subsidy_fen": int(row["subsidy_fen"] or 0),
            "value_fen": int(row["value_fen"] or 0),
            "leverage": leverage(int(row["value_fen"] or 0), int(row["subsidy_fen"] or 0)),
            "rating": ratings.get(row["provider_id"]),
        }
        for row in rows
    ]


FIGURES_CACHE_KEY = "vouchers:overall-figures"


def overall_figures_cached() -> dict[str, Any]:
    """:func:`overall_figures` kept for ``INSIGHTS_CACHE_SECONDS`` (default 60; 0 in tests): the staff home
    pages and the voucher pages show them on every visit and they sum whole tables (95,000 orders and 89,000
    claims on the large demo data: 60 ms of the database per visit). Every audited write retires them, so
    they are as fresh as a live read after any change through the services (core.figures)."""
    from kechuang.core.figures import cached_figures

    return cached_figures(FIGURES_CACHE_KEY, overall_figures)


def review_counts_cached(*, actor: Any) -> dict[str, int]:
    """:func:`review_counts` for the voucher pages' badges, kept per person until the next write anywhere
    (core.figures): the counts follow from the rows alone, and every write to them is an audited service
    call, so a kept count is the live count. The review queue itself lists live rows."""
    from kechuang.core.figures import cached_figures

    return cached_figures(f"vouchers:review-counts:{actor.pk}", lambda: review_counts(actor=actor))


def review_counts(*, actor: Any) -> dict[str, int]:
    """How many items wait for this person, by queue (what :func:`review_queue` lists, counted in SQL)."""
    counts = {"applications": 0, "approvals": 0, "providers": 0, "claims": 0, "batches": 0}
    operator, leader = perms.is_operator(actor), perms.is_leader(actor)
    if operator or leader:
        apps = perms.application_visible_to(actor).aggregate(
            applications=Count("id", filter=Q(status=ApplicationStatus.SUBMITTED) & ~Q(submitted_by=actor)),
            approvals=Count(
                "id",
                filter=Q(status=ApplicationStatus.REVIEWED)
                & ~Q(submitted_by=actor)
                & ~Q(operator_reviewer=actor),
            ),
        )
        if operator:
            counts["applications"] = int(apps["applications"])
            counts["providers"] = (
                Provider.objects.filter(status=ProviderStatus.PENDING).exclude(applied_by=actor).count()
            )
            counts["claims"] = (
                perms.claim_visible_to(actor)
                .filter(status=ClaimStatus.SUBMITTED)
                .exclude(submitted_by=actor)
                .count()
            )
        if leader:
            counts["approvals"] = int(apps["approvals"])
            counts["batches"] = (
                perms.batch_visible_to(actor)
                .filter(status=BatchStatus.DRAFT)
                .exclude(created_by=actor)
                .count()
            )
    return counts


def overall_figures() -> dict[str, Any]:
    """Across every open or closed scheme (the leader's and operator's home panel)."""
    schemes = list(Scheme.objects.exclude(status=SchemeStatus.DRAFT).select_related("budget_account"))
    # one pass over each table (the home pages of staff show these on every visit)
    orders = ServiceOrder.objects.filter(status=OrderStatus.CONFIRMED).aggregate(
        redeemed=Coalesce(Sum("redeemed_fen"), 0), value=Coalesce(Sum("price_fen"), 0)
    )
    claims = SettlementClaim.objects.filter(status__in=[ClaimStatus.PAID, ClaimStatus.SUBMITTED]).aggregate(
        paid=Coalesce(Sum("amount_fen", filter=Q(status=ClaimStatus.PAID)), 0),
        pending=Count("id", filter=Q(status=ClaimStatus.SUBMITTED)),
    )
    redeemed, value = int(orders["redeemed"]), int(orders["value"])
    return {
        "schemes": len(schemes),
        "budget_fen": sum(s.budget_fen for s in schemes),
        "remaining_fen": sum(s.budget_account.balance_fen for s in schemes if s.budget_account is not None),
        "granted_fen": _sum(Voucher.objects.all(), F("granted_fen") - F("returned_fen")),
        "redeemed_fen": redeemed,
        "service_value_fen": value,
        "leverage": leverage(value, redeemed),
        "paid_fen": int(claims["paid"]),
        "pending_claims": int(claims["pending"]),
        "pending_applications": Application.objects.filter(
            Q(status=ApplicationStatus.SUBMITTED) | Q(status=ApplicationStatus.REVIEWED)
        ).count(),
    }


def batch_export_rows(batch: SettlementBatch) -> tuple[list[str], list[list[Any]]]:
    header = [
        "结算申请编号",
        "订单编号",
        "服务机构",
        "统一社会信用代码",
        "服务项目",
        "服务类别",
        "服务金额（元）",
        "创新券支付（元）",
        "发票号码",
        "批次",
        "状态",
    ]
    claims = (
        SettlementClaim.objects.filter(batch=batch)
        .select_related("order__service", "provider__organization", "scheme")
        .order_by("provider__code", "code")
    )
    rows = [
        [
            c.code,
            c.order.code,
            c.provider.organization.name,
            c.provider.organization.uscc or "",
            c.order.service.name,
            c.order.get_category_display(),
            c.order.price_fen / 100,
            c.amount_fen / 100,
            c.invoice_number,
            c.scheme.code,
            c.get_status_display(),
        ]
        for c in claims
    ]
    return header, rows
