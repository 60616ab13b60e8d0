"""The voucher module's periodic jobs (ADR 0014): expiry, and the monthly settlement batch on the 1st."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Every, JobContext, Monthly, job
from kechuang.core.money import format_fen

from .services import batch_create, month_start, vouchers_expire_due


@job(
    "vouchers-expire",
    schedule=Every(hours=1),
    label=gettext_lazy("创新券到期处理"),
    description=gettext_lazy("到期券取消未交付订单、收回未使用额度"),
    command="kechuang vouchers-expire",
)
def expire_vouchers(run: JobContext) -> str:
    result = vouchers_expire_due()
    return _("到期 %(n)s 张，收回额度 %(amount)s") % {
        "n": result["expired"],
        "amount": format_fen(result["returned_fen"]),
    }


@job(
    "vouchers-monthly-batch",
    schedule=Monthly(day=1, at=dt.time(1, 0)),
    label=gettext_lazy("月度结算批次"),
    description=gettext_lazy("每月 1 日汇总上月审核通过的结算申请，待领导审批"),
    command="kechuang vouchers-monthly-batch",
)
def monthly_batch(run: JobContext) -> str:
    # the month before the due time's month, even when a retry runs on the 2nd
    due_day = timezone.localtime(run.due_at).date()
    period = month_start(month_start(due_day) - dt.timedelta(days=1))
    batch = batch_create(actor=None, period=period)
    if batch is None:
        return _("%(month)s 没有待结算的申请") % {"month": period.strftime("%Y-%m")}
    return _("%(month)s 结算批次 %(code)s：%(n)s 笔，%(amount)s") % {
        "month": period.strftime("%Y-%m"),
        "code": batch.code,
        "n": batch.claim_count,
        "amount": format_fen(batch.total_fen),
    }
