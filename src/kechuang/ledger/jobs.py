"""The ledger's periodic job (ADR 0014): release holds past their time."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Every, JobContext, job

from .services import holds_expire_due


@job(
    "ledger-expire-holds",
    schedule=Every(minutes=5),
    label=gettext_lazy("资金冻结到期解冻"),
    command="kechuang ledger-expire-holds",
)
def expire_holds(run: JobContext) -> str:
    return _("解冻到期冻结 %(n)s 笔") % {"n": holds_expire_due()}
