"""The challenge module's periodic job (ADR 0014): close applications past their deadline."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Every, JobContext, job

from .services import challenges_close_due


@job(
    "challenges-close-due",
    schedule=Every(hours=1),
    label=gettext_lazy("揭榜截止处理"),
    description=gettext_lazy("截止日期已过的榜单截止报名、进入评审"),
    command="kechuang challenges-close-due",
)
def close_due(run: JobContext) -> str:
    result = challenges_close_due()
    text = _("截止报名 %(n)s 张榜单") % {"n": len(result["closed"])}
    if result["empty"]:
        text += _("；无人揭榜、需延期或撤回：%(codes)s") % {"codes": "、".join(result["empty"])}
    return text
