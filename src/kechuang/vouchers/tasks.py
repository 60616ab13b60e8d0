"""Background work of the voucher module (django-tasks; ``kechuang db_worker`` runs them). Each task is
idempotent, so a timer may enqueue it as often as it likes."""

from __future__ import annotations

import datetime as dt

from django_tasks import task


@task()
def expire_vouchers() -> dict[str, int]:
    from .services import vouchers_expire_due

    return vouchers_expire_due()


@task()
def monthly_settlement_batch(period: str) -> str:
    from .services import batch_create

    batch = batch_create(actor=None, period=dt.date.fromisoformat(period))
    return batch.code if batch else ""
