"""The voucher module's own reconciliation checks, run by ``kechuang ledger-reconcile`` with the ledger's:
caps respected, every voucher, order, claim and batch agreeing with the ledger, and each scheme's
accounting identity (fund = unallocated budget + voucher balances + provider payables; fund = budget −
paid). Each check is one or two SQL statements that return only the rows in error, so it stays fast on
a large ledger."""

from __future__ import annotations

from collections.abc import Iterator

from kechuang.core.money import format_fen
from kechuang.ledger.choices import HoldStatus
from kechuang.ledger.reconcile import Check, Violation, fetch_rows, register_check

from .choices import OPEN_ORDER_STATUSES, ClaimStatus, OrderStatus

_OPEN = ", ".join(f"'{status}'" for status in sorted(OPEN_ORDER_STATUSES))


class CapsRespected(Check):
    name = "vouchers_caps"
    title = "创新券：单户年度上限、同一实际控制人上限与批次预算"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM vouchers_voucher")
        for scheme, name, total, cap in fetch_rows("""
                SELECT s.code, o.name, SUM(v.granted_fen - v.returned_fen), s.enterprise_cap_fen
                FROM vouchers_voucher v JOIN vouchers_scheme s ON s.id = v.scheme_id
                JOIN directory_organization o ON o.id = v.enterprise_id
                GROUP BY s.code, o.id, o.name, s.enterprise_cap_fen
                HAVING SUM(v.granted_fen - v.returned_fen) > s.enterprise_cap_fen"""):
            yield Violation(
                self.name,
                f"批次 {scheme} · {name}",
                f"已获 {format_fen(total)}，超过单户上限 {format_fen(cap)}",
                {"scheme": scheme, "enterprise": name, "total_fen": total},
            )
        for scheme, controller, total, cap in fetch_rows("""
                SELECT s.code, v.controller_code, SUM(v.granted_fen - v.returned_fen), s.controller_cap_fen
                FROM vouchers_voucher v JOIN vouchers_scheme s ON s.id = v.scheme_id
                GROUP BY s.code, v.controller_code, s.controller_cap_fen
                HAVING SUM(v.granted_fen - v.returned_fen) > s.controller_cap_fen"""):
            yield Violation(
                self.name,
                f"批次 {scheme} · 实际控制人 {controller}",
                f"合计 {format_fen(total)}，超过上限 {format_fen(cap)}",
                {"scheme": scheme, "controller": controller, "total_fen": total},
            )
        for scheme, total, budget in fetch_rows("""
                SELECT s.code, SUM(v.granted_fen - v.returned_fen), s.budget_fen
                FROM vouchers_voucher v JOIN vouchers_scheme s ON s.id = v.scheme_id
                GROUP BY s.code, s.budget_fen HAVING SUM(v.granted_fen - v.returned_fen) > s.budget_fen"""):
            yield Violation(
                self.name,
                f"批次 {scheme}",
                f"发放合计 {format_fen(total)} 超过预算 {format_fen(budget)}",
                {"scheme": scheme, "total_fen": total},
            )


class VouchersMatchLedger(Check):
    name = "vouchers_match_ledger"
    title = "创新券：发放、收回、核销、冻结与账本一致"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM vouchers_voucher")
        sql = f"""
            SELECT v.code, v.granted_fen, v.returned_fen, a.balance_fen, a.held_fen,
                   COALESCE(g.granted, 0), COALESCE(g.returned, 0), COALESCE(g.redeemed, 0),
                   COALESCE(o.redeemed, 0), COALESCE(o.open_share, 0)
            FROM vouchers_voucher v
            JOIN ledger_account a ON a.id = v.account_id
            LEFT JOIN (
                SELECT l.account_id,
                       SUM(CASE WHEN e.kind = 'vouchers.grant' AND l.side = 'C' THEN l.amount_fen ELSE 0 END) AS granted,
                       SUM(CASE WHEN e.kind = 'vouchers.return' AND l.side = 'D' THEN l.amount_fen ELSE 0 END)
                           AS returned,
                       SUM(CASE WHEN e.kind = 'vouchers.redeem' AND l.side = 'D' THEN l.amount_fen ELSE 0 END)
                           AS redeemed
                FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
                WHERE l.account_id IN (SELECT account_id FROM vouchers_voucher)
                GROUP BY l.account_id) g ON g.account_id = v.account_id
            LEFT JOIN (
                SELECT voucher_id, SUM(redeemed_fen) AS redeemed,
                       SUM(CASE WHEN status IN ({_OPEN}) THEN voucher_fen ELSE 0 END) AS open_share
                FROM vouchers_serviceorder GROUP BY voucher_id) o ON o.voucher_id = v.id
            WHERE v.granted_fen <> COALESCE(g.granted, 0) OR v.returned_fen <> COALESCE(g.returned, 0)
               OR COALESCE(g.redeemed, 0) <> COALESCE(o.redeemed, 0)
               OR a.balance_fen <> v.granted_fen - v.returned_fen - COALESCE(o.redeemed, 0)
               OR a.held_fen <> COALESCE(o.open_share, 0)
            ORDER BY v.id"""  # noqa: S608 - built from constants, no input
        for (
            code,
            granted,
            returned,
            balance,
            held,
            l_granted,
            l_returned,
            l_redeemed,
            redeemed,
            open_share,
        ) in fetch_rows(sql):
            problems = []
            if granted != l_granted:
                problems.append(f"发放 {format_fen(granted)}，账本 {format_fen(l_granted)}")
            if returned != l_returned:
                problems.append(f"收回 {format_fen(returned)}，账本 {format_fen(l_returned)}")
            if l_redeemed != redeemed:
                problems.append(f"订单核销合计 {format_fen(redeemed)}，账本 {format_fen(l_redeemed)}")
            expected = granted - returned - redeemed
            if balance != expected:
                problems.append(f"余额 {format_fen(balance)}，应为 {format_fen(expected)}")
            if held != open_share:
                problems.append(f"冻结 {format_fen(held)}，未结订单合计 {format_fen(open_share)}")
            yield Violation(self.name, f"创新券 {code}", "；".join(problems), {"voucher": code})


