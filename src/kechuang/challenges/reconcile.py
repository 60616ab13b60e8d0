"""The challenge module's reconciliation checks, run by ``kechuang ledger-reconcile`` with the ledger's:
tranche payments equal the ledger postings (one entry per payment, same amount, right accounts, the
business reference ``challenges.tranche:<code>``), and every award's payable account equals the award
less what was paid. Each check is a SQL statement returning only the rows in error."""

from __future__ import annotations

from collections.abc import Iterator

from kechuang.core.money import format_fen
from kechuang.ledger.reconcile import Check, Violation, fetch_rows, register_check


class TranchesMatchLedger(Check):
    name = "challenges_tranches_match_ledger"
    title = "揭榜挂帅：拨付记录与账本记账一致"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM challenges_tranchepayment")
        # a payment without its entry, or an entry of another amount / reference / accounts
        for code, amount, entry_total, reference, debit_ok, credit_ok in fetch_rows("""
                SELECT m.code, p.amount_fen, e.total_fen, e.business_reference,
                       EXISTS (SELECT 1 FROM ledger_journalline l WHERE l.entry_id = e.id AND l.side = 'D'
                               AND l.account_id = a.payable_account_id AND l.amount_fen = p.amount_fen),
                       EXISTS (SELECT 1 FROM ledger_journalline l WHERE l.entry_id = e.id AND l.side = 'C'
                               AND l.account_id = c.fund_account_id AND l.amount_fen = p.amount_fen)
                FROM challenges_tranchepayment p
                JOIN challenges_milestone m ON m.id = p.milestone_id
                JOIN challenges_award a ON a.id = p.award_id
                JOIN challenges_challenge c ON c.id = a.challenge_id
                LEFT JOIN ledger_journalentry e ON e.id = p.entry_id
                ORDER BY p.id"""):
            expected = f"challenges.tranche:{code}"
            if entry_total is None:
                yield Violation(self.name, f"拨付 {code}", "拨付记录没有对应的记账凭证", {"tranche": code})
            elif entry_total != amount or reference != expected or not debit_ok or not credit_ok:
                yield Violation(
                    self.name,
                    f"拨付 {code}",
                    f"拨付 {format_fen(amount)}，凭证 {format_fen(entry_total)}（{reference}）与之不符",
                    {"tranche": code},
                )
        # a tranche posting without a payment row
        for reference, total in fetch_rows("""
                SELECT e.business_reference, e.total_fen FROM ledger_journalentry e
                WHERE e.kind = 'challenges.tranche' AND NOT EXISTS (
                    SELECT 1 FROM challenges_tranchepayment p WHERE p.entry_id = e.id)
                ORDER BY e.id"""):
            yield Violation(
                self.name,
                str(reference),
                f"账本有拨付 {format_fen(total)}，但没有拨付记录",
                {"reference": reference},
            )


class AwardsMatchLedger(Check):
    name = "challenges_awards_match_ledger"
    title = "揭榜挂帅：立项应付余额 = 支持金额 − 已拨付"

    def run(self) -> Iterator[Violation]:
        self.checked = self.count("SELECT COUNT(*) FROM challenges_award")
        for code, amount, balance, paid in fetch_rows("""
                SELECT a.code, a.amount_fen, acc.balance_fen, COALESCE(p.paid, 0)
                FROM challenges_award a
                JOIN ledger_account acc ON acc.id = a.payable_account_id
                LEFT JOIN (SELECT award_id, SUM(amount_fen) AS paid FROM challenges_tranchepayment
                           GROUP BY award_id) p ON p.award_id = a.id
                WHERE acc.balance_fen <> a.amount_fen - COALESCE(p.paid, 0) OR COALESCE(p.paid, 0) > a.amount_fen
                ORDER BY a.id"""):
            yield Violation(
                self.name,
                f"立项 {code}",
                f"支持 {format_fen(amount)}，已拨付 {format_fen(paid)}，应付余额却为 {format_fen(balance)}",
                {"award": code},
            )


def register() -> None:
    for check in (TranchesMatchLedger, AwardsMatchLedger):
        register_check(check.name, check)
