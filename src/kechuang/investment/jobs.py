"""The investment app's scheduled jobs (ADR 0014): the lead clocks, the key-project checks and the
稳商 watch list. Each is idempotent (docs/adr/0026-investment-attraction.md)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from kechuang.core.jobs import Daily, Every, JobContext, job

from . import services


@job(
    "investment-clocks",
    schedule=Every(minutes=15),
    label=gettext_lazy("招商线索时限检查"),
    description=gettext_lazy("受理、研判、反馈与定期更新超时的线索升级至挂帅领导"),
)
def lead_clocks(run: JobContext) -> str:
    return services.clocks_tick().summary()


@job(
    "investment-milestones",
    schedule=Daily(dt.time(8, 30)),
    label=gettext_lazy("重点项目节点检查"),
    description=gettext_lazy("逾期未完成的项目节点提醒包保领导（每个节点一次）"),
)
def project_milestones(run: JobContext) -> str:
    return f"{services.milestones_tick()}"


@job(
    "investment-watchlist",
    schedule=Daily(dt.time(7, 0)),
    label=gettext_lazy("稳商预警名单"),
    description=gettext_lazy(
        "由租约到期、诉求反复或超时、满意度下降与超大用房需求生成稳商案件，信号消除时结案"
    ),
)
def watchlist(run: JobContext) -> str:
    return services.watchlist_build().summary()
