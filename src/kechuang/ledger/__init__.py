"""The shared money ledger (docs/reliability.md G): accounts, an append-only double-entry journal in integer fen,
holds, idempotent postings, reconciliation. Vouchers use it; challenge awards (tranche payments) will too.

How a module uses it (everything in :mod:`kechuang.ledger.services`)::

    from kechuang.ledger import services as ledger
    from kechuang.ledger.choices import AccountKind

    fund = ledger.account_open(code="awards:CH-2026-01:fund", name="…", kind=AccountKind.ASSET, group="CH-2026-01")
    owed = ledger.account_open(code="awards:CH-2026-01:team-7", name="…", kind=AccountKind.LIABILITY,
                               group="CH-2026-01")
    ledger.post(actor=user, idempotency_key=f"awards.tranche:{tranche.code}", kind="awards.tranche",
                memo="第一笔拨付", reference=tranche.code,
                business_reference=f"awards.tranche:{tranche.code}",   # a second payment is refused (UNIQUE)
                lines=[ledger.debit(owed, 50_000_00), ledger.credit(fund, 50_000_00)])

Rules:

- Derive the idempotency key from the business object (``awards.tranche:T-2026-000001``): a retry, a
  double click or a rerun after a crash then replays the first answer instead of paying twice.
- ``post`` / ``hold_place`` / ``hold_capture`` / ``hold_void`` may run inside your service's transaction;
  decorate the service with :func:`kechuang.ledger.retry.atomic_with_retry` so a deadlock retries the
  whole service. Lock your own rows first, then call the ledger (it locks holds, then accounts by key).
- Errors are ``ValidationError`` subclasses with Chinese messages (:mod:`kechuang.ledger.errors`);
  ``InsufficientFunds`` says "余额不足". Nothing is written when one is raised.
- Add your own invariants to ``kechuang ledger-reconcile`` with
  :func:`kechuang.ledger.reconcile.register_check` (see ``kechuang.vouchers.reconcile``).
- Bulk history (demo data, imports) goes through :class:`kechuang.ledger.bulk.BulkJournal`.
"""