class OrdersMatchHolds(Check):
    name = "vouchers_orders_match_holds"
    title = "订单状态与资金冻结、核销凭证一致"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM vouchers_serviceorder")
        active, captured = HoldStatus.ACTIVE.value, HoldStatus.CAPTURED.value
        released = f"'{HoldStatus.VOIDED.value}', '{HoldStatus.EXPIRED.value}'"
        sql = f"""
            SELECT o.code, o.status, h.status, o.voucher_fen, h.amount_fen, o.redeemed_fen, h.captured_fen
            FROM vouchers_serviceorder o
            JOIN vouchers_voucher v ON v.id = o.voucher_id
            LEFT JOIN ledger_hold h ON h.id = o.hold_id
            WHERE h.id IS NULL OR h.amount_fen <> o.voucher_fen OR h.account_id <> v.account_id
               OR (o.status IN ({_OPEN}) AND h.status <> '{active}')
               OR (o.status = '{OrderStatus.CONFIRMED.value}' AND (h.status <> '{captured}'
                   OR h.captured_fen <> o.redeemed_fen OR h.capture_entry_id <> o.redemption_entry_id))
               OR (o.status IN ('{OrderStatus.CANCELLED.value}', '{OrderStatus.DECLINED.value}')
                   AND h.status NOT IN ({released}))
            ORDER BY o.id"""  # noqa: S608 - built from constants, no input
        for code, status, hold_status, share, hold_amount, redeemed, hold_captured in fetch_rows(sql):
            yield Violation(
                self.name,
                f"订单 {code}",
                f"订单{status}、券付 {format_fen(share)}、核销 {format_fen(redeemed)}；冻结"
                f"{hold_status or '缺失'}、{format_fen(hold_amount)}、入账 {format_fen(hold_captured)}",
                {"order": code},
            )


class SettlementMatchesLedger(Check):
    name = "vouchers_settlement"
    title = "结算申请、结算批次与支付凭证一致"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM vouchers_settlementclaim")
        paid = ClaimStatus.PAID.value
        for code, status, amount, redeemed, total in fetch_rows(f"""
                SELECT c.code, c.status, c.amount_fen, o.redeemed_fen, e.total_fen
                FROM vouchers_settlementclaim c JOIN vouchers_serviceorder o ON o.id = c.order_id
                LEFT JOIN ledger_journalentry e ON e.id = c.payment_entry_id
                WHERE c.amount_fen <> o.redeemed_fen
                   OR (c.status = '{paid}' AND (e.id IS NULL OR e.total_fen <> c.amount_fen
                       OR e.business_reference IS NULL
                       OR e.business_reference <> 'vouchers.claim:' || c.code))
                ORDER BY c.id"""):  # noqa: S608 - built from constants, no input
            yield Violation(
                self.name,
                f"结算申请 {code}",
                f"状态 {status}，申请 {format_fen(amount)}，订单核销 {format_fen(redeemed)}，"
                f"支付凭证 {format_fen(total) if total is not None else '无'}",
                {"claim": code},
            )
        for reference, total in fetch_rows(f"""
                SELECT e.business_reference, e.total_fen FROM ledger_journalentry e
                LEFT JOIN vouchers_settlementclaim c ON c.payment_entry_id = e.id AND c.status = '{paid}'
                WHERE e.kind = 'vouchers.settle' AND c.id IS NULL ORDER BY e.id"""):  # noqa: S608 - built from constants, no input
            yield Violation(
                self.name,
                f"支付凭证 {reference}",
                f"支付 {format_fen(total)} 没有对应的已支付结算申请",
                {"reference": reference},
            )
        for code, count, total, n, actual in fetch_rows("""
                SELECT b.code, b.claim_count, b.total_fen, COUNT(c.id), COALESCE(SUM(c.amount_fen), 0)
                FROM vouchers_settlementbatch b LEFT JOIN vouchers_settlementclaim c ON c.batch_id = b.id
                GROUP BY b.id, b.code, b.claim_count, b.total_fen
                HAVING COUNT(c.id) <> b.claim_count OR COALESCE(SUM(c.amount_fen), 0) <> b.total_fen"""):
            yield Violation(
                self.name,
                f"结算批次 {code}",
                f"批次记 {count} 笔 {format_fen(total)}，实际 {n} 笔 {format_fen(actual)}",
                {"batch": code},
            )


class SchemeIdentity(Check):
    name = "vouchers_scheme_identity"
    title = "批次资金恒等：资金 = 未分配预算 + 券余额 + 应付机构；资金 = 预算 − 已支付"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM vouchers_scheme WHERE fund_account_id IS NOT NULL")
        sql = f"""
            SELECT s.code, s.budget_fen, f.balance_fen, b.balance_fen,
                   COALESCE((SELECT SUM(a.balance_fen) FROM ledger_account a JOIN vouchers_voucher v
                             ON v.account_id = a.id WHERE v.scheme_id = s.id), 0),
                   COALESCE((SELECT SUM(a.balance_fen) FROM ledger_account a
                             WHERE a."group" = s.code AND a.code LIKE 'vouchers:' || s.code || ':payable:%%'), 0),
                   COALESCE((SELECT SUM(c.amount_fen) FROM vouchers_settlementclaim c
                             WHERE c.scheme_id = s.id AND c.status = '{ClaimStatus.PAID.value}'), 0)
            FROM vouchers_scheme s JOIN ledger_account f ON f.id = s.fund_account_id
            JOIN ledger_account b ON b.id = s.budget_account_id ORDER BY s.id"""  # noqa: S608 - built from constants, no input
        for code, budget_fen, fund, unallocated, vouchers, payables, paid in fetch_rows(sql):
            if fund != unallocated + vouchers + payables:
                yield Violation(
                    self.name,
                    f"批次 {code}",
                    f"资金 {format_fen(fund)} ≠ 未分配 {format_fen(unallocated)} + 券余额 "
                    f"{format_fen(vouchers)} + 应付 {format_fen(payables)}",
                    {"scheme": code},
                )
            if fund != budget_fen - paid:
                yield Violation(
                    self.name,
                    f"批次 {code}",
                    f"资金 {format_fen(fund)} ≠ 预算 {format_fen(budget_fen)} − 已支付 {format_fen(paid)}",
                    {"scheme": code},
                )


def register() -> None:
    for check in (
        CapsRespected,
        VouchersMatchLedger,
        OrdersMatchHolds,
        SettlementMatchesLedger,
        SchemeIdentity,
    ):
        register_check(check.name, check)


def quick_counts() -> dict[str, int]:
    """The voucher invariants as violation counts, in one statement: caps and budget exceeded, vouchers
    whose balance or hold disagrees with their orders (see :class:`VouchersMatchLedger` for the detail)."""
    sql = f"""
        SELECT
          (SELECT COUNT(*) FROM (SELECT 1 FROM vouchers_voucher v JOIN vouchers_scheme s ON s.id = v.scheme_id
              GROUP BY v.scheme_id, v.enterprise_id, s.enterprise_cap_fen
              HAVING SUM(v.granted_fen - v.returned_fen) > s.enterprise_cap_fen) x),
          (SELECT COUNT(*) FROM (SELECT 1 FROM vouchers_voucher v JOIN vouchers_scheme s ON s.id = v.scheme_id
              GROUP BY v.scheme_id, v.controller_code, s.controller_cap_fen
              HAVING SUM(v.granted_fen - v.returned_fen) > s.controller_cap_fen) y),
          (SELECT COUNT(*) FROM (SELECT 1 FROM vouchers_voucher v JOIN vouchers_scheme s ON s.id = v.scheme_id
              GROUP BY v.scheme_id, s.budget_fen HAVING SUM(v.granted_fen - v.returned_fen) > s.budget_fen) z),
          (SELECT COUNT(*) FROM vouchers_voucher v JOIN ledger_account a ON a.id = v.account_id
              LEFT JOIN (SELECT voucher_id, SUM(redeemed_fen) AS redeemed,
                                SUM(CASE WHEN status IN ({_OPEN}) THEN voucher_fen ELSE 0 END) AS open_share
                         FROM vouchers_serviceorder GROUP BY voucher_id) o ON o.voucher_id = v.id
           WHERE a.balance_fen <> v.granted_fen - v.returned_fen - COALESCE(o.redeemed, 0)
              OR a.held_fen <> COALESCE(o.open_share, 0))"""  # noqa: S608 - built from constants, no input
    row = fetch_rows(sql)[0]
    return dict(
        zip(
            ["enterprise_cap", "controller_cap", "budget", "vouchers_match_ledger"],
            (int(v) for v in row),
            strict=True,
        )
    )
